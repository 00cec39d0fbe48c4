/**
 * A virtual Modbus field device: the register model of a simulated slave (power meter,
 * temperature transmitter, VFD) that the RTU slave framing in src/serial serves through the
 * shared PDU layer. This file has no I/O: fault switches (no reply, bad CRC, delay) belong to the
 * framing, not to the register map.
 *
 *   signal generators --(clock)--> point values --encode--> coil / discrete / holding / input
 *                                        ^                               |
 *                                        +------ writeBits/Registers ----+  (coil, holding only)
 *
 * A Modbus write or set() holds its value until the point's signal takes its next step; the
 * signal is not stopped, so a written input of a sampled signal lasts at most one sample.
 */
import { readFileSync } from 'node:fs';
import { formatProblem, readYaml, zodProblems } from '../config/load.js';
import type { Clock, TimerHandle } from '../device/clock.js';
import { SimError } from '../errors.js';
import { ExceptionCode, ModbusException } from '../modbus-pdu/exceptions.js';
import type { PointSpace } from '../modbus-pdu/point-space.js';
import { decode32, encode32, signed16, type Type32 } from '../modbus-pdu/words.js';
import {
  describeRange,
  fieldDeviceSchema,
  fitsPoint,
  sizeOf,
  toRaw,
  type FieldDeviceDefinition,
  type FieldPoint,
  type FieldTable,
} from './field-device-schema.js';
import type { FieldDeviceCounters, FieldPointView } from '../serial/contract.js';
import { createGenerator, type Generator } from './generators.js';
import { deriveSeed, mulberry32 } from './random.js';

/** One point's state: its definition, the raw value its registers hold, and its signal's timer. */
interface PointState {
  readonly point: FieldPoint;
  raw: number;
  generator: Generator | undefined;
  timer: TimerHandle | undefined;
}

/** A register address resolves to its point and which word of it (0 = lower address). */
interface Cell {
  readonly state: PointState;
  readonly word: 0 | 1;
}


// A point with its value, and the PointSpace calls served and refused: GET
// /sim/v1/serial/field-devices shows them, so they are declared in the serial contract.
export type FieldPointStatus = FieldPointView;
export type { FieldDeviceCounters };

export class FieldDevice implements PointSpace {
  readonly name: string;
  private readonly states = new Map<string, PointState>();
  private readonly cells: Record<FieldTable, Map<number, Cell>> = { coil: new Map(), discrete: new Map(), holding: new Map(), input: new Map() };
  private readonly highFirst: boolean;
  private readonly counts: FieldDeviceCounters = { reads: 0, writes: 0, refused: 0 };

  constructor(
    readonly definition: FieldDeviceDefinition,
    private readonly clock: Clock,
    private readonly seed: number,
  ) {
    this.name = definition.name;
    this.highFirst = definition.wordOrder === 'big';
    for (const point of definition.points) {
      const state: PointState = { point, raw: toRaw(point, point.value), generator: undefined, timer: undefined };
      this.states.set(point.name, state);
      for (let word = 0; word < sizeOf(point.type); word++) this.cells[point.table].set(point.address + word, { state, word: word as 0 | 1 });
    }
  }

  /** Starts every point's signal; each takes its first value now. Calling it again restarts them from t=0. */
  start(): void {
    this.stop();
    for (const state of this.states.values()) {
      const spec = state.point.signal;
      if (!spec) continue;
      const random = mulberry32(spec.kind === 'randomWalk' && spec.seed !== undefined ? spec.seed : deriveSeed(this.seed, state.point.name));
      state.generator = createGenerator(spec, random);
      state.raw = toRaw(state.point, state.generator.start());
      this.schedule(state);
    }
  }

  /** Clears every signal timer; values stay where they are. */
  stop(): void {
    for (const state of this.states.values()) {
      this.clock.clear(state.timer);
      state.timer = undefined;
      state.generator = undefined;
    }
  }

  /** The point's value in engineering units, as its registers hold it (rounded to the type). */
  get(name: string): number {
    return this.valueOf(this.state(name));
  }

  /** Sets a point's value as the field would (any table, writable or not); refuses what its type cannot hold. */
  set(name: string, value: number): void {
    const state = this.state(name);
    if (!fitsPoint(state.point, value)) {
      throw new SimError('DEVICE_VALUE_OUT_OF_RANGE', `${this.name}.${name}: ${value} is outside ${describeRange(state.point)}`, {
        context: { device: this.name, point: name, value },
      });
    }
    state.raw = toRaw(state.point, value);
  }

  /** Every point with its current value, in definition order, for the status API. */
  points(): FieldPointStatus[] {
    return [...this.states.values()].map((state) => ({
      name: state.point.name,
      table: state.point.table,
      address: state.point.address,
      type: state.point.type,
      unit: state.point.unit,
      writable: isWritable(state.point),
      value: this.valueOf(state),
    }));
  }

  get counters(): Readonly<FieldDeviceCounters> {
    return { ...this.counts };
  }

  readBits(table: 'coil' | 'discrete', address: number, quantity: number): Uint8Array {
    return this.serve('reads', () => {
      const out = new Uint8Array(quantity);
      for (let i = 0; i < quantity; i++) out[i] = this.cell(table, address + i).state.raw;
      return out;
    });
  }

  readRegisters(table: 'holding' | 'input', address: number, quantity: number, out: Buffer, offset: number): void {
    this.serve('reads', () => {
      // Check the whole span before writing into `out`, so a refused read leaves it untouched.
      const cells = Array.from({ length: quantity }, (_, i) => this.cell(table, address + i));
      for (const [i, cell] of cells.entries()) out.writeUInt16BE(this.encode(cell.state)[cell.word], offset + 2 * i);
    });
  }

  /** Checks every coil first and writes only if all are writable. */
  writeBits(address: number, values: ArrayLike<number>): void {
    this.serve('writes', () => {
      const cells = Array.from({ length: values.length }, (_, i) => this.writableCell('coil', address + i));
      for (const [i, cell] of cells.entries()) cell.state.raw = values[i] ? 1 : 0;
    });
  }

  /** Checks every register first; a write that covers one word of a 32-bit value keeps the other. */
  writeRegisters(address: number, words: ArrayLike<number>): void {
    this.serve('writes', () => {
      const cells = Array.from({ length: words.length }, (_, i) => this.writableCell('holding', address + i));
      const pending = new Map<PointState, [number, number]>();
      for (const [i, { state, word }] of cells.entries()) {
        const value = (words[i] as number) & 0xffff;
        if (sizeOf(state.point.type) === 1) {
          state.raw = state.point.type === 'int16' ? signed16(value) : value;
          continue;
        }
        let pair = pending.get(state);
        if (!pair) pending.set(state, (pair = this.encode(state)));
        pair[word] = value;
      }
      for (const [state, pair] of pending) state.raw = this.decode(state.point, pair);
    });
  }

  private serve<T>(kind: 'reads' | 'writes', fn: () => T): T {
    try {
      const result = fn();
      this.counts[kind]++;
      return result;
    } catch (error) {
      this.counts.refused++;
      throw error;
    }
  }

  private state(name: string): PointState {
    const state = this.states.get(name);
    if (!state) {
      throw new SimError('DEVICE_UNKNOWN_ATTRIBUTE', `${this.name} has no point ${name}`, { context: { device: this.name, point: name } });
    }
    return state;
  }

  private valueOf(state: PointState): number {
    const { point, raw } = state;
    return point.type === 'bool' || point.scale === undefined ? raw : raw * point.scale;
  }

  private cell(table: FieldTable, address: number): Cell {
    const cell = this.cells[table].get(address);
    if (!cell) throw new ModbusException(ExceptionCode.IllegalDataAddress, `${this.name}: no ${table} at ${address}`);
    return cell;
  }

  private writableCell(table: 'coil' | 'holding', address: number): Cell {
    const cell = this.cell(table, address);
    // As the device's own map does (src/modbus-pdu/exceptions.ts): a read-only point is ILLEGAL DATA ADDRESS.
    if (!isWritable(cell.state.point)) {
      throw new ModbusException(ExceptionCode.IllegalDataAddress, `${this.name}: ${table} ${address} (${cell.state.point.name}) is read-only`);
    }
    return cell;
  }

  /** The point's words in address order, honouring wordOrder for 32-bit types. */
  private encode(state: PointState): [number, number] {
    const { point, raw } = state;
    if (sizeOf(point.type) === 1) return [raw & 0xffff, 0];
    return encode32(raw, type32(point), this.highFirst);
  }

  private decode(point: FieldPoint, words: [number, number]): number {
    return decode32(words, type32(point), this.highFirst, point.type === 'int32');
  }

  private schedule(state: PointState): void {
    const generator = state.generator;
    const step = generator?.next();
    if (!generator || !step) {
      state.timer = undefined;
      return;
    }
    state.timer = this.clock.setTimeout(() => {
      if (state.generator !== generator) return;
      // The schema bounds every signal within its type, so the value always fits.
      state.raw = toRaw(state.point, step.value);
      this.schedule(state);
    }, step.delayMs);
  }
}

/** A 32-bit point as the shared word codec names it: float32 is a REAL, int32 and uint32 a DWORD (int32 decoded signed). */
function type32(point: FieldPoint): Type32 {
  return point.type === 'float32' ? 'float' : 'dword';
}

function isWritable(point: FieldPoint): boolean {
  return (point.table === 'coil' || point.table === 'holding') && point.writable !== false;
}

/**
 * Reads and validates a field device file (YAML or JSON). Every problem comes back at once as
 * `file: path: message` in the message and in `context.problems`, as profile files do.
 */
export function loadFieldDeviceFile(path: string): FieldDeviceDefinition {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const problems = [{ file: path, path: '(file)', message: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message }];
    throw new SimError('PROFILE_READ_FAILED', problems.map(formatProblem).join('\n'), { cause: error, context: { problems } });
  }
  const doc = readYaml(path, text);
  if (!doc.ok) throw new SimError('PROFILE_READ_FAILED', formatProblem(doc.problem), { context: { problems: [doc.problem] } });
  // jitless: a file is checked once; compiling zod's per-schema parsers would cost more (config/load.ts).
  const result = fieldDeviceSchema.safeParse(doc.value, { jitless: true });
  if (!result.success) {
    const problems = zodProblems(path, result.error);
    throw new SimError('PROFILE_INVALID', problems.map(formatProblem).join('\n'), { context: { problems } });
  }
  return result.data;
}
