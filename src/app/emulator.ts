/**
 * Wires one running emulator: profile -> Device -> signals and wiring -> protocol adapters.
 * The only place that knows every part; `start` and the test fixture both use it.
 *
 *   profile ─► Device ◄── SignalRunner, wiring (field side)
 *                │ onChange
 *                ▼
 *        HTTP (/sim/v1, /api), Modbus/TCP, MQTT ...
 */
import { EventEmitter } from 'node:events';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { isAllowedForServices } from '../config/accessible-ips.js';
import { resolveChannelRef, type Profile } from '../config/profile.js';
import { createClock, type Clock } from '../device/clock.js';
import { Device } from '../device/device.js';
import { SimError } from '../errors.js';
import { createHttpApp } from '../http/app.js';
import { onStateChanged } from '../http/changes.js';
import type { ConfigControl, MetricsSources, MqttControl, SerialControl, SnmpControl } from '../http/options.js';
import { ConnectionGate } from '../http/connections.js';
import { listenHttp, listenHttps } from '../http/server.js';
import { loadOrCreateCertificate, type Certificate, type CertificateOptions } from '../http/tls.js';
import { ModbusService } from '../modbus/service.js';
import { SerialService } from '../serial/service.js';
import type { SnmpService } from '../snmp/service.js';
import type { MqttService } from '../mqtt/service.js';
import { SignalRunner } from '../sim/signals.js';
import { ScenarioController } from '../sim/scenario-control.js';
import { connectWiring, type Wire } from '../sim/wiring.js';
import { buildFieldDevices, serialControl } from './field-devices.js';

/** Where a service listens; port 0 = the OS picks a free one. */
export interface ListenAddress {
  host: string;
  port: number;
}

export interface EmulatorOptions {
  profile: Profile;
  http: ListenAddress | null;
  modbus: ListenAddress | null;
  mqtt: string;
  clock: 'real' | 'manual';
  seed: number;
  logger: Logger;
  /** The running config's owner (src/cli/runner.ts): persistence and restarts. */
  config: ConfigControl;
  https: ListenAddress | null;
  broker: ListenAddress | null;
  snmp: ListenAddress | null;
  /** Where a self-signed certificate is kept; relative cert/key paths resolve against profileFile's folder. */
  dataDir: string | undefined;
  profileFile: string;
  /** A certificate from an earlier start, so a restart keeps the same one. */
  certificate?: Certificate;
}

function certificateOptions(options: EmulatorOptions): CertificateOptions {
  const { cert, key } = options.profile.http.https;
  const resolveFile = (file: string | null) => (file ? resolve(dirname(options.profileFile), file) : undefined);
  return { certFile: resolveFile(cert), keyFile: resolveFile(key), dataDir: options.dataDir, logger: options.logger.child({ component: 'tls' }) };
}

/** Real addresses once listening, as the ready file reports them; null = the service is off. */
export interface EmulatorAddresses {
  http: string | null;
  https: string | null;
  modbus: string | null;
  mqtt: string | null;
  broker: string | null;
  snmp: string | null;
}

interface Service {
  name: string;
  close(): Promise<void>;
}

export class Emulator {
  readonly addresses: EmulatorAddresses = { http: null, https: null, modbus: null, mqtt: null, broker: null, snmp: null };
  private readonly services: Service[] = [];
  private disconnectWiring: () => void = () => {};
  /** The HTTPS certificate in use, handed to the next start so a restart keeps it. */
  certificate: Certificate | undefined;
  /** Set once SNMP has started (null when it is off). */
  snmpService: SnmpService | null = null;
  /** Set once MQTT has started (null when it is off). */
  mqttService: MqttService | null = null;
  /** Forwards the MQTT service's `message` events to the HTTP API's log streams. */
  readonly mqttMessages = new EventEmitter<{ message: [object] }>();
  private stopped = false;
  /** Settles when the serial ports have had their first open attempt. */
  private serialStarted: Promise<void> = Promise.resolve();
  /** Scenario runs (src/sim/scenario-control.ts), served at /sim/v1/scenarios and used by `start --scenario`, `run-scenario`. */
  readonly scenarios: ScenarioController;

  private constructor(
    readonly profile: Profile,
    readonly clock: Clock,
    readonly device: Device,
    readonly signals: SignalRunner,
    readonly modbus: ModbusService,
    private readonly logger: Logger,
  ) {
    // Scenarios hear MQTT messages through the forwarder: the MQTT service starts after them.
    const onMqttMessage = (listener: (message: object) => void) => {
      this.mqttMessages.on('message', listener);
      return () => this.mqttMessages.off('message', listener);
    };
    this.scenarios = new ScenarioController({ device, clock, signals, onMqttMessage }, logger.child({ component: 'scenarios' }), profile.limits.scenarios);
  }

  static async start(options: EmulatorOptions): Promise<Emulator> {
    const clock = createClock(options.clock);
    const logger = options.logger;
    const device = new Device(options.profile, clock, logger.child({ component: 'device' }));
    const signals = new SignalRunner(clock, options.seed, logger.child({ component: 'signals' }));
    const modbus = new ModbusService(device, clock, options.profile.modbus, logger.child({ component: 'modbus' }), async (change) => void (await options.config.edit((p) => ({ ...p, modbus: change(p.modbus) }))), options.profile.limits.modbus);
    const emulator = new Emulator(options.profile, clock, device, signals, modbus, logger);
    try {
      emulator.connectField();
      const serial = emulator.startSerial(options);
      if (options.modbus && options.profile.modbus.enabled) {
        emulator.addresses.modbus = await modbus.listen(options.modbus.host, options.modbus.port);
        emulator.services.push({ name: 'modbus', close: () => modbus.close() });
      }
      const httpsOn = options.https !== null && options.profile.http.https.enabled;
      if (options.http || httpsOn) {
        // One app behind both listeners: the same routes, sessions and event streams.
        // MQTT starts after HTTP (its broker may take a moment); the API asks it lazily.
        const mqtt: MqttControl = {
          status: () => emulator.mqttService?.status() ?? { state: 'off' },
          topics: () => emulator.mqttService?.topics() ?? [],
          log: () => emulator.mqttService?.log() ?? [],
          // The service may start after a stream opens: listen on the emulator, which forwards.
          onMessage: (listener) => {
            emulator.mqttMessages.on('message', listener);
            return () => emulator.mqttMessages.off('message', listener);
          },
        };
        // -- metrics (GET /metrics, src/http/metrics.ts): what the HTTP listeners refuse at accept.
        const httpRefusals = { byList: 0 };
        const metrics: MetricsSources = { httpRefusedByList: () => httpRefusals.byList };
        // -- end metrics
        const snmp: SnmpControl = { status: () => emulator.snmpService?.status() ?? { enabled: false } };
        const app = createHttpApp({ scenarios: emulator.scenarios, device, clock, signals, modbus, mqtt, serial, metrics, snmp, config: options.config, profile: options.profile, logger: logger.child({ component: 'http' }) });
        // A narrowed accessible-IP list also closes the embedded broker's connections (#14 points 11, 14).
        onStateChanged(app, () => emulator.mqttService?.recheckBrokerPeers());
        // The list as the Modbus service holds it now: runtime edits apply to HTTP at once (#14 point 14).
        const accept = (peer: string | undefined) => {
          if (isAllowedForServices(modbus.accessibleIps(), peer)) return true;
          httpRefusals.byList += 1;
          return false;
        };
        // One connection gate for both listeners: the caps count HTTP and HTTPS together (#14 point 10).
        const limits = options.profile.limits.http;
        const listen = { accept, limits, gate: new ConnectionGate(limits, device.refusals), refusals: device.refusals };
        if (options.http) {
          const http = await listenHttp(app, options.http.host, options.http.port, listen);
          emulator.addresses.http = http.address;
          emulator.services.push({ name: 'http', close: () => http.close() });
        }
        if (options.https && httpsOn) {
          const certificate = options.certificate ?? (await loadOrCreateCertificate(certificateOptions(options)));
          emulator.certificate = certificate;
          const https = await listenHttps(app, options.https.host, options.https.port, certificate, listen);
          emulator.addresses.https = https.address;
          emulator.services.push({ name: 'https', close: () => https.close() });
        }
      }
      if (options.mqtt !== 'off' && (options.mqtt !== 'profile' || options.profile.mqtt.enabled)) {
        // Loaded only when MQTT is on: mqtt.js and aedes are the largest part of start-up.
        const { MqttService } = await import('../mqtt/service.js');
        const mqtt = new MqttService(device, clock, options.profile.mqtt, logger.child({ component: 'mqtt' }), {
          url: options.mqtt === 'profile' ? undefined : options.mqtt,
          brokerListen: options.broker ?? undefined,
          // #14 point 11: the embedded broker's bounds, its refusals counted with the device's.
          brokerGuard: { limits: options.profile.limits.broker, accept: (peer) => isAllowedForServices(modbus.accessibleIps(), peer), refusals: device.refusals },
          baseDir: dirname(options.profileFile),
        });
        emulator.services.push({ name: 'mqtt', close: () => mqtt.close() });
        emulator.mqttService = mqtt;
        mqtt.events.on('message', (message) => emulator.mqttMessages.emit('message', message));
        const started = await mqtt.start();
        emulator.addresses.mqtt = started.mqtt;
        emulator.addresses.broker = started.broker;
      }
      await emulator.serialStarted;
      if (options.snmp && options.profile.snmp.enabled) await emulator.startSnmp(options, options.snmp);
    } catch (error) {
      await emulator.stop();
      throw error;
    }
    return emulator;
  }

  /** Stops accepting, closes every service (last started first), and releases timers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // A run still going is aborted first, so its event streams end before HTTP closes.
    await this.scenarios.stop();
    for (const service of this.services.reverse()) {
      try {
        await service.close();
      } catch (error) {
        this.logger.warn({ err: error, service: service.name }, 'service did not close cleanly');
      }
    }
    this.disconnectWiring();
    this.signals.dispose();
    this.device.dispose();
  }

  /** The SNMP agent and its traps (src/snmp); the engine id is kept in the data dir. */
  private async startSnmp(options: EmulatorOptions, listen: ListenAddress): Promise<void> {
    const { SnmpService } = await import('../snmp/service.js');
    const { loadEngineId } = await import('../snmp/engine-id.js');
    const engineId = await loadEngineId(this.device.identity.mac, options.dataDir);
    const { TrapSender } = await import('../snmp/traps.js');
    let lastTrigger = 0;
    const service = new SnmpService(this.device, this.clock, this.profile.snmp, this.logger.child({ component: 'snmp' }), {
      engineId,
      accept: (address) => isAllowedForServices(this.modbus.accessibleIps(), address),
      lastTrigger: () => lastTrigger,
      maxResponseBytes: this.profile.limits.snmp.maxResponseBytes,
    });
    const traps = new TrapSender(this.device, this.profile.snmp, this.logger.child({ component: 'snmp-traps' }), { engineId, lastTrigger: (type) => (lastTrigger = type) });
    service.traps = traps;
    this.services.push({
      name: 'snmp',
      close: async () => {
        traps.close();
        await service.close();
      },
    });
    this.addresses.snmp = await service.listen(listen.host, listen.port);
    this.snmpService = service;
    // coldStart once the agent answers, as a manager expects.
    traps.start();
  }

  /** The RTU master and the virtual field devices; a port that cannot open yet is retried, not fatal. */
  private startSerial(options: EmulatorOptions): SerialControl {
    const { models, attachments } = buildFieldDevices(this.profile, options.profileFile, this.clock, options.seed);
    const service = new SerialService(this.device, this.clock, this.profile.serial, this.logger.child({ component: 'serial' }), attachments);
    for (const ref of this.profile.serial.fieldDevices) if (ref.fault) service.setFault(ref.name, { ...ref.fault });
    for (const model of models.values()) model.start();
    this.services.push({
      name: 'serial',
      close: async () => {
        await service.close();
        for (const model of models.values()) model.stop();
      },
    });
    this.serialStarted = service.start();
    return serialControl(service, models);
  }

  private connectField(): void {
    const wires: Wire[] = this.profile.wiring.map((w) => {
      const from = resolveChannelRef(this.device, w.from);
      const to = resolveChannelRef(this.device, w.to);
      if (!from || !to) throw new SimError('PROFILE_INVALID', `wiring ${w.from} -> ${w.to}: no such channel`);
      return { from, to, invert: w.invert };
    });
    this.disconnectWiring = connectWiring(this.device, wires);
    for (const module of this.profile.slots) {
      for (const ch of module.channels) {
        if (ch.signal) this.signals.attach(this.device.channel(module.slot, ch.index), ch.signal);
      }
    }
  }
}
