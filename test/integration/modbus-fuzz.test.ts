/**
 * Fuzz: a fixed-seed PRNG (mulberry32) builds a few thousand frames from valid requests of every
 * function code and mutates them (flipped bytes, truncation, extension, random function codes,
 * quantities, addresses and byte counts, bad MBAP headers), sent in pipelined batches over a
 * device with every module type. Oracle:
 *   - a frame with a valid MBAP header gets exactly one reply, in order, with its transaction
 *     id: a well-formed normal response, or exception fc|0x80 with code 1..3 (1 for an unknown
 *     function, 3 for a structurally bad request);
 *   - only a frame with an invalid header (protocol id, length outside 2..254) closes the
 *     connection, after the frames before it in the batch are answered;
 *   - afterwards a well-behaved client is served correctly, every mapped address still reads,
 *     and the server's counters add up.
 * A failure names the seed and the frame.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/sim/random.js';
import { closeClients, encodeFrame, floatWords, readPdu, wordsFloat, wordsOf, wordsText, writeRegistersPdu, type Frame, type RawModbusClient } from '../helpers/modbus-client.js';
import { startModbus, stopModbus, type ModbusHarness } from '../helpers/modbus-harness.js';

const SEED = 0x4510;
const FRAMES = 8000;

afterEach(async () => {
  await closeClients();
  await stopModbus();
});

const PROFILE = {
  device: { serialNumber: 'TAGCB1100001' },
  slots: [
    { slot: 1, module: '45MR-1600', channels: [{ index: 0, mode: 'counter' }] },
    { slot: 2, module: '45MR-2600', channels: [{ index: 1, mode: 'pulse' }] },
    { slot: 3, module: '45MR-2606' },
    { slot: 4, module: '45MR-2404' },
    { slot: 5, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA-burnout', physical: 1 }] },
    { slot: 6, module: '45MR-3810' },
    { slot: 7, module: '45MR-4420' },
    { slot: 8, module: '45MR-6600' },
    { slot: 9, module: '45MR-6810' },
    { slot: 10, module: '45MR-7210' },
    { slot: 11, module: '45MR-1601' },
    { slot: 12, module: '45MR-2601' },
  ],
};

const SUPPORTED = new Set([1, 2, 3, 4, 5, 6, 15, 16, 23]);
const READ_LIMIT: Record<number, number> = { 1: 2000, 2: 2000, 3: 125, 4: 125 };

/** What the request's own bytes say, before any address is looked up. */
function structurallyValid(req: Buffer): boolean {
  const fc = req[0];
  const u16 = (at: number) => (req.length >= at + 2 ? req.readUInt16BE(at) : -1);
  switch (fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      return req.length === 5 && u16(3) >= 1 && u16(3) <= READ_LIMIT[fc]!;
    case 5:
      return req.length === 5 && (u16(3) === 0xff00 || u16(3) === 0);
    case 6:
      return req.length === 5;
    case 15: {
      const q = u16(3);
      return req.length >= 7 && q >= 1 && q <= 1968 && req[5] === Math.ceil(q / 8) && req.length === 6 + req[5]!;
    }
    case 16: {
      const q = u16(3);
      return req.length >= 8 && q >= 1 && q <= 123 && req[5] === 2 * q && req.length === 6 + req[5]!;
    }
    case 23: {
      const rq = u16(3);
      const wq = u16(7);
      return req.length >= 12 && rq >= 1 && rq <= 125 && wq >= 1 && wq <= 121 && req[9] === 2 * wq && req.length === 10 + req[9]!;
    }
    default:
      return false;
  }
}

/** Returns why `frame` is not an acceptable reply to `req`, or undefined when it is. */
function judge(req: Buffer, unit: number, tid: number, frame: Frame): string | undefined {
  const fc = req[0] as number;
  if (frame.tid !== tid) return `transaction id ${frame.tid}, expected ${tid}`;
  if (frame.protocol !== 0) return `protocol id ${frame.protocol}`;
  if (frame.unit !== unit) return `unit ${frame.unit}, expected ${unit}`;
  const pdu = frame.pdu;
  const valid = structurallyValid(req);
  if ((pdu[0] as number) & 0x80) {
    if (pdu.length !== 2) return `exception PDU of ${pdu.length} bytes`;
    if (pdu[0] !== ((fc | 0x80) & 0xff)) return `exception for FC ${pdu[0]! & 0x7f}, request FC ${fc}`;
    const code = pdu[1] as number;
    if (code < 1 || code > 4) return `exception code ${code}`;
    if (code === 4) return 'exception 4 (an unexpected failure in the device model)';
    if (!SUPPORTED.has(fc)) return code === 1 ? undefined : `exception ${code} for unsupported FC ${fc}`;
    if (code === 1) return `exception 1 for supported FC ${fc}`;
    if (!valid && code !== 3) return `exception ${code} for a structurally bad request`;
    if (valid && fc <= 4 && code !== 2) return `exception ${code} for a well-formed read`;
    return undefined;
  }
  if (!SUPPORTED.has(fc)) return `normal response to unsupported FC ${fc}`;
  if (!valid) return 'normal response to a structurally bad request';
  if (pdu[0] !== fc) return `response FC ${pdu[0]}`;
  switch (fc) {
    case 1:
    case 2: {
      const q = req.readUInt16BE(3);
      const bytes = Math.ceil(q / 8);
      if (pdu[1] !== bytes || pdu.length !== 2 + bytes) return `bit response of ${pdu.length} bytes for ${q} bits`;
      if (q % 8 !== 0 && (pdu[pdu.length - 1] as number) >> (q % 8) !== 0) return 'padding bits set';
      return undefined;
    }
    case 3:
    case 4:
    case 23: {
      const q = req.readUInt16BE(3);
      return pdu[1] === 2 * q && pdu.length === 2 + 2 * q ? undefined : `register response of ${pdu.length} bytes for ${q} registers`;
    }
    case 5:
    case 6:
      return pdu.equals(req) ? undefined : 'FC 5/6 reply is not an echo';
    default:
      return pdu.equals(req.subarray(0, 5)) ? undefined : 'FC 15/16 reply is not the echo of address and quantity';
  }
}

class Fuzzer {
  private readonly rand = mulberry32(SEED);
  private readonly addresses: Record<'coil' | 'discrete' | 'holding' | 'input', number[]>;

  constructor(h: ModbusHarness) {
    const map = h.service.map();
    const of = (table: string) => map.filter((r) => r.table === table).map((r) => r.address);
    this.addresses = { coil: of('coil'), discrete: of('discrete'), holding: of('holding'), input: of('input') };
  }

  int(n: number): number {
    return Math.floor(this.rand() * n);
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  bytes(n: number): number[] {
    return Array.from({ length: n }, () => this.int(256));
  }

  /** Mostly a mapped address (give or take a few), sometimes any. */
  address(table: 'coil' | 'discrete' | 'holding' | 'input'): number {
    if (this.chance(0.1)) return this.int(0x10000);
    const list = this.addresses[table];
    return Math.min(0xffff, Math.max(0, list[this.int(list.length)]! + this.int(5) - 2));
  }

  quantity(max: number): number {
    return this.chance(0.8) ? 1 + this.int(Math.min(max, 12)) : 1 + this.int(max);
  }

  /** A valid request of a random supported function code. */
  valid(): Buffer {
    const fc = [1, 2, 3, 4, 5, 6, 15, 16, 23][this.int(9)]!;
    const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
    switch (fc) {
      case 1:
        return readPdu(1, this.address('coil'), this.quantity(2000));
      case 2:
        return readPdu(2, this.address('discrete'), this.quantity(2000));
      case 3:
        return readPdu(3, this.address('holding'), this.quantity(125));
      case 4:
        return readPdu(4, this.address('input'), this.quantity(125));
      case 5:
        return Buffer.from([5, ...u16(this.address('coil')), this.chance(0.5) ? 0xff : 0, 0]);
      case 6:
        return Buffer.from([6, ...u16(this.address('holding')), ...this.bytes(2)]);
      case 15: {
        const q = this.quantity(1968);
        return Buffer.from([15, ...u16(this.address('coil')), ...u16(q), Math.ceil(q / 8), ...this.bytes(Math.ceil(q / 8))]);
      }
      case 16: {
        const q = this.quantity(123);
        return Buffer.from([16, ...u16(this.address('holding')), ...u16(q), 2 * q, ...this.bytes(2 * q)]);
      }
      default: {
        const w = this.quantity(121);
        return Buffer.from([23, ...u16(this.address('holding')), ...u16(this.quantity(125)), ...u16(this.address('holding')), ...u16(w), 2 * w, ...this.bytes(2 * w)]);
      }
    }
  }

  /** A mutated PDU (the MBAP length always matches it; header faults are made separately). */
  mutate(pdu: Buffer): Buffer {
    const out = Buffer.from(pdu);
    switch (this.int(8)) {
      case 0:
        return out;
      case 1: // flip 1..3 bytes
        for (let i = 0, n = 1 + this.int(3); i < n; i++) out[this.int(out.length)] = this.int(256);
        return out;
      case 2: // truncate, keeping at least the function code
        return out.subarray(0, 1 + this.int(out.length - 1));
      case 3: // extend, up to the 253-byte PDU limit
        return Buffer.concat([out, Buffer.from(this.bytes(1 + this.int(Math.min(20, 253 - out.length))))]).subarray(0, 253);
      case 4: // any function code
        out[0] = this.int(256);
        return out;
      case 5: // any quantity
        if (out.length >= 5) out.writeUInt16BE(this.chance(0.3) ? [0, 0xffff, 2001, 126, 124, 1969, 122][this.int(7)]! : this.int(0x10000), 3);
        return out;
      case 6: // any address
        if (out.length >= 3) out.writeUInt16BE(this.chance(0.3) ? 0xffff : this.int(0x10000), 1);
        return out;
      default: // any byte count
        if (out[0] === 23 && out.length > 9) out[9] = this.int(256);
        else if (out.length > 5) out[5] = this.int(256);
        return out;
    }
  }

  /** A frame whose MBAP header the server must reject. */
  badHeader(tid: number, pdu: Buffer): Buffer {
    const frame = encodeFrame(tid, 1, pdu);
    switch (this.int(3)) {
      case 0:
        frame.writeUInt16BE(1 + this.int(0xffff), 2);
        return frame;
      case 1:
        frame.writeUInt16BE(this.int(2), 4);
        return frame;
      default:
        frame.writeUInt16BE(255 + this.int(0x10000 - 255), 4);
        return frame;
    }
  }
}

/** The reply to `tid`, or 'closed' if the connection closes first. */
function outcome(c: RawModbusClient, tid: number): Promise<Frame | 'closed'> {
  return c.response(tid).catch(() => 'closed' as const);
}

describe('fuzz', () => {
  it(`answers ${FRAMES} mutated frames (seed 0x${SEED.toString(16)}) with well-formed replies, and closes only on bad headers`, async () => {
    const h = await startModbus(PROFILE);
    const f = new Fuzzer(h);
    let c = await h.connect();
    const tally = { sent: 0, answered: 0, exceptions: 0, badHeaders: 0, connections: 1 };
    while (tally.sent < FRAMES) {
      // A batch of frames in one write; the last one may carry a bad header.
      const size = 1 + f.int(6);
      const batch: { tid: number; unit: number; req: Buffer }[] = [];
      const chunks: Buffer[] = [];
      for (let i = 0; i < size; i++) {
        const req = f.mutate(f.valid());
        const unit = f.chance(0.1) ? f.int(256) : 1;
        const tid = c.tid();
        batch.push({ tid, unit, req });
        chunks.push(encodeFrame(tid, unit, req));
      }
      const bad = f.chance(0.08);
      const badFrame = bad ? f.badHeader(c.tid(), f.valid()) : undefined;
      if (badFrame) chunks.push(badFrame);
      c.writeRaw(Buffer.concat(chunks));
      tally.sent += chunks.length;
      for (const { tid, unit, req } of batch) {
        const reply = await outcome(c, tid);
        const where = `seed 0x${SEED.toString(16)} frame ${tally.answered + tally.badHeaders}: request ${req.toString('hex')} unit ${unit}`;
        if (reply === 'closed') throw new Error(`${where}: the server closed the connection after a frame with a valid header`);
        expect(judge(req, unit, tid, reply), where).toBeUndefined();
        tally.answered += 1;
        if ((reply.pdu[0] as number) & 0x80) tally.exceptions += 1;
      }
      expect(c.received.at(-1)?.tid).toBe(batch.at(-1)!.tid);
      if (badFrame) {
        await c.closed;
        expect(c.framingError).toBeUndefined();
        tally.badHeaders += 1;
        c = await h.connect();
        tally.connections += 1;
      }
    }
    // Both kinds of outcome were exercised in earnest.
    expect(tally.badHeaders).toBeGreaterThan(50);
    expect(tally.exceptions).toBeGreaterThan(FRAMES / 4);
    expect(tally.answered - tally.exceptions).toBeGreaterThan(FRAMES / 10);

    // A well-behaved client on a fresh connection.
    const good = await h.connect();
    tally.connections += 1;
    const fir = h.at(0, 'firValue');
    await good.call(writeRegistersPdu(fir, floatWords(2.5)));
    expect(wordsFloat(await good.readWords(3, fir, 2))).toBe(2.5);
    expect(wordsText(await good.readWords(4, h.at(0, 'serialNumber'), 6))).toBe('TAGCB1100001');
    let goodRequests = 3;
    // Every mapped address still reads, in chunks (the tables are packed from 0).
    for (const [fc, table, limit] of [
      [1, 'coil', 2000],
      [2, 'discrete', 2000],
      [3, 'holding', 125],
      [4, 'input', 125],
    ] as const) {
      const rows = h.service.map().filter((r) => r.table === table);
      const end = Math.max(...rows.map((r) => r.address + r.length));
      for (let at = 0; at < end; at += limit) {
        const pdu = await good.call(readPdu(fc, at, Math.min(limit, end - at)));
        if (fc >= 3) expect(wordsOf(pdu)).toHaveLength(Math.min(limit, end - at));
        goodRequests += 1;
      }
    }
    expect(h.service.stats()).toEqual({
      connections: 2,
      accepted: tally.connections,
      refusedByList: 0,
      refusedByLimit: 0,
      requests: tally.answered + goodRequests,
      exceptions: tally.exceptions,
      malformed: tally.badHeaders,
      watchdogAlarm: false,
      // The fuzzer reads every reply: never held back (#14 point 6).
      paused: 0,
      pendingReplyBytesPeak: expect.any(Number),
      enabled: true,
    });
  });
});
