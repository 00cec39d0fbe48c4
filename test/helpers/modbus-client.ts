/**
 * A tiny raw Modbus/TCP client on node:net for integration tests: it sends whatever bytes a test
 * builds (valid or not), splits the reply stream into MBAP frames, and hands each frame to whoever
 * awaits its transaction id. Several frames can go out in one write (pipelining), and the local
 * address can be bound (accessible-IP tests). Every client is tracked so that afterEach can
 * destroy what a test left open; nothing here waits on the wall clock.
 *
 *   send(frames) ─► one socket.write ─► server
 *   data ─► MBAP splitter ─► received[] ─► waiter for that transaction id (or kept unclaimed)
 *   close ─► every pending waiter rejects with "closed"
 */
import { connect, type Socket } from 'node:net';
import { decode32, encode32 } from '../../src/modbus-pdu/words.js';

export interface Frame {
  tid: number;
  /** Protocol id as received (0 for Modbus). */
  protocol: number;
  unit: number;
  pdu: Buffer;
}

export interface ConnectOptions {
  host?: string;
  localAddress?: string;
}

/** Builds one ADU: MBAP header (length = unit id + PDU) and the PDU. */
export function encodeFrame(tid: number, unit: number, pdu: Buffer | readonly number[], protocol = 0): Buffer {
  const body = Buffer.from(pdu);
  const out = Buffer.alloc(7 + body.length);
  out.writeUInt16BE(tid & 0xffff, 0);
  out.writeUInt16BE(protocol, 2);
  out.writeUInt16BE(body.length + 1, 4);
  out[6] = unit;
  body.copy(out, 7);
  return out;
}

// ---- request PDUs -------------------------------------------------------------------------

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

/** FC 1-4: read `quantity` from `address`. */
export function readPdu(fc: number, address: number, quantity: number): Buffer {
  return Buffer.from([fc, ...u16(address), ...u16(quantity)]);
}

/** FC 5: `value` true/false for 0xFF00/0x0000, or a raw 16-bit value. */
export function writeCoilPdu(address: number, value: boolean | number): Buffer {
  const raw = typeof value === 'boolean' ? (value ? 0xff00 : 0x0000) : value;
  return Buffer.from([5, ...u16(address), ...u16(raw)]);
}

/** FC 6. */
export function writeRegisterPdu(address: number, value: number): Buffer {
  return Buffer.from([6, ...u16(address), ...u16(value)]);
}

/** FC 15; `byteCount` overrides the computed one (for mismatch tests). */
export function writeCoilsPdu(address: number, bits: readonly number[], byteCount?: number): Buffer {
  const bytes = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((bit, i) => {
    if (bit) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return Buffer.concat([Buffer.from([15, ...u16(address), ...u16(bits.length), byteCount ?? bytes.length]), bytes]);
}

/** FC 16; `quantity` and `byteCount` override the computed ones (for limit and mismatch tests). */
export function writeRegistersPdu(address: number, words: readonly number[], override: { quantity?: number; byteCount?: number } = {}): Buffer {
  return Buffer.from([16, ...u16(address), ...u16(override.quantity ?? words.length), override.byteCount ?? 2 * words.length, ...words.flatMap(u16)]);
}

/** FC 23: write `words` at `writeAddress`, then read `readQuantity` from `readAddress`. */
export function readWritePdu(
  readAddress: number,
  readQuantity: number,
  writeAddress: number,
  words: readonly number[],
  override: { writeQuantity?: number; byteCount?: number } = {},
): Buffer {
  return Buffer.from([
    23,
    ...u16(readAddress),
    ...u16(readQuantity),
    ...u16(writeAddress),
    ...u16(override.writeQuantity ?? words.length),
    override.byteCount ?? 2 * words.length,
    ...words.flatMap(u16),
  ]);
}

// ---- response decoding --------------------------------------------------------------------

/** The exception code of an exception response, undefined for a normal one. */
export function exceptionCode(frame: Frame): number | undefined {
  return (frame.pdu[0] as number) & 0x80 ? frame.pdu[1] : undefined;
}

/** Bits of an FC 1/2 response. */
export function bitsOf(pdu: Buffer, quantity: number): number[] {
  return Array.from({ length: quantity }, (_, i) => ((pdu[2 + (i >> 3)] as number) >> (i & 7)) & 1);
}

/** Registers of an FC 3/4/23 response. */
export function wordsOf(pdu: Buffer): number[] {
  const count = (pdu[1] as number) / 2;
  return Array.from({ length: count }, (_, i) => pdu.readUInt16BE(2 + 2 * i));
}

// The 32-bit codec is the device's own (src/modbus-pdu/words.ts), pinned against independently
// built words in test/unit/words.test.ts.

/** Two registers of a 32-bit unsigned value, high word first unless `lowFirst`. */
export function dwordWords(value: number, lowFirst = false): [number, number] {
  return encode32(value, 'dword', !lowFirst);
}

export function wordsDword(words: readonly number[], lowFirst = false): number {
  return decode32(pair(words), 'dword', !lowFirst);
}

export function floatWords(value: number, lowFirst = false): [number, number] {
  return encode32(value, 'float', !lowFirst);
}

export function wordsFloat(words: readonly number[], lowFirst = false): number {
  return decode32(pair(words), 'float', !lowFirst);
}

function pair(words: readonly number[]): [number, number] {
  return [words[0] ?? 0, words[1] ?? 0];
}

/** ASCII text packed two characters a register, high byte first, NULs dropped. */
export function wordsText(words: readonly number[]): string {
  return Buffer.from(words.flatMap(u16)).toString('latin1').replace(/\0+$/, '');
}

// ---- the client ---------------------------------------------------------------------------

export class ModbusResponseError extends Error {
  constructor(readonly code: number) {
    super(`Modbus exception ${code}`);
  }
}

interface Waiter {
  tid: number;
  resolve(frame: Frame): void;
  reject(error: Error): void;
}

const clients = new Set<RawModbusClient>();

export class RawModbusClient {
  /** Every frame received, in arrival order. */
  readonly received: Frame[] = [];
  /** Resolves when the socket has closed (either side). */
  readonly closed: Promise<void>;
  bytesReceived = 0;
  isClosed = false;
  /** Socket errors seen (ECONNRESET on a refused connection, say). */
  readonly errors: Error[] = [];
  /** Set if the server sent bytes that are not MBAP frames. */
  framingError: string | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly unclaimed = new Map<number, Frame[]>();
  private waiters: Waiter[] = [];
  private nextTid = 1;

  private constructor(readonly socket: Socket) {
    clients.add(this);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.errors.push(error));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        clients.delete(this);
        for (const w of this.waiters) w.reject(new Error(`connection closed before the reply to transaction ${w.tid}`));
        this.waiters = [];
        resolve();
      }),
    );
  }

  /** Starts connecting and returns at once; for connections the server is expected to refuse. */
  static open(port: number, options: ConnectOptions = {}): RawModbusClient {
    const socket = connect({ port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
    socket.setNoDelay(true);
    return new RawModbusClient(socket);
  }

  /** Resolves once the TCP connection is up (the server may still refuse it right after). */
  static connect(port: number, options: ConnectOptions = {}): Promise<RawModbusClient> {
    const client = RawModbusClient.open(port, options);
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => reject(error);
      client.socket.once('error', fail);
      client.socket.once('connect', () => {
        client.socket.off('error', fail);
        resolve(client);
      });
    });
  }

  /** The local address and port, as the server sees the peer. */
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** A fresh transaction id (wraps at 65535). */
  tid(): number {
    const tid = this.nextTid;
    this.nextTid = (this.nextTid + 1) & 0xffff;
    return tid;
  }

  /** Writes raw bytes as one write. */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Sends every PDU as its own frame, all in one write; returns their transaction ids. */
  sendPipelined(pdus: readonly Buffer[], unit = 1): number[] {
    const tids = pdus.map(() => this.tid());
    this.writeRaw(Buffer.concat(pdus.map((pdu, i) => encodeFrame(tids[i]!, unit, pdu))));
    return tids;
  }

  /** Resolves with the frame carrying `tid`; rejects if the connection closes first. */
  response(tid: number): Promise<Frame> {
    const queue = this.unclaimed.get(tid);
    const frame = queue?.shift();
    if (frame) return Promise.resolve(frame);
    if (this.isClosed) return Promise.reject(new Error(`connection closed before the reply to transaction ${tid}`));
    return new Promise((resolve, reject) => this.waiters.push({ tid, resolve, reject }));
  }

  /** Sends one request and awaits its reply frame. */
  request(pdu: Buffer | readonly number[], unit = 1): Promise<Frame> {
    const tid = this.tid();
    this.writeRaw(encodeFrame(tid, unit, pdu));
    return this.response(tid);
  }

  /** Sends one request; resolves with the normal response PDU, rejects with ModbusResponseError on an exception. */
  async call(pdu: Buffer, unit = 1): Promise<Buffer> {
    const frame = await this.request(pdu, unit);
    const code = exceptionCode(frame);
    if (code !== undefined) throw new ModbusResponseError(code);
    return frame.pdu;
  }

  /** Sends one request that must fail; resolves with the exception code (checking the echoed FC). */
  async exception(pdu: Buffer): Promise<number> {
    const frame = await this.request(pdu);
    const code = exceptionCode(frame);
    if (code === undefined) throw new Error(`expected an exception to FC ${pdu[0]}, got a normal response ${frame.pdu.toString('hex')}`);
    if (frame.pdu[0] !== (((pdu[0] as number) | 0x80) & 0xff) || frame.pdu.length !== 2) {
      throw new Error(`malformed exception response ${frame.pdu.toString('hex')} to FC ${pdu[0]}`);
    }
    return code;
  }

  async readBits(fc: 1 | 2, address: number, quantity: number): Promise<number[]> {
    return bitsOf(await this.call(readPdu(fc, address, quantity)), quantity);
  }

  async readWords(fc: 3 | 4, address: number, quantity: number): Promise<number[]> {
    return wordsOf(await this.call(readPdu(fc, address, quantity)));
  }

  /** Half-closes and awaits the close. */
  async end(): Promise<void> {
    this.socket.end();
    await this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 7) {
      const length = this.buffer.readUInt16BE(4);
      if (length < 2 || length > 254) {
        this.framingError = `server sent an MBAP length of ${length}`;
        this.buffer = Buffer.alloc(0);
        return;
      }
      if (this.buffer.length < 6 + length) return;
      const frame: Frame = {
        tid: this.buffer.readUInt16BE(0),
        protocol: this.buffer.readUInt16BE(2),
        unit: this.buffer[6] as number,
        pdu: Buffer.from(this.buffer.subarray(7, 6 + length)),
      };
      this.buffer = this.buffer.subarray(6 + length);
      this.received.push(frame);
      const at = this.waiters.findIndex((w) => w.tid === frame.tid);
      if (at >= 0) {
        const [waiter] = this.waiters.splice(at, 1);
        waiter!.resolve(frame);
      } else {
        const queue = this.unclaimed.get(frame.tid) ?? [];
        queue.push(frame);
        this.unclaimed.set(frame.tid, queue);
      }
    }
  }
}


/** Destroys every client still open and awaits their close; call it in afterEach. */
export async function closeClients(): Promise<void> {
  const open = [...clients];
  for (const client of open) client.destroy();
  await Promise.all(open.map((c) => c.closed));
}
