/**
 * Modbus/TCP server. Hand-written on node:net: modbus-serial's ServerTCP answered about 0.8k
 * requests/s on one connection (issue 4), far below what a SCADA poll loop or a CI suite needs.
 *
 *   accept ─► accessible-IP list, max connections (refuse: close before any byte)
 *   bytes ─► MBAP framing (bad protocol id / length: close) ─► unit id ─► router ─► ModbusUnit ─► responses
 *   every frame in one chunk is answered in order, with one socket write per chunk; with more
 *   than one connection open, that write waits for the end of the loop's poll phase (flushOut)
 *   replies queued > maxPendingReplyBytes ─► stop there, pause the socket ─► flushed: go on
 *   clock sweep ─► idle timeout (complete requests only), frame timeout
 *
 * The server owns the connections and their limits; what answers a frame is the `ModbusUnit` its
 * unit id routes to (unit.ts): a device's own listener has one, a fleet's gateway one per device
 * (src/fleet/gateway.ts). Both are this class, so they frame, bound and refuse alike.
 *
 * What one client can make the server hold (issue #14 points 6 and 9, docs/security.md Limits):
 * - Replies: frames are answered only while the replies queued for the client (not yet taken by
 *   the kernel, or held back by a modbus-slow fault) are at most maxPendingReplyBytes. The batch
 *   of replies that crosses it is written; if the kernel does not take it at once, the rest of
 *   the chunk waits, the socket is paused (no more reads) and the refusal counted, and that
 *   write resumes it once flushed. So the queue stays under the limit plus one reply (260
 *   bytes), whatever a client that never reads sends; a client that reads never waits.
 * - Requests: an incomplete frame is at most one ADU (a header is checked as soon as its 7 bytes
 *   are in: length <= 254, so the frame <= 260 bytes); a paused socket keeps at most the rest of
 *   the one chunk it was reading (a socket read is at most 64 KiB, copied out of the shared read
 *   buffer), and reads nothing more from the kernel until resumed (shared-read.ts: no stream
 *   reads ahead; on its 'data' fallback, node:net reads ahead up to its readable highWaterMark).
 * - Time: only a complete request resets the idle timer, and a frame that has begun must be
 *   complete within frameTimeoutMs, or the connection is closed (a slow-loris cannot hold the
 *   maxConnections slots by dribbling bytes).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { formatAddress } from '../net-address.js';
import type { Clock, TimerHandle } from '../device/clock.js';
import type { Refusals } from '../device/refusals.js';
import { isAllowed, type AccessibleIps } from '../config/accessible-ips.js';
import { modbusLimitsSchema, type Limits } from '../config/limits.js';
import type { ListenerStats } from './contract.js';
import type { Outcome } from '../modbus-pdu/dispatch.js';
import type { ExceptionCode } from '../modbus-pdu/exceptions.js';
import type { ModbusFault, ModbusUnit, UnitRouter } from './unit.js';
import { readShared } from './shared-read.js';

/** What the listener itself enforces; the unit id filter and the watchdog are the router's and the unit's. */
export interface ModbusServerSettings {
  maxConnections: number;
  idleTimeoutS: number;
  accessibleIps: AccessibleIps;
}

/** The listener's counters (GET /sim/v1/modbus, GET /fleet/v1/gateway), declared in the contract. */
export type { ListenerStats };

export type ModbusLimits = Limits['modbus'];

interface Connection {
  readonly socket: Socket;
  peer: string;
  /** host:port, as the journal names the client. */
  peerAddress: string;
  /** Bytes received and not yet answered: an incomplete frame, or, while paused, the rest of a chunk. */
  buffer: Buffer | null;
  /** When the last complete request arrived (or the connection opened): the idle timer. */
  lastActivity: number;
  /** When the incomplete frame in `buffer` began, -1 when there is none: the frame timer. */
  frameStartedAt: number;
  /** A malformed header was seen: the rest of the stream is ignored while the replies flush. */
  closing: boolean;
  /** Not read from until the queued replies are flushed (backpressure). */
  paused: boolean;
  /** Not read from until the next turn: FAIR_REQUESTS were answered in this one, the rest waits in `buffer`. */
  yielded: boolean;
  /** Reply bytes held back by a modbus-slow fault, not yet written. */
  held: number;
  /** Replies made in this poll phase, written together by flushAll at its end (in `outgoing` while set). */
  out: Buffer[] | null;
  /** Their bytes, for the limit. */
  outBytes: number;
  /** Resumes reading once a write made while over the limit is flushed (one closure per connection). */
  flushed: (error?: Error | null) => void;
}

const MBAP = 7;
/** MBAP length field: unit id + PDU, PDU at most 253 bytes (spec §4.1). */
const MAX_LENGTH = 254;

/** An MBAP header at `offset` that no Modbus/TCP frame has (spec §4.2): protocol id not 0, or a length out of range. */
function malformedHeader(data: Buffer, offset: number): boolean {
  const length = data.readUInt16BE(offset + 4);
  return data.readUInt16BE(offset + 2) !== 0 || length < 2 || length > MAX_LENGTH;
}
const SWEEP_MS = 100;
/**
 * Requests answered for one connection in one event-loop turn. A client that pipelines sends
 * up to 64 KiB (~2,500 requests) in one read, and answering all of them at once held the event
 * loop for 65-95 ms in the #14 soak: every other client (HTTP health probes, the other Modbus
 * clients) waited. Past this many the rest waits for the next turn; a client with one request
 * in flight never gets near it.
 */
const FAIR_REQUESTS = 256;
const REFUSAL_LOG_INTERVAL_MS = 10_000;

/** Reply bytes queued for a client: the socket's, the fault-held ones and those waiting for flushAll. */
function queuedBytes(conn: Connection): number {
  return conn.socket.writableLength + conn.held + conn.outBytes;
}

export class ModbusTcpServer {
  private readonly connections = new Set<Connection>();
  private server: Server | undefined;
  private sweepTimer: TimerHandle | undefined;
  private lastRefusalLog = -Infinity;
  private readonly counters = { accepted: 0, refusedByList: 0, refusedByLimit: 0, requests: 0, exceptions: 0, malformed: 0, unrouted: 0 };
  private pendingReplyBytesPeak = 0;
  /**
   * Connections with replies waiting in `out`, written once the loop has read every socket that
   * was ready (setImmediate: the check phase follows the poll phase). Each write to a loopback or
   * LAN peer wakes it at once; writing them one after another mid-poll had the server and 16
   * clients take turns on the CPU, writing them together cut that (bench/modbus.mjs: ~0.7x to
   * ~0.85x libmodbus at 16 connections). One connection gains nothing by waiting, so it does not.
   */
  private readonly outgoing: Connection[] = [];
  private flushScheduled = false;
  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const outgoing = this.outgoing;
    for (let i = 0; i < outgoing.length; i++) this.flushOut(outgoing[i]!);
    outgoing.length = 0;
  };

  constructor(
    private readonly clock: Clock,
    /** Which unit answers a unit id (unit.ts): a device's own, or a fleet's gateway's. */
    private readonly router: UnitRouter,
    private settings: ModbusServerSettings,
    /** Where backpressure and frame timeouts are counted: the device's, or the gateway's own. */
    private readonly refusals: Refusals,
    private readonly logger: Logger,
    /** The profile's `limits.modbus` (src/config/limits.ts); the defaults when not given. */
    private readonly limits: ModbusLimits = modbusLimitsSchema.parse({}),
  ) {
    this.sweepTimer = clock.setInterval(() => this.sweep(), SWEEP_MS);
  }

  /** Applies new settings at once; connections from hosts no longer allowed are dropped. */
  setSettings(settings: ModbusServerSettings): void {
    this.settings = settings;
    for (const conn of this.connections) {
      if (!isAllowed(settings.accessibleIps, conn.peer)) {
        this.logger.info({ peer: conn.peer }, 'dropping connection: host no longer on the accessible-IP list');
        this.flushOut(conn);
        conn.socket.destroy();
      }
    }
  }

  get stats(): ListenerStats {
    let paused = 0;
    for (const conn of this.connections) if (conn.paused) paused += 1;
    return { ...this.counters, connections: this.connections.size, paused, pendingReplyBytesPeak: this.pendingReplyBytesPeak };
  }

  /**
   * Serves one accepted socket; the allowlist and connection limit apply here. Returns the socket
   * that serves the connection from now on (shared-read.ts moves the handle to a new one), or
   * undefined when it was refused.
   */
  handle(accepted: Socket): Socket | undefined {
    const peer = accepted.remoteAddress ?? '';
    if (!isAllowed(this.settings.accessibleIps, peer)) {
      this.counters.refusedByList += 1;
      this.logRefusal(peer, 'not on the accessible-IP list');
      accepted.destroy();
      return undefined;
    }
    if (this.connections.size >= this.settings.maxConnections) {
      this.counters.refusedByLimit += 1;
      this.logRefusal(peer, `already ${this.connections.size} connections (maxConnections)`);
      accepted.destroy();
      return undefined;
    }
    this.counters.accepted += 1;
    const peerAddress = formatAddress({ address: peer, family: accepted.remoteFamily ?? 'IPv4', port: accepted.remotePort ?? 0 });
    // Reads come only on a later turn of the loop, by when `conn` is set.
    const socket = readShared(accepted, (chunk) => this.onData(conn, chunk));
    const conn: Connection = {
      socket,
      peer,
      peerAddress,
      buffer: null,
      lastActivity: this.clock.monotonic(),
      frameStartedAt: -1,
      closing: false,
      paused: false,
      yielded: false,
      held: 0,
      out: null,
      outBytes: 0,
      flushed: (error) => {
        if (!error) this.relieve(conn);
      },
    };
    this.connections.add(conn);
    socket.setNoDelay(true);
    socket.on('error', (error) => this.logger.debug({ peer, err: error }, 'connection error'));
    // Besides the flush callback of the write that crossed the limit (emitted only after a write returned false).
    socket.on('drain', () => this.relieve(conn));
    socket.on('close', () => this.connections.delete(conn));
    return socket;
  }

  listen(host: string, port: number): Promise<string> {
    const server = createServer((socket) => this.handle(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(formatAddress(server.address() as AddressInfo));
      });
    });
  }

  async close(): Promise<void> {
    this.clock.clear(this.sweepTimer);
    this.sweepTimer = undefined;
    this.flushAll();
    for (const conn of this.connections) conn.socket.destroy();
    this.connections.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn.closing) return;
    const data = conn.buffer ? Buffer.concat([conn.buffer, chunk]) : chunk;
    conn.buffer = null;
    // A chunk read before the pause took effect waits with the rest (never more than one read),
    // copied: the chunk is the read buffer every connection shares (shared-read.ts).
    if (conn.paused || conn.yielded) conn.buffer = data === chunk ? Buffer.from(chunk) : data;
    else this.serve(conn, data);
  }

  /**
   * Answers the complete frames in `data`, in order, in batches of replies that keep the bytes
   * queued for this client (not yet taken by the kernel, or held by a fault) within
   * maxPendingReplyBytes plus one reply. A batch that crosses the limit is written at once: if the
   * kernel takes it, the next batch follows; if not, the socket is paused and the rest waits in
   * conn.buffer. An incomplete frame at the end waits there too. One write per chunk when its
   * replies are under the limit, as before.
   */
  private serve(conn: Connection, data: Buffer): void {
    const socket = conn.socket;
    const limit = this.limits.maxPendingReplyBytes;
    let offset = 0;
    let over = false;
    let served = 0;
    for (;;) {
      /** Reply bytes queued for this client: the socket's, the fault-held ones and this batch's. */
      let queued = queuedBytes(conn);
      over = queued > limit;
      const replies: Buffer[] = [];
      /** A modbus-slow fault holds the replies back (in order: all of this batch's together). */
      let delayMs = 0;
      while (!over && served < FAIR_REQUESTS && data.length - offset >= MBAP) {
        const protocolId = data.readUInt16BE(offset + 2);
        const length = data.readUInt16BE(offset + 4);
        if (malformedHeader(data, offset)) {
          // A stream that lies about its framing cannot be resynchronised: close it (spec §4.2).
          this.counters.malformed += 1;
          this.logger.info({ peer: conn.peer, protocolId, length }, 'malformed MBAP header; closing connection');
          // end() flushes the replies to the good frames before it; the socket goes once they are out.
          conn.closing = true;
          this.flushOut(conn);
          socket.end(Buffer.concat(replies), () => socket.destroy());
          return;
        }
        if (data.length - offset < 6 + length) break;
        const target = this.router.route(data[offset + 6] as number);
        const unit = typeof target === 'object' ? target : undefined;
        const fault = unit?.fault();
        if (unit && fault?.spec.kind === 'modbus-drop' && this.router.dropAnswer === null) {
          // The connection dies under the request, as a crashed gateway or a cut cable does.
          unit.device.faults.hit(fault);
          unit.journal(conn.peerAddress, data.subarray(offset + MBAP, offset + 6 + length), 'fault modbus-drop');
          conn.closing = true;
          this.flushOut(conn);
          socket.destroy();
          return;
        }
        if (unit && fault?.spec.kind === 'modbus-slow') {
          delayMs = Math.max(delayMs, fault.spec.delayMs);
          unit.device.faults.hit(fault);
        }
        const reply = this.request(conn, data, offset, length, target, fault);
        if (reply) {
          replies.push(reply);
          queued += reply.length;
          over = queued > limit;
        }
        offset += 6 + length;
        served += 1;
      }
      if (queued > this.pendingReplyBytesPeak) this.pendingReplyBytesPeak = queued;
      if (replies.length > 0) {
        const out = replies.length === 1 ? replies[0]! : Buffer.concat(replies);
        // The hot path (under the limit, no fault) writes here; the rest in send().
        if (delayMs === 0 && !over) this.write(conn, out);
        else this.send(conn, out, delayMs);
      }
      if (!over) break;
      if (queuedBytes(conn) > limit) {
        this.pause(conn, queued);
        break;
      }
      // The kernel took the batch at once (a client that reads): go on with the next one.
    }
    // Only a complete request resets the idle timer (#14 point 9); a begun frame has frameTimeoutMs.
    const now = this.clock.monotonic();
    if (offset > 0) conn.lastActivity = now;
    // Yield the turn only for a whole request left over: a partial one just waits for its bytes.
    const left = data.length - offset;
    // A malformed header counts as whole: the next turn closes the connection at once, rather than
    // its bytes waiting in conn.buffer for the frame timeout.
    const wholeLeft = left >= MBAP && (malformedHeader(data, offset) || left >= 6 + data.readUInt16BE(offset + 4));
    const yielding = served >= FAIR_REQUESTS && wholeLeft && !conn.paused && !conn.closing;
    if (offset === data.length) conn.frameStartedAt = -1;
    else if (conn.paused || yielding) {
      // Unanswered frames wait for the flush, copied (the chunk may be the shared read buffer;
      // it is one socket read at most).
      conn.buffer = Buffer.from(data.subarray(offset));
      conn.frameStartedAt = -1;
    } else {
      // At most one incomplete ADU (< 260 bytes), copied so that the chunk is not kept.
      conn.buffer = Buffer.from(data.subarray(offset));
      if (offset > 0 || conn.frameStartedAt < 0) conn.frameStartedAt = now;
    }
    if (yielding) this.yieldTurn(conn);
  }

  /** Stops reading until the next turn, then answers what waits (FAIR_REQUESTS at a time). */
  private yieldTurn(conn: Connection): void {
    conn.yielded = true;
    conn.socket.pause();
    setImmediate(() => {
      conn.yielded = false;
      if (conn.closing || conn.socket.destroyed) return;
      this.serveWaiting(conn);
    });
  }

  /** Answers the frames waiting in `buffer` and resumes reading unless that paused or yielded again. */
  private serveWaiting(conn: Connection): void {
    const rest = conn.buffer;
    conn.buffer = null;
    if (rest) this.serve(conn, rest);
    if (!conn.paused && !conn.yielded && !conn.closing) conn.socket.resume();
  }

  /** Writes a batch of replies now with one connection open, else at the end of the poll phase (flushAll). */
  private write(conn: Connection, out: Buffer): void {
    // Collected, and concatenated once in flushOut: a concat per batch would copy the turn's replies again each time.
    if (conn.out !== null) {
      conn.out.push(out);
      conn.outBytes += out.length;
    } else if (this.connections.size <= 1) conn.socket.write(out);
    else {
      conn.out = [out];
      conn.outBytes = out.length;
      this.outgoing.push(conn);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushAll);
      }
    }
  }

  /** Writes what waits in `out` now: before anything else is written, ended or destroyed, in order. */
  private flushOut(conn: Connection): void {
    const out = conn.out;
    if (out === null) return;
    conn.out = null;
    conn.outBytes = 0;
    if (!conn.socket.destroyed) conn.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }

  /**
   * Writes a batch of replies that crossed the limit, or holds one for a modbus-slow fault (serve()
   * writes the rest itself). Each carries the callback that resumes a paused socket once flushed.
   */
  private send(conn: Connection, out: Buffer, delayMs: number): void {
    const socket = conn.socket;
    this.flushOut(conn);
    if (delayMs > 0) {
      conn.held += out.length;
      this.clock.setTimeout(() => {
        conn.held -= out.length;
        if (!socket.destroyed) socket.write(out, conn.flushed);
      }, delayMs);
    } else socket.write(out, conn.flushed);
  }

  /** Stops reading a client whose replies are not drained; counted as a refusal (#14 point 6). */
  private pause(conn: Connection, queued: number): void {
    if (conn.paused) return;
    conn.paused = true;
    conn.socket.pause();
    this.refusals.count('modbus_backpressure');
    this.logger.debug({ peer: conn.peer, queued, limit: this.limits.maxPendingReplyBytes }, 'replies not drained; not reading this connection');
  }

  /**
   * A write made while over the limit is flushed (or a held reply written): once the queue is
   * back within the limit, the frames left waiting are answered and, unless that fills it
   * again, reading resumes.
   */
  private relieve(conn: Connection): void {
    const socket = conn.socket;
    if (!conn.paused || socket.destroyed || conn.closing) return;
    if (queuedBytes(conn) > this.limits.maxPendingReplyBytes) return;
    conn.paused = false;
    this.serveWaiting(conn);
  }

  /**
   * Answers one frame at `offset` by what its unit id routed to: the unit's answer, the router's
   * own exception (a gateway with no device there), or undefined (not ours: no reply).
   */
  private request(conn: Connection, data: Buffer, offset: number, length: number, target: ModbusUnit | ExceptionCode | undefined, fault: ModbusFault | undefined): Buffer | undefined {
    if (target === undefined) return undefined;
    const unitId = data[offset + 6] as number;
    this.counters.requests += 1;
    const pdu = data.subarray(offset + MBAP, offset + 6 + length);
    let outcome: Outcome;
    if (typeof target === 'number') {
      this.counters.unrouted += 1;
      outcome = { kind: 'exception', fc: pdu[0] ?? 0, code: target, detail: `no device at unit id ${unitId}` };
    } else if (fault?.spec.kind === 'modbus-drop') {
      // Through a gateway (dropAnswer set): the device behind it is gone, the gateway answers for it.
      target.device.faults.hit(fault);
      target.journal(conn.peerAddress, pdu, 'fault modbus-drop');
      outcome = { kind: 'exception', fc: pdu[0] ?? 0, code: this.router.dropAnswer!, detail: 'fault modbus-drop behind the gateway' };
    } else {
      const answer = target.answer(conn.peerAddress, pdu, fault);
      if (Buffer.isBuffer(answer)) return answer;
      outcome = answer;
    }
    let body: Buffer;
    if (outcome.kind === 'response') body = outcome.pdu;
    else {
      this.counters.exceptions += 1;
      this.logger.debug({ fc: outcome.fc, code: outcome.code, detail: outcome.detail }, 'exception response');
      body = Buffer.from([(outcome.fc | 0x80) & 0xff, outcome.code]);
    }
    // Byte by byte and with set(): Buffer's copy() and writeUInt16BE() validate their arguments on each call.
    const reply = Buffer.allocUnsafe(MBAP + body.length);
    reply[0] = data[offset]!; // transaction id and protocol id echo the request
    reply[1] = data[offset + 1]!;
    reply[2] = data[offset + 2]!;
    reply[3] = data[offset + 3]!;
    reply[4] = (body.length + 1) >>> 8;
    reply[5] = (body.length + 1) & 0xff;
    reply[6] = unitId;
    reply.set(body, MBAP);
    return reply;
  }

  private sweep(): void {
    const now = this.clock.monotonic();
    const idleMs = this.settings.idleTimeoutS * 1000;
    const frameMs = this.limits.frameTimeoutMs;
    for (const conn of this.connections) {
      if (conn.frameStartedAt >= 0 && now - conn.frameStartedAt >= frameMs) {
        this.refusals.count('modbus_frame_timeout');
        this.logger.info({ peer: conn.peer, bytes: conn.buffer?.length ?? 0, frameTimeoutMs: frameMs }, 'request frame not complete in time; closing connection');
        this.flushOut(conn);
        conn.socket.destroy();
        this.connections.delete(conn);
      } else if (idleMs > 0 && now - conn.lastActivity >= idleMs) {
        this.logger.info({ peer: conn.peer }, 'closing idle connection');
        this.flushOut(conn);
        conn.socket.destroy();
        this.connections.delete(conn);
      }
    }
  }

  private logRefusal(peer: string, why: string): void {
    const now = this.clock.monotonic();
    if (now - this.lastRefusalLog < REFUSAL_LOG_INTERVAL_MS) return;
    this.lastRefusalLog = now;
    this.logger.warn({ peer, why, refusedByList: this.counters.refusedByList, refusedByLimit: this.counters.refusedByLimit }, 'Modbus/TCP connection refused');
  }
}
