/**
 * Modbus/TCP server. Hand-written on node:net: modbus-serial's ServerTCP answered about 0.8k
 * requests/s on one connection (issue 4), far below what a SCADA poll loop or a CI suite needs.
 *
 *   accept ─► accessible-IP list, max connections (refuse: close before any byte)
 *   bytes ─► MBAP framing (bad protocol id / length: close) ─► unit id ─► dispatch ─► responses
 *   every frame in one chunk is answered in order, with one socket write per chunk
 *   clock sweep ─► idle timeout, connection watchdog (alarm flag + DO/relay safe values)
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { formatAddress } from '../net-address.js';
import type { Clock, TimerHandle } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { DoChannel } from '../device/do.js';
import { RelayChannel } from '../device/relay.js';
import { isAllowed, type AccessibleIps } from '../config/accessible-ips.js';
import type { AddressMap } from './address-map.js';
import { actors } from '../device/actor.js';
import type { JournalEntry } from '../device/journal.js';
import { describePdu } from '../modbus-pdu/describe.js';
import { isModbusFault } from '../device/faults.js';
import { dispatch, type Outcome } from '../modbus-pdu/dispatch.js';
import type { ExceptionCode } from '../modbus-pdu/exceptions.js';

export interface ModbusServerSettings {
  unitId: 'any' | number;
  maxConnections: number;
  idleTimeoutS: number;
  accessibleIps: AccessibleIps;
  watchdog: { enabled: boolean; timeoutS: number };
}

export interface ModbusServerStats {
  connections: number;
  accepted: number;
  refusedByList: number;
  refusedByLimit: number;
  requests: number;
  exceptions: number;
  malformed: number;
  watchdogAlarm: boolean;
}

interface Connection {
  socket: Socket;
  peer: string;
  /** host:port, as the journal names the client. */
  peerAddress: string;
  buffer: Buffer | null;
  lastActivity: number;
  /** A malformed header was seen: the rest of the stream is ignored while the replies flush. */
  closing: boolean;
}

const MBAP = 7;
const isWrite = (fc: number) => fc === 5 || fc === 6 || fc === 15 || fc === 16 || fc === 23;
/** MBAP length field: unit id + PDU, PDU at most 253 bytes (spec §4.1). */
const MAX_LENGTH = 254;
const SWEEP_MS = 100;
const REFUSAL_LOG_INTERVAL_MS = 10_000;

export class ModbusTcpServer {
  private readonly connections = new Set<Connection>();
  private server: Server | undefined;
  private sweepTimer: TimerHandle | undefined;
  private lastRequestAt: number | undefined;
  private lastRefusalLog = -Infinity;
  /** State of the garbage generator (a fixed seed: runs repeat). */
  private noise = 1;
  private readonly counters = { accepted: 0, refusedByList: 0, refusedByLimit: 0, requests: 0, exceptions: 0, malformed: 0 };

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    private map: AddressMap,
    private settings: ModbusServerSettings,
    private readonly logger: Logger,
  ) {
    this.sweepTimer = clock.setInterval(() => this.sweep(), SWEEP_MS);
  }

  /** Swaps the address map (new base addresses or word order); requests after this use it. */
  setMap(map: AddressMap): void {
    this.map = map;
  }

  /** Applies new settings at once; connections from hosts no longer allowed are dropped. */
  setSettings(settings: ModbusServerSettings): void {
    this.settings = settings;
    for (const conn of this.connections) {
      if (!isAllowed(settings.accessibleIps, conn.peer)) {
        this.logger.info({ peer: conn.peer }, 'dropping connection: host no longer on the accessible-IP list');
        conn.socket.destroy();
      }
    }
  }

  get stats(): ModbusServerStats {
    return { ...this.counters, connections: this.connections.size, watchdogAlarm: this.device.head.read('watchdogAlarmFlag') === 1 };
  }

  /** Serves one accepted socket; the allowlist and connection limit apply here. */
  handle(socket: Socket): void {
    const peer = socket.remoteAddress ?? '';
    if (!isAllowed(this.settings.accessibleIps, peer)) {
      this.counters.refusedByList += 1;
      this.logRefusal(peer, 'not on the accessible-IP list');
      socket.destroy();
      return;
    }
    if (this.connections.size >= this.settings.maxConnections) {
      this.counters.refusedByLimit += 1;
      this.logRefusal(peer, `already ${this.connections.size} connections (maxConnections)`);
      socket.destroy();
      return;
    }
    this.counters.accepted += 1;
    const conn: Connection = { socket, peer, peerAddress: formatAddress({ address: peer, family: socket.remoteFamily ?? 'IPv4', port: socket.remotePort ?? 0 }), buffer: null, lastActivity: this.clock.monotonic(), closing: false };
    this.connections.add(conn);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('error', (error) => this.logger.debug({ peer, err: error }, 'connection error'));
    socket.on('close', () => this.connections.delete(conn));
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
    for (const conn of this.connections) conn.socket.destroy();
    this.connections.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onData(conn: Connection, chunk: Buffer): void {
    if (conn.closing) return;
    const data = conn.buffer ? Buffer.concat([conn.buffer, chunk]) : chunk;
    conn.buffer = null;
    conn.lastActivity = this.clock.monotonic();
    const replies: Buffer[] = [];
    let offset = 0;
    /** A modbus-slow fault holds the replies back (in order: all of this chunk's together). */
    let delayMs = 0;
    while (data.length - offset >= MBAP) {
      const protocolId = data.readUInt16BE(offset + 2);
      const length = data.readUInt16BE(offset + 4);
      if (protocolId !== 0 || length < 2 || length > MAX_LENGTH) {
        // A stream that lies about its framing cannot be resynchronised: close it (spec §4.2).
        this.counters.malformed += 1;
        this.logger.info({ peer: conn.peer, protocolId, length }, 'malformed MBAP header; closing connection');
        // end() flushes the replies to the good frames before it; the socket goes once they are out.
        conn.closing = true;
        conn.socket.end(Buffer.concat(replies), () => conn.socket.destroy());
        return;
      }
      if (data.length - offset < 6 + length) break;
      const fault = this.device.faults.find(isModbusFault);
      if (fault?.spec.kind === 'modbus-drop') {
        // The connection dies under the request, as a crashed gateway or a cut cable does.
        this.device.faults.hit(fault);
        this.journalRequest(conn, data.subarray(offset + MBAP, offset + 6 + length), 'fault modbus-drop');
        conn.closing = true;
        conn.socket.destroy();
        return;
      }
      if (fault?.spec.kind === 'modbus-slow') {
        delayMs = Math.max(delayMs, fault.spec.delayMs);
        this.device.faults.hit(fault);
      }
      const reply = this.request(conn, data, offset, length);
      if (reply) replies.push(reply);
      offset += 6 + length;
    }
    if (offset < data.length) conn.buffer = Buffer.from(data.subarray(offset));
    if (replies.length === 0) return;
    const out = replies.length === 1 ? replies[0]! : Buffer.concat(replies);
    if (delayMs > 0) {
      this.clock.setTimeout(() => {
        if (!conn.socket.destroyed) conn.socket.write(out);
      }, delayMs);
    } else conn.socket.write(out);
  }

  /** Answers one frame at `offset`; undefined when the unit id is not ours (no reply). */
  private request(conn: Connection, data: Buffer, offset: number, length: number): Buffer | undefined {
    const unitId = data[offset + 6] as number;
    if (this.settings.unitId !== 'any' && unitId !== this.settings.unitId) return undefined;
    this.counters.requests += 1;
    const pdu = data.subarray(offset + MBAP, offset + 6 + length);
    const fault = this.device.faults.find(isModbusFault);
    if (fault?.spec.kind === 'modbus-garbage') {
      // Line noise from a bad gateway: bytes that are not a Modbus reply at all.
      this.device.faults.hit(fault);
      this.journalRequest(conn, pdu, 'fault modbus-garbage');
      return this.garbage();
    }
    const outcome: Outcome =
      fault?.spec.kind === 'modbus-exception'
        ? (this.device.faults.hit(fault), { kind: 'exception', fc: pdu[0] ?? 0, code: fault.spec.exceptionCode as ExceptionCode, detail: 'fault modbus-exception' })
        : // Only writes change anything, so only they need the actor context (it costs on the hot read path).
          isWrite(pdu[0] ?? 0)
          ? actors.run({ peer: conn.peerAddress }, () => dispatch(this.map, pdu))
          : dispatch(this.map, pdu);
    this.journalRequest(conn, pdu, outcome.kind === 'response' ? 'ok' : `exception ${outcome.code}`);
    // After the dispatch, so that the master's first request after an alarm still reads
    // watchdogAlarmFlag = 1 (discrete input 0); the flag clears once that request is answered.
    this.noteMaster();
    let body: Buffer;
    if (outcome.kind === 'response') body = outcome.pdu;
    else {
      this.counters.exceptions += 1;
      this.logger.debug({ fc: outcome.fc, code: outcome.code, detail: outcome.detail }, 'exception response');
      body = Buffer.from([(outcome.fc | 0x80) & 0xff, outcome.code]);
    }
    const reply = Buffer.allocUnsafe(MBAP + body.length);
    data.copy(reply, 0, offset, offset + 4); // transaction id and protocol id echo the request
    reply.writeUInt16BE(body.length + 1, 4);
    reply[6] = unitId;
    body.copy(reply, MBAP);
    return reply;
  }

  /** One journal entry per request (every request is journaled, so this is on the hot path). */
  private journalRequest(conn: Connection, pdu: Buffer, result: string): void {
    this.device.journal.record(new ModbusRequestEntry(conn.peerAddress, pdu, result));
  }

  /** 1-20 bytes from a seeded generator, so a run with the same requests sees the same noise. */
  private garbage(): Buffer {
    const next = () => (this.noise = (Math.imul(this.noise, 1_103_515_245) + 12_345) >>> 0) >>> 24;
    return Buffer.from(Array.from({ length: 1 + (next() % 20) }, next));
  }

  /** A master talked: the watchdog re-arms and its alarm clears. */
  private noteMaster(): void {
    this.lastRequestAt = this.clock.monotonic();
    if (this.settings.watchdog.enabled && this.device.head.read('watchdogAlarmFlag') === 1) {
      this.device.head.setWatchdogAlarm(false, 'modbus');
    }
  }

  private sweep(): void {
    const now = this.clock.monotonic();
    const idleMs = this.settings.idleTimeoutS * 1000;
    if (idleMs > 0) {
      for (const conn of this.connections) {
        if (now - conn.lastActivity >= idleMs) {
          this.logger.info({ peer: conn.peer }, 'closing idle connection');
          conn.socket.destroy();
          this.connections.delete(conn);
        }
      }
    }
    const watchdog = this.settings.watchdog;
    // Armed by the first request (ASSUMPTION): a device nobody has talked to yet does not alarm.
    if (watchdog.enabled && this.lastRequestAt !== undefined && now - this.lastRequestAt >= watchdog.timeoutS * 1000) {
      if (this.device.head.read('watchdogAlarmFlag') === 0) this.fireWatchdog();
    }
  }

  private fireWatchdog(): void {
    this.logger.warn({ timeoutS: this.settings.watchdog.timeoutS }, 'Modbus/TCP watchdog: no master; outputs to safe values');
    this.device.head.setWatchdogAlarm(true, 'modbus');
    for (const module of this.device.modules) {
      for (const channel of module.channels) {
        if (channel instanceof DoChannel || channel instanceof RelayChannel) channel.applySafeValue('modbus');
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

/**
 * A Modbus request in the journal. A class with the request's few numbers, its text worked out
 * only when the entry is read (an API query): allocation per request stays one small object of
 * one shape, and the socket's chunk is not kept.
 */
class ModbusRequestEntry implements JournalEntry {
  seq = 0;
  at = 0;
  readonly kind = 'request' as const;
  readonly source = 'modbus' as const;
  readonly function: number;
  private readonly first: number;
  private readonly second: number;
  private readonly third: number;
  private readonly fourth: number;
  private readonly length: number;

  constructor(
    readonly peer: string,
    pdu: Buffer,
    readonly result: string,
  ) {
    this.function = pdu[0] ?? 0;
    this.length = pdu.length;
    this.first = pdu.length >= 3 ? pdu.readUInt16BE(1) : 0;
    this.second = pdu.length >= 5 ? pdu.readUInt16BE(3) : 0;
    this.third = pdu.length >= 7 ? pdu.readUInt16BE(5) : 0;
    this.fourth = pdu.length >= 9 ? pdu.readUInt16BE(7) : 0;
  }

  get action(): string {
    const pdu = Buffer.alloc(9);
    pdu[0] = this.function;
    pdu.writeUInt16BE(this.first, 1);
    pdu.writeUInt16BE(this.second, 3);
    pdu.writeUInt16BE(this.third, 5);
    pdu.writeUInt16BE(this.fourth, 7);
    return describePdu(pdu.subarray(0, Math.min(9, this.length)), this.length);
  }

  toJSON(): JournalEntry {
    return { seq: this.seq, at: this.at, kind: this.kind, source: this.source, peer: this.peer, function: this.function, action: this.action, result: this.result };
  }
}
