/**
 * The Modbus address map: every module's block (tables.ts) and the system block placed at a
 * base address per slot and point type, resolved to Points that read and write the Device.
 *
 *   slot blocks ─► base addresses (default: packed in slot order; profile overrides) ─► cells
 *   request (table, address, quantity) ─► cells ─► Points ─► Device
 *
 * A range that touches an address with no point is ILLEGAL DATA ADDRESS as a whole.
 */
import type { Device } from '../device/device.js';
import type { IoModule } from '../device/module.js';
import { SimError } from '../errors.js';
import { exceptionFor, ExceptionCode, ModbusException } from '../modbus-pdu/exceptions.js';
import { decode32, encode32, signed16 } from '../modbus-pdu/words.js';
import { attributePoint, bitmapPoint, type Point } from './points.js';
import type { PointSpace } from '../modbus-pdu/point-space.js';
import { systemBlock, type BlockEntry } from './system-block.js';
import type { MapRow, SlotBase } from './contract.js';
import { moduleTable, type PointTable, type PointType } from './tables.js';

export const POINT_TABLES: readonly PointTable[] = ['coil', 'discrete', 'holding', 'input'];

// A row of the table `iothinx-sim map` prints and /sim/v1/modbus/map returns, and a slot's base
// addresses: shapes of the emulator API, declared in the contract.
export type { MapRow, SlotBase };

export type BaseOverride = { slot: number } & Partial<Record<PointTable, number>>;

export interface AddressMapOptions {
  wordOrder: 'high-first' | 'low-first';
  baseAddresses: readonly BaseOverride[];
}

interface RegisterCell {
  point: Point;
  /** -1 a single WORD; 0 / 1 the first / second register of a 32-bit value on the wire. */
  part: -1 | 0 | 1;
}

function registersPer(type: PointType): number {
  return type === 'dword' || type === 'float' ? 2 : 1;
}

/** Each point of a slot's block with its address and width in registers, in map order. */
function eachPlacement(entries: readonly BlockEntry[], base: SlotBase, visit: (entry: BlockEntry, i: number, address: number, per: number) => void): void {
  const offset: Record<PointTable, number> = { coil: 0, discrete: 0, holding: 0, input: 0 };
  for (const entry of entries) {
    const per = registersPer(entry.type);
    for (let i = 0; i < entry.points.length; i++) {
      visit(entry, i, base[entry.table] + offset[entry.table], per);
      offset[entry.table] += per;
    }
  }
}

function moduleBlock(module: IoModule): BlockEntry[] {
  return moduleTable(module.model).map((row) => {
    const channels = module.channelsOf(row.channelType).slice(0, row.count);
    if (row.all) return { parameter: row.parameter, table: row.table, type: 'word', points: [bitmapPoint(channels, row.attribute, module)], ioNames: [module.name] };
    return {
      parameter: row.parameter,
      table: row.table,
      type: row.type,
      points: channels.map((ch) => attributePoint(ch, row.attribute, row.type, false, module)),
      ioNames: channels.map((ch) => ch.ioName),
    };
  });
}

function blockSize(entries: readonly BlockEntry[], table: PointTable): number {
  return entries.filter((e) => e.table === table).reduce((n, e) => n + e.points.length * registersPer(e.type), 0);
}

export class AddressMap implements PointSpace {
  readonly bases: SlotBase[] = [];
  /** Each block's entries at its base, in placing order: what `rows` lists. */
  private readonly placed: { entries: readonly BlockEntry[]; base: SlotBase }[] = [];
  private rowsOnce: MapRow[] | undefined;
  private readonly bits: Record<'coil' | 'discrete', (Point | undefined)[]> = { coil: [], discrete: [] };
  private readonly registers: Record<'holding' | 'input', (RegisterCell | undefined)[]> = { holding: [], input: [] };
  private readonly highFirst: boolean;

  constructor(device: Device, options: AddressMapOptions) {
    this.highFirst = options.wordOrder === 'high-first';
    const blocks = [{ slot: 0, entries: systemBlock(device) }, ...device.modules.map((m) => ({ slot: m.slot, entries: moduleBlock(m) }))];
    const cursor: Record<PointTable, number> = { coil: 0, discrete: 0, holding: 0, input: 0 };
    const issues: { path: (string | number)[]; message: string }[] = [];
    const taken: Record<PointTable, { slot: number; from: number; to: number }[]> = { coil: [], discrete: [], holding: [], input: [] };
    for (const block of blocks) {
      const overrideAt = options.baseAddresses.findIndex((b) => b.slot === block.slot);
      const override = options.baseAddresses[overrideAt];
      const base = { slot: block.slot } as SlotBase;
      for (const table of POINT_TABLES) {
        const size = blockSize(block.entries, table);
        const start = override?.[table] ?? cursor[table];
        base[table] = start;
        if (size === 0) continue;
        const end = start + size;
        cursor[table] = Math.max(cursor[table], end);
        // A block placed by the default rule has no override to name (it was pushed by an earlier one).
        const path = overrideAt >= 0 ? ['modbus', 'baseAddresses', overrideAt, table] : ['modbus', 'baseAddresses'];
        if (end > 65_536) issues.push({ path, message: `slot ${block.slot}'s ${table} block (${size} long) at ${start} runs past address 65535` });
        const clash = taken[table].find((t) => start < t.to && t.from < end);
        if (clash) issues.push({ path, message: `slot ${block.slot}'s ${table} block ${start}..${end - 1} overlaps slot ${clash.slot}'s ${clash.from}..${clash.to - 1}` });
        taken[table].push({ slot: block.slot, from: start, to: end });
      }
      this.bases.push(base);
      this.place(block.entries, base);
      this.placed.push({ entries: block.entries, base });
    }
    for (const [i, o] of options.baseAddresses.entries()) {
      if (!blocks.some((b) => b.slot === o.slot)) issues.push({ path: ['modbus', 'baseAddresses', i, 'slot'], message: `no module in slot ${o.slot}` });
    }
    if (issues.length > 0) {
      throw new SimError('PROFILE_INVALID', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { context: { issues } });
    }
  }

  /** Every point as the map lists it, by table then address; built when first asked for (a fleet builds 1,000 maps that are rarely listed). */
  get rows(): MapRow[] {
    if (!this.rowsOnce) {
      const rows: MapRow[] = [];
      for (const { entries, base } of this.placed) {
        eachPlacement(entries, base, (entry, i, address, per) => rows.push({ slot: base.slot, ioName: entry.ioNames[i] ?? '', parameter: entry.parameter, table: entry.table, address, length: per, type: entry.type, signed: entry.points[i]?.signed ?? false }));
      }
      this.rowsOnce = rows.sort((a, b) => POINT_TABLES.indexOf(a.table) - POINT_TABLES.indexOf(b.table) || a.address - b.address);
    }
    return this.rowsOnce;
  }

  readBits(table: 'coil' | 'discrete', address: number, quantity: number): Uint8Array {
    const cells = this.bits[table];
    const out = new Uint8Array(quantity);
    for (let i = 0; i < quantity; i++) {
      const point = cells[address + i];
      if (!point) throw new ModbusException(ExceptionCode.IllegalDataAddress, `no ${table} at ${address + i}`);
      out[i] = point.read() ? 1 : 0;
    }
    return out;
  }

  /** Fills `out` (big-endian registers) from `offset`. */
  readRegisters(table: 'holding' | 'input', address: number, quantity: number, out: Buffer, offset: number): void {
    const cells = this.registers[table];
    let lastPoint: Point | undefined;
    let words: [number, number] = [0, 0];
    for (let i = 0; i < quantity; i++) {
      const cell = cells[address + i];
      if (!cell) throw new ModbusException(ExceptionCode.IllegalDataAddress, `no ${table} register at ${address + i}`);
      let word: number;
      if (cell.part === -1) word = cell.point.read() & 0xffff;
      else {
        // Both halves of a 32-bit value come from one read, so they always match.
        if (cell.point !== lastPoint) {
          words = this.encode32(cell.point);
          lastPoint = cell.point;
        }
        word = words[cell.part];
      }
      // By hand: writeUInt16BE validates its arguments on every call, a tenth of a read's time.
      out[offset + 2 * i] = word >>> 8;
      out[offset + 2 * i + 1] = word & 0xff;
    }
  }

  /**
   * Checks every bit first; writes only if all are accepted. A bit equal to the point's current
   * value is skipped (a no-op, also for write-1-to-act points, which read 0), so FC 15 over 16
   * DOs does not fail on a pulse-mode DO whose bit it leaves alone, as doStatusAll does not.
   */
  writeBits(address: number, values: ArrayLike<number>): void {
    const writes: [Point, number][] = [];
    for (let i = 0; i < values.length; i++) {
      const point = this.bits.coil[address + i];
      if (!point) throw new ModbusException(ExceptionCode.IllegalDataAddress, `no coil at ${address + i}`);
      if (!point.write) throw new ModbusException(ExceptionCode.IllegalDataAddress, `coil ${address + i} is read-only`);
      const value = values[i] as number;
      if (value !== point.read()) writes.push([point, value]);
    }
    this.commit(writes);
  }

  /** Checks every register first; a write that covers one half of a 32-bit value keeps the other. */
  writeRegisters(address: number, words: ArrayLike<number>): void {
    const pending = new Map<Point, [number, number]>();
    const writes: [Point, number][] = [];
    for (let i = 0; i < words.length; i++) {
      const cell = this.registers.holding[address + i];
      if (!cell) throw new ModbusException(ExceptionCode.IllegalDataAddress, `no holding register at ${address + i}`);
      if (!cell.point.write) throw new ModbusException(ExceptionCode.IllegalDataAddress, `holding register ${address + i} is read-only`);
      const word = words[i] as number;
      if (cell.part === -1) {
        writes.push([cell.point, cell.point.signed ? signed16(word) : word]);
      } else {
        let halves = pending.get(cell.point);
        if (!halves) {
          halves = this.encode32(cell.point);
          pending.set(cell.point, halves);
          writes.push([cell.point, NaN]);
        }
        halves[cell.part] = word;
      }
    }
    this.commit(writes.map(([point, value]) => [point, Number.isNaN(value) ? this.decode32(point, pending.get(point)!) : value]));
  }

  private commit(writes: [Point, number][]): void {
    try {
      for (const [point, value] of writes) point.check?.(value);
      for (const [point, value] of writes) point.write?.(value);
    } catch (error) {
      throw exceptionFor(error);
    }
  }

  private encode32(point: Point): [number, number] {
    return encode32(point.read(), point.type === 'float' ? 'float' : 'dword', this.highFirst);
  }

  private decode32(point: Point, words: [number, number]): number {
    return decode32(words, point.type === 'float' ? 'float' : 'dword', this.highFirst, point.signed);
  }

  private place(entries: readonly BlockEntry[], base: SlotBase): void {
    eachPlacement(entries, base, (entry, i, address, per) => {
      const point = entry.points[i]!;
      if (entry.table === 'coil' || entry.table === 'discrete') this.bits[entry.table][address] = point;
      else if (per === 1) this.registers[entry.table][address] = { point, part: -1 };
      else {
        this.registers[entry.table][address] = { point, part: 0 };
        this.registers[entry.table][address + 1] = { point, part: 1 };
      }
    });
  }

}
