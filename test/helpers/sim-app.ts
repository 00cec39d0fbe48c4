/**
 * One device with its HTTP app listening on 127.0.0.1 port 0, built through src/app as every
 * device is, for tests of the emulator API: on the given clock (default a ManualClock), with an
 * in-memory config control, Modbus/TCP, MQTT and SNMP off. `close()` stops the device.
 */
import type { Express } from 'express';
import { pino, type Logger } from 'pino';
import { Emulator } from '../../src/app/emulator.js';
import { memoryConfig } from '../../src/app/memory-config.js';
import type { Profile } from '../../src/config/profile.js';
import { ManualClock, type Clock } from '../../src/device/clock.js';
import type { Device } from '../../src/device/device.js';
import type { ModbusService } from '../../src/modbus/service.js';
import type { SignalRunner } from '../../src/sim/signals.js';

export interface SimApp {
  /** http://127.0.0.1:PORT/sim/v1 */
  base: string;
  app: Express;
  device: Device;
  clock: Clock;
  signals: SignalRunner;
  modbus: ModbusService;
  config: ReturnType<typeof memoryConfig>;
  emulator: Emulator;
  /** The HTTP listener's address; close() stops the whole device. */
  listener: { address: string; close(): Promise<void> };
  close(): Promise<void>;
}

export interface SimAppOptions {
  clock?: Clock;
  logger?: Logger;
}

export async function startSimApp(profile: Profile, { clock = new ManualClock(), logger = pino({ level: 'silent' }) }: SimAppOptions = {}): Promise<SimApp> {
  // Late-bound: a runtime edit goes in force on the emulator this config belongs to.
  const late: { emulator?: Emulator } = {};
  const config = memoryConfig(structuredClone(profile), (next) => late.emulator?.putInForce(next));
  const emulator = await Emulator.start({ profile, clock, logger, config, http: { host: '127.0.0.1', port: 0 } });
  late.emulator = emulator;
  const address = emulator.addresses.http!;
  const close = () => emulator.stop();
  return {
    base: `http://${address}/sim/v1`,
    app: emulator.app!,
    device: emulator.device,
    clock,
    signals: emulator.signals,
    modbus: emulator.modbus,
    config,
    emulator,
    listener: { address, close },
    close,
  };
}
