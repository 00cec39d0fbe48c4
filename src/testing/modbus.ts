/**
 * The fixture's Modbus/TCP side: connected `modbus-serial` clients for a started device, and
 * reads and writes of a channel attribute by name through the device's own address map, so a
 * test never hard-codes an address or a word order.
 *
 *   readAttribute('2/3', 'doStatus')
 *     ─► layout (once per device): GET /sim/v1/modbus/map, /device (slot/index → ioName), /config
 *        (modbus.wordOrder, modbus.unitId)
 *     ─► row {table, address, type} ─► FC 1/2/3/4 on the shared client ─► words ─► number
 *   writeAttribute('2/3', 'doStatus', 1) ─► row ─► value check (range of the row's type and
 *        `signed`) ─► FC 5 (coil), 6 (word), 16 (DWORD, REAL)
 *
 * Every client handed out is tracked and closed by close() (the fixture's stop()). The layout is
 * read once: after changing base addresses or the word order at run time, call reloadMap().
 * modbus-serial is loaded on first use, so a test that never speaks Modbus does not load it.
 */
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import { VALUE_RANGES, type ValueKind } from '../device/channel.js';
import type { MapRow } from '../modbus/contract.js';
import { decode32, encode32, signed16 } from '../modbus-pdu/words.js';
import type { HostPort } from './child.js';
import type { SimClient } from './client.js';
import { SimClientError, type ClientErrorCode } from './errors.js';

/** The `modbus-serial` client class (`import ModbusRTU from 'modbus-serial'`). */
export type ModbusSerialClient = ModbusRTU;

export interface ModbusClientOptions {
  /** The unit id of every request; default the profile's modbus.unitId, or 1 when it answers any. */
  unitId?: number;
  /** How long a request waits for its reply; default 5000 ms. */
  timeoutMs?: number;
}


/**
 * One value of the device's address map, as readAttribute and writeAttribute use it; `signed`
 * (from the map row) says a WORD or DWORD is two-complement (the internal registers, M-EZ p=120).
 */
export interface ModbusPoint extends MapRow {
  /** 32-bit values (DWORD, REAL): which register comes first, as the running config says. */
  wordOrder: 'high-first' | 'low-first';
}

/** What the helpers learn from the emulator API once per device. */
interface Layout {
  rows: readonly MapRow[];
  /** `2/3` → `45MR-2600-0@DO-03`. */
  refs: ReadonlyMap<string, string>;
  wordOrder: 'high-first' | 'low-first';
  unitId: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const CLOSE_DEADLINE_MS = 1000;
const REF = /^\d+\/\d+$/;

type ModbusClientCode = Extract<ClientErrorCode, 'CLIENT_NO_MODBUS' | 'CLIENT_STOPPED' | 'CLIENT_UNKNOWN_ATTRIBUTE' | 'CLIENT_READ_ONLY' | 'CLIENT_BAD_VALUE' | 'CLIENT_MODBUS_FAILED' | 'CLIENT_UNREACHABLE'>;

function clientError(message: string, code: ModbusClientCode, cause?: unknown): SimClientError {
  return new SimClientError(message, { status: null, code, path: null, request: null, cause });
}

/** The layout from the emulator API: the map, the channels' ioNames and the Modbus settings in force. */
export async function loadLayout(sim: SimClient): Promise<Layout> {
  const [rows, device, config] = await Promise.all([sim.modbusMap(), sim.device(), sim.config()]);
  const refs = new Map<string, string>();
  for (const slot of device.slots) for (const ch of slot.channels) refs.set(`${slot.slot}/${ch.index}`, ch.ioName);
  const unitId = config.modbus.unitId;
  return { rows, refs, wordOrder: config.modbus.wordOrder, unitId: unitId === 'any' ? 1 : unitId };
}

/**
 * The row of `attribute` (a Modbus parameter name, as `iothinx-sim map` prints it) of `ref`: a
 * channel as `slot/index`, or a name in the map's ioName column (`45MR-2600-0@DO-03`, an
 * internal register `WIR-00`, a module `45MR-2600-0` for its `*All` bitmap words).
 */
export function findPoint(layout: Layout, ref: string, attribute: string): ModbusPoint {
  const ioName = REF.test(ref) ? layout.refs.get(ref) : ref;
  const label = ioName === undefined || ioName === ref ? ref : `${ref} (${ioName})`;
  const rows = ioName === undefined ? [] : layout.rows.filter((r) => r.ioName === ioName);
  if (rows.length === 0) {
    const known = REF.test(ref) ? `channels: ${[...layout.refs.keys()].join(', ')}` : 'a channel as slot/index, or an ioName from `iothinx-sim map`';
    throw clientError(`${label}: no such channel in the device's Modbus address map; expected ${known}`, 'CLIENT_UNKNOWN_ATTRIBUTE');
  }
  const matches = rows.filter((r) => r.parameter === attribute);
  if (matches.length === 0) {
    const names = [...new Set(rows.map((r) => r.parameter))].join(', ');
    throw clientError(`${label} has no Modbus parameter "${attribute}"; its parameters: ${names}`, 'CLIENT_UNKNOWN_ATTRIBUTE');
  }
  const [row] = matches;
  if (matches.length > 1 || !row) {
    throw clientError(`${label} ${attribute} spans ${matches.length} registers from ${row?.address}; read them with modbusClient()`, 'CLIENT_UNKNOWN_ATTRIBUTE');
  }
  return { ...row, wordOrder: layout.wordOrder };
}

/** FC and wording of a read of `point`. */
function describe(point: ModbusPoint, verb: 'read' | 'write', ref: string, attribute: string): string {
  return `${verb} ${ref} ${attribute} (${point.table} ${point.address}, ${point.type})`;
}

/** Reads `point` with FC 1 (coil), 2 (discrete input), 3 (holding) or 4 (input register). */
export async function readPoint(client: ModbusRTU, point: ModbusPoint): Promise<number> {
  if (point.table === 'coil') return (await client.readCoils(point.address, 1)).data[0] ? 1 : 0;
  if (point.table === 'discrete') return (await client.readDiscreteInputs(point.address, 1)).data[0] ? 1 : 0;
  const read = point.table === 'holding' ? client.readHoldingRegisters.bind(client) : client.readInputRegisters.bind(client);
  const { data } = await read(point.address, point.length);
  const highFirst = point.wordOrder === 'high-first';
  if (point.type === 'dword' || point.type === 'float') return decode32([data[0] ?? 0, data[1] ?? 0], point.type, highFirst, point.signed);
  const word = data[0] ?? 0;
  return point.signed ? signed16(word) : word;
}

/** The values a write of `point` takes: [min, max], and whether they must be integers. */
export function valueRange(point: ModbusPoint): { min: number; max: number; integer: boolean } {
  const kind: ValueKind =
    point.type === 'bit' ? 'bit' : point.type === 'float' ? 'float' : point.type === 'word' ? (point.signed ? 'int16' : 'uint16') : point.signed ? 'int32' : 'uint32';
  const [min, max] = VALUE_RANGES[kind];
  return { min, max, integer: kind !== 'float' };
}

/**
 * Why `value` cannot be written to `point`, or null: a discrete input or input register is
 * read-only over Modbus (CLIENT_READ_ONLY); a value that is not finite, not an integer (but for a
 * REAL) or outside the type's range (signed when the row says so; 0 or 1 for a coil) would be
 * wrapped or coerced on the wire (CLIENT_BAD_VALUE).
 */
export function writeProblem(point: ModbusPoint, value: number): { code: 'CLIENT_READ_ONLY' | 'CLIENT_BAD_VALUE'; reason: string } | null {
  if (point.table === 'discrete' || point.table === 'input') {
    return { code: 'CLIENT_READ_ONLY', reason: `${point.table === 'discrete' ? 'a discrete input' : 'an input register'} is read-only over Modbus` };
  }
  const { min, max, integer } = valueRange(point);
  const expected =
    point.type === 'bit' ? 'expected 0 or 1' : `expected ${integer ? 'an integer' : 'a number'} ${min}..${max} (${point.signed ? 'signed ' : ''}${point.type === 'float' ? 'REAL' : point.type.toUpperCase()})`;
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) return { code: 'CLIENT_BAD_VALUE', reason: `${value} cannot be written; ${expected}` };
  return null;
}

/** Writes `point` with FC 5 (coil: 1 is on), 6 (WORD) or 16 (the two registers of a DWORD or REAL); check writeProblem first. */
export async function writePoint(client: ModbusRTU, point: ModbusPoint, value: number): Promise<void> {
  if (point.table === 'coil') await client.writeCoil(point.address, value === 1);
  else if (point.type === 'dword' || point.type === 'float') await client.writeRegisters(point.address, encode32(value, point.type, point.wordOrder === 'high-first'));
  else await client.writeRegister(point.address, value & 0xffff);
}

/**
 * One device's Modbus side in the fixture (startDevice's and startFleet's handles delegate to
 * it): connected clients, the map lookup and the attribute helpers.
 */
export class DeviceModbus {
  private readonly clients = new Set<ModbusRTU>();
  private layout: Promise<Layout> | null = null;
  private shared: Promise<ModbusRTU> | null = null;
  private closed = false;

  /**
   * @param sim the device's emulator API
   * @param address its Modbus/TCP listener, or null when it has none
   * @param label how errors name the device (`the device`, `fleet device io-0003`)
   */
  constructor(
    private readonly sim: SimClient,
    private readonly address: HostPort | null,
    private readonly label: string,
  ) {}

  /**
   * A new connected modbus-serial client for the device's Modbus/TCP address (one connection per
   * call), with the unit id and reply timeout set; closed by close(). Rejects with
   * CLIENT_NO_MODBUS when the device has no Modbus/TCP server, CLIENT_STOPPED after close().
   */
  async client(options: ModbusClientOptions = {}): Promise<ModbusRTU> {
    const address = this.usable();
    const unitId = options.unitId ?? (await this.loadLayout()).unitId;
    // A CommonJS module: its default import is module.exports, whose `default` is the class again (as its types say).
    const { default: modbusSerial } = await import('modbus-serial');
    const client = new modbusSerial.default();
    // A socket error also rejects the requests in flight; without a listener it would crash the test process.
    client.on('error', () => undefined);
    this.clients.add(client);
    // Closed by the test or the device: no longer this handle's to close.
    client.on('close', () => this.clients.delete(client));
    try {
      await client.connectTCP(address.host, { port: address.port });
    } catch (error) {
      this.clients.delete(client);
      throw clientError(`${this.label}: cannot connect to Modbus/TCP ${address.host}:${address.port} (${(error as Error).message})`, 'CLIENT_UNREACHABLE', error);
    }
    if (this.closed) {
      await closeClient(client);
      throw this.stoppedError();
    }
    client.setID(unitId);
    client.setTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return client;
  }

  /** The map row that readAttribute / writeAttribute use for `ref` and `attribute` (its address, type, word order). */
  async point(ref: string, attribute: string): Promise<ModbusPoint> {
    this.usable();
    return findPoint(await this.loadLayout(), ref, attribute);
  }

  /**
   * An attribute's value over Modbus/TCP, on one connection the helpers share: a bit as 0/1, a
   * WORD, a DWORD or a REAL decoded in the configured word order.
   */
  async readAttribute(ref: string, attribute: string): Promise<number> {
    const point = await this.point(ref, attribute);
    const client = await this.sharedClient();
    try {
      return await readPoint(client, point);
    } catch (error) {
      throw this.failed(describe(point, 'read', ref, attribute), error);
    }
  }

  /**
   * Writes an attribute over Modbus/TCP (FC 5, 6 or 16); resolves when the device has answered.
   * A read-only point rejects with CLIENT_READ_ONLY, a value the point's type cannot carry with
   * CLIENT_BAD_VALUE, before anything is sent.
   */
  async writeAttribute(ref: string, attribute: string, value: number): Promise<void> {
    const point = await this.point(ref, attribute);
    const problem = writeProblem(point, value);
    if (problem) throw clientError(`${this.label}: ${describe(point, 'write', ref, attribute)}: ${problem.reason}`, problem.code);
    const client = await this.sharedClient();
    try {
      await writePoint(client, point, value);
    } catch (error) {
      throw this.failed(describe(point, 'write', ref, attribute), error);
    }
  }

  /** Forgets the layout; the next lookup reads the map and the Modbus settings again. */
  reloadMap(): void {
    this.layout = null;
  }

  /** Closes every client handed out (and the shared one); later calls reject. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.shared = null;
    const clients = [...this.clients];
    this.clients.clear();
    await Promise.all(clients.map(closeClient));
  }

  private usable(): HostPort {
    if (this.closed) throw this.stoppedError();
    if (!this.address) throw clientError(`${this.label} has no Modbus/TCP server (started with modbus: false, or modbus.enabled is false in its profile)`, 'CLIENT_NO_MODBUS');
    return this.address;
  }

  private stoppedError(): SimClientError {
    return clientError(`${this.label} was stopped; its Modbus clients are closed`, 'CLIENT_STOPPED');
  }

  private loadLayout(): Promise<Layout> {
    if (!this.layout) {
      const layout = loadLayout(this.sim);
      // A failed read is not kept: the next call tries again.
      layout.catch(() => {
        if (this.layout === layout) this.layout = null;
      });
      this.layout = layout;
    }
    return this.layout;
  }

  /** The helpers' connection, opened on first use and again if the device closed it. */
  private async sharedClient(): Promise<ModbusRTU> {
    const current = this.shared ? await this.shared.catch(() => null) : null;
    if (current?.isOpen) return current;
    const next = this.client();
    this.shared = next;
    return next;
  }

  private failed(what: string, error: unknown): SimClientError {
    if (error instanceof SimClientError) return error;
    const e = error as { message?: string; modbusCode?: number };
    const reason = e.modbusCode === undefined ? (e.message ?? String(error)) : `exception ${e.modbusCode} (${e.message})`;
    return clientError(`${this.label}: ${what}: ${reason}`, 'CLIENT_MODBUS_FAILED', error);
  }
}

/** Ends the connection, destroying it if the close does not complete in time. */
function closeClient(client: ModbusRTU): Promise<void> {
  if (!client.isOpen) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => client.destroy(() => resolve()), CLOSE_DEADLINE_MS);
    client.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The Modbus methods of startDevice's handle and of each startFleet device. */
export interface ModbusFixture {
  /**
   * A new connected `modbus-serial` client for the device's Modbus/TCP address (a connection per
   * call; unit id: the profile's modbus.unitId, or 1 when it answers any; 5 s reply timeout).
   * stop() closes it. Rejects with a SimClientError CLIENT_NO_MODBUS when the device has none,
   * CLIENT_STOPPED once the device was stopped.
   */
  modbusClient(options?: ModbusClientOptions): Promise<ModbusSerialClient>;
  /**
   * An attribute's value over Modbus/TCP, found in the device's own address map:
   * `readAttribute('1/0', 'diStatus')`, `readAttribute('4/0', 'aiValueScaled')` (a REAL in the
   * configured word order). `ref` is `slot/index` or a name from the map's ioName column;
   * `attribute` is the Modbus parameter (`iothinx-sim map`). An unknown one rejects with
   * CLIENT_UNKNOWN_ATTRIBUTE listing the channel's parameters; a failed request with CLIENT_MODBUS_FAILED.
   */
  readAttribute(ref: string, attribute: string): Promise<number>;
  /**
   * Writes an attribute over Modbus/TCP (FC 5 coil, 6 WORD, 16 DWORD/REAL): `writeAttribute('2/3', 'doStatus', 1)`.
   * Rejects with CLIENT_READ_ONLY for a discrete input or input register, and with
   * CLIENT_BAD_VALUE for a value the point cannot carry (not finite; not an integer but for a
   * REAL; outside the WORD/DWORD range, signed for the internal registers; a coil other than 0/1).
   */
  writeAttribute(ref: string, attribute: string, value: number): Promise<void>;
  /** Where readAttribute finds `attribute` of `ref`: table, address, length, type, signed, word order. */
  modbusPoint(ref: string, attribute: string): Promise<ModbusPoint>;
  /** The map is read once per device; call this after changing base addresses or modbus.wordOrder at run time. */
  reloadModbusMap(): void;
}

/** The handle methods over a DeviceModbus. */
export function modbusFixture(modbus: DeviceModbus): ModbusFixture {
  return {
    modbusClient: (options) => modbus.client(options),
    readAttribute: (ref, attribute) => modbus.readAttribute(ref, attribute),
    writeAttribute: (ref, attribute, value) => modbus.writeAttribute(ref, attribute, value),
    modbusPoint: (ref, attribute) => modbus.point(ref, attribute),
    reloadModbusMap: () => modbus.reloadMap(),
  };
}
