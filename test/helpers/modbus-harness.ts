/**
 * One Modbus/TCP device for an integration test, built through src/app: a profile parsed by
 * the real schema, on a ManualClock, Modbus/TCP and HTTP listening on 127.0.0.1 port 0 with a
 * silent logger. http() is the /sim/v1 base URL of the same device. Everything started here is
 * stopped by stopModbus() (call it in afterEach, after closeClients()).
 */
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { pino } from 'pino';
import { profileSchema, type Profile, type ProfileInput } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import type { Device, DeviceChange } from '../../src/device/device.js';
import type { MapRow } from '../../src/modbus/address-map.js';
import type { ModbusTcpServer } from '../../src/modbus/server.js';
import type { ModbusService } from '../../src/modbus/service.js';
import { Emulator } from '../../src/app/emulator.js';
import { RawModbusClient, type ConnectOptions } from './modbus-client.js';

export interface ModbusHarness {
  profile: Profile;
  clock: ManualClock;
  device: Device;
  service: ModbusService;
  port: number;
  /** Every device change since start, in order. */
  changes: DeviceChange[];
  connect(options?: ConnectOptions): Promise<RawModbusClient>;
  /** Starts a connection without waiting for it (one the server should refuse). */
  open(options?: ConnectOptions): RawModbusClient;
  /** Serves /sim/v1 for this device and service on 127.0.0.1:0; returns its base URL. */
  http(): Promise<string>;
  /** The map row of `parameter` for channel `index` of `slot` (or the one row of a bitmap/system value). */
  row(slot: number, parameter: string, index?: number): MapRow;
  /** Its address. */
  at(slot: number, parameter: string, index?: number): number;
}

const running = new Set<Emulator>();

export const silent = pino({ level: 'silent' });

/** `http: true` also serves /sim/v1 (harness.http()); off by default, as building the app is most of a device's start. */
export async function startModbus(input: ProfileInput, { http = false }: { http?: boolean } = {}): Promise<ModbusHarness> {
  const profile = profileSchema.parse(input);
  const clock = new ManualClock();
  // Built through src/app as every device is: Modbus/TCP and the emulator API, both on port 0.
  const emulator = await Emulator.start({ profile, clock, logger: silent, modbus: { host: '127.0.0.1', port: 0 }, http: http ? { host: '127.0.0.1', port: 0 } : null });
  running.add(emulator);
  const { device, modbus: service } = emulator;
  const address = emulator.addresses.modbus!;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  const changes: DeviceChange[] = [];
  device.onChange((c) => changes.push(c));
  const row = (slot: number, parameter: string, index?: number): MapRow => {
    const rows = service.map().filter((r) => r.slot === slot && r.parameter === parameter);
    const found = index === undefined ? rows[0] : rows.find((r) => r.ioName === device.channel(slot, index).ioName);
    if (!found) throw new Error(`no map row for slot ${slot} ${parameter} ${index ?? ''}`);
    return found;
  };
  return {
    profile,
    clock,
    device,
    service,
    port,
    changes,
    connect: (options) => RawModbusClient.connect(port, options),
    open: (options) => RawModbusClient.open(port, options),
    http: async () => {
      if (!emulator.addresses.http) throw new Error('startModbus(input, { http: true }) serves /sim/v1');
      return `http://${emulator.addresses.http}/sim/v1`;
    },
    row,
    at: (slot, parameter, index) => row(slot, parameter, index).address,
  };
}

export async function stopModbus(): Promise<void> {
  for (const emulator of [...running]) {
    running.delete(emulator);
    await emulator.stop();
  }
}

/**
 * A ModbusTcpServer behind a listener of the test's own: every accepted socket goes to
 * server.handle() and then to `onSocket`, so the test sees the server side of each connection
 * (its close, its buffered bytes). close() stops the server and the listener.
 */
export async function listenHandled(server: ModbusTcpServer, onSocket: (socket: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const listener = createServer((accepted) => {
    // The socket that serves the connection: handle() may move it to a new one (shared-read.ts).
    const socket = server.handle(accepted);
    if (socket) onSocket(socket);
  });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  return {
    port: (listener.address() as { port: number }).port,
    close: async () => {
      await server.close();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
