/**
 * The MQTT client (and the embedded broker when the URL is `embedded`). mqtt.js and aedes are
 * the largest part of start-up, so they are loaded only when MQTT is on. Its messages reach the
 * emulator API and scenarios through `messages`, which exists before the service starts.
 */
import { EventEmitter } from 'node:events';
import { dirname } from 'node:path';
import { isAllowedForServices } from '../../config/accessible-ips.js';
import { emitSafely } from '../../device/listeners.js';
import type { MqttControl, MqttLogEntry } from '../../mqtt/contract.js';
import type { ModbusService } from '../../modbus/service.js';
import type { MqttService, MqttServiceOptions } from '../../mqtt/service.js';
import type { DeviceCore, EmulatorAddresses, ListenAddress, ServiceModule } from '../service.js';

export interface MqttModuleOptions {
  /** 'off', 'profile' (as the profile says), 'embedded' or a broker URL. */
  mqtt: string;
  broker: ListenAddress | null;
  profileFile: string;
  /** Unacknowledged QoS 1/2 messages are kept here across restarts (mqtt-queue.json); undefined = in memory only. */
  dataDir?: string | undefined;
  /** Passed to the service as they are (a test's transport clock, say). */
  service?: Partial<MqttServiceOptions>;
}

export interface MqttModule extends ServiceModule {
  readonly control: MqttControl;
  /** Each message published or received, from whichever service instance runs. */
  readonly messages: EventEmitter<{ message: [MqttLogEntry] }>;
  /** The running service, once started (null while off). */
  service(): MqttService | null;
}

export function mqttModule(core: DeviceCore, modbus: ModbusService, options: MqttModuleOptions): MqttModule {
  const { profile, device, clock, logger } = core;
  const on = options.mqtt !== 'off' && (options.mqtt !== 'profile' || profile.mqtt.enabled);
  const messages = new EventEmitter<{ message: [MqttLogEntry] }>();
  let service: MqttService | null = null;
  const mqttLogger = logger.child({ component: 'mqtt' });
  const addresses: Partial<EmulatorAddresses> = { mqtt: null, broker: null };
  return {
    name: 'mqtt',
    messages,
    service: () => service,
    control: {
      status: () => service?.status() ?? null,
      topics: () => service?.topics() ?? [],
      log: () => service?.log() ?? [],
      // A stream may open before the service starts: listen on the module, which forwards.
      onMessage: (listener) => {
        messages.on('message', listener);
        return () => messages.off('message', listener);
      },
    },
    start: async () => {
      if (!on) return;
      const { MqttService } = await import('../../mqtt/service.js');
      service = new MqttService(device, clock, profile.mqtt, mqttLogger, {
        url: options.mqtt === 'profile' ? undefined : options.mqtt,
        brokerListen: options.broker ?? undefined,
        // #14 point 11: the embedded broker's bounds, its refusals counted with the device's.
        brokerGuard: { limits: profile.limits.broker, accept: (peer) => isAllowedForServices(modbus.accessibleIps(), peer), refusals: device.refusals },
        baseDir: dirname(options.profileFile),
        dataDir: options.dataDir,
        ...options.service,
      });
      // One failing subscriber (a stream, a scenario) must not keep the message from the others.
      service.events.on('message', (message) => emitSafely(messages, 'message', [message], mqttLogger));
      const started = await service.start();
      addresses.mqtt = started.mqtt;
      addresses.broker = started.broker;
    },
    stop: async () => {
      await service?.close();
      messages.removeAllListeners();
    },
    addresses: () => addresses,
  };
}
