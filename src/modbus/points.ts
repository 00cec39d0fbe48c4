/**
 * A Point is one Modbus value (a bit, a WORD, a DWORD or a REAL) read from and written to the
 * Device at request time: the map never keeps a copy of a channel's value.
 */
import type { Channel } from '../device/channel.js';
import type { PointType } from './tables.js';

export interface Point {
  readonly type: PointType;
  /** WORD/DWORD values that are signed on the device (internal registers, M-EZ p=120). */
  readonly signed: boolean;
  read(): number;
  /** Absent on a read-only point. */
  readonly write?: (value: number) => void;
  /** Throws what `write` would, changing nothing. */
  readonly check?: (value: number) => void;
}

/**
 * The module of a point: it answers only while the module is on the rail and healthy
 * (src/device/faults.ts). On every Modbus read of a module the check is one property test; the
 * refusal is built only when a fault is there.
 */
export interface PointGuard {
  readonly fault: unknown;
  refusal(): Error | null;
}

function pass(guard: PointGuard | undefined): void {
  if (guard && guard.fault !== null) throw guard.refusal()!;
}

/**
 * One attribute of one channel, as an object of a class rather than closures: a device has ~500
 * points, a fleet 1,000 devices, and the closures (with a spread per guarded point) were a tenth
 * of a fleet's start.
 */
class ReadPoint implements Point {
  constructor(
    protected readonly channel: Channel,
    protected readonly attribute: string,
    readonly type: PointType,
    readonly signed: boolean,
    private readonly guard: PointGuard | undefined,
  ) {}

  read(): number {
    this.pass();
    // attributePoint checked the attribute (channel.spec) when it made the point.
    return this.channel.readKnown(this.attribute);
  }

  protected pass(): void {
    pass(this.guard);
  }
}

class ReadWritePoint extends ReadPoint {
  write(value: number): void {
    this.pass();
    this.channel.write(this.attribute, value, 'modbus');
  }

  check(value: number): void {
    this.pass();
    this.channel.checkWrite(this.attribute, value);
  }
}

/** One attribute of one channel; with `guard`, refused while the channel's module is faulted. */
export function attributePoint(channel: Channel, attribute: string, type: PointType, signed = false, guard?: PointGuard): Point {
  return channel.spec(attribute).access === 'rw' ? new ReadWritePoint(channel, attribute, type, signed, guard) : new ReadPoint(channel, attribute, type, signed, guard);
}

/**
 * A bitmap WORD over the channels' attribute, bit n = channel n (ASSUMPTION on bit order). A
 * write touches only channels whose bit differs (so a pulse-mode DO whose bit is unchanged does
 * not refuse the whole word); for write-1-to-act attributes it acts on the 1 bits. Bits above
 * the channel count are ignored. With `guard`, refused while the channels' module is faulted.
 */
export function bitmapPoint(channels: readonly Channel[], attribute: string, guard?: PointGuard): Point {
  const read = () => {
    pass(guard);
    return channels.reduce((word, ch, i) => word | ((ch.read(attribute) & 1) << i), 0);
  };
  const first = channels[0];
  if (!first || first.spec(attribute).access !== 'rw') return { type: 'word', signed: false, read };
  const action = first.spec(attribute).action === true;
  const changes = (value: number) =>
    channels
      .map((ch, i) => ({ ch, bit: (value >>> i) & 1 }))
      .filter(({ ch, bit }) => (action ? bit === 1 : bit !== ch.read(attribute)));
  return {
    type: 'word',
    signed: false,
    read,
    check: (value) => {
      pass(guard);
      changes(value).forEach(({ ch, bit }) => ch.checkWrite(attribute, bit));
    },
    write: (value) => {
      pass(guard);
      changes(value).forEach(({ ch, bit }) => ch.write(attribute, bit, 'modbus'));
    },
  };
}

/** A read-only value; `signed` when it stands in a signed block (an unused internal register reads 0 but is listed signed as its neighbours are). */
export function constantPoint(type: PointType, read: () => number, signed = false): Point {
  return { type, signed, read };
}

/** ASCII text packed two characters a register, first character in the high byte, 0-padded. */
export function textPoints(text: () => string, registers: number): Point[] {
  return Array.from({ length: registers }, (_, i) =>
    constantPoint('word', () => {
      const s = text();
      // charCodeAt past the end is NaN, and NaN & 0xff is 0: the padding.
      return ((s.charCodeAt(2 * i) & 0xff) << 8) | (s.charCodeAt(2 * i + 1) & 0xff);
    }),
  );
}

/** Raw bytes packed two a register, first byte in the high byte, 0-padded. */
export function bytePoints(bytes: () => number[], registers: number): Point[] {
  return Array.from({ length: registers }, (_, i) =>
    constantPoint('word', () => {
      const b = bytes();
      return ((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0);
    }),
  );
}
