/**
 * The HTTP app of one device, listening on 127.0.0.1 port 0, for tests of the emulator API:
 * a Device on the given clock, a real SignalRunner, ModbusService and SerialService (with the
 * profile's virtual field devices), an in-memory config control. `close()` stops the listener and releases the device's timers.
 */
import type { Express } from 'express';
import { pino, type Logger } from 'pino';
import type { Profile } from '../../src/config/profile.js';
import { ManualClock, type Clock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { createHttpApp, listenHttp, type HttpListener, type SignalControl } from '../../src/http/index.js';
import { buildFieldDevices, serialControl } from '../../src/app/field-devices.js';
import { ModbusService } from '../../src/modbus/service.js';
import { SerialService } from '../../src/serial/service.js';
import { SignalRunner } from '../../src/sim/signals.js';
import { memoryConfig } from './config-control.js';

export interface SimApp {
  /** http://127.0.0.1:PORT/sim/v1 */
  base: string;
  app: Express;
  device: Device;
  clock: Clock;
  signals: SignalRunner;
  modbus: ModbusService;
  config: ReturnType<typeof memoryConfig>;
  listener: HttpListener;
  close(): Promise<void>;
}

export interface SimAppOptions {
  clock?: Clock;
  logger?: Logger;
  /** Replaces the real runner in the app (the harness still owns a real one). */
  signals?: SignalControl;
}

export async function startSimApp(profile: Profile, { clock = new ManualClock(), logger = pino({ level: 'silent' }), signals: signalControl }: SimAppOptions = {}): Promise<SimApp> {
  const device = new Device(profile, clock);
  const signals = new SignalRunner(clock, 1);
  const modbus = new ModbusService(device, clock, structuredClone(profile.modbus), logger);
  const config = memoryConfig(profile);
  // The serial side as the CLI builds it: ready-made field device maps by name need no profile file.
  const { models, attachments } = buildFieldDevices(profile, 'profile.yaml', clock, 1);
  const serialService = new SerialService(device, clock, profile.serial, logger, attachments);
  await serialService.start();
  const app = createHttpApp({ device, clock, signals: signalControl ?? signals, modbus, serial: serialControl(serialService, models), config, profile, logger });
  const listener = await listenHttp(app, '127.0.0.1', 0);
  return {
    base: `http://${listener.address}/sim/v1`,
    app,
    device,
    clock,
    signals,
    modbus,
    config,
    listener,
    close: async () => {
      await listener.close();
      await serialService.close();
      signals.dispose();
      device.dispose();
    },
  };
}
