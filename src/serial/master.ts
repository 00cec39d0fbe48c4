/**
 * The Modbus RTU master: one transaction on the bus at a time, in the order asked, with the line
 * timing a serial bus needs and the checks a careful master makes.
 *
 *   transact(slave, pdu) ─► queue ─► wait t3.5 of line silence ─► send ADU
 *        ─► collect bytes (strip our own echo on an echoing 2-wire adapter)
 *        ─► frame complete by length │ silence > inter-char timeout │ response timeout
 *        ─► CRC, slave id, function, byte count / echo checks ─► result (retry timeouts and bad frames)
 *
 * All waiting goes through the Clock, so with the manual clock and the virtual bus a test steps
 * through polls, timeouts and retries exactly.
 */
import type { Clock, TimerHandle } from '../device/clock.js';
import type { MasterCounters, RtuErrorKind } from './contract.js';
import { crcMatches } from './crc.js';
import { encodeAdu, expectedResponseLength, frameTiming, transmitMs, type LineSettings } from './rtu-frame.js';
import type { Transport } from './transport.js';

export type SerialInterface = 'rs232' | 'rs422' | 'rs485-2w' | 'rs485-4w';

export interface PortSettings extends LineSettings {
  interface: SerialInterface;
  /** The 2-wire adapter hands back every byte it transmits (no hardware echo suppression). */
  echo?: boolean;
}

export interface MasterOptions {
  settings: PortSettings;
  responseTimeoutMs: number;
  /** Extra attempts after a timeout or a bad frame; an exception answer is never retried. */
  retries: number;
  /** Longest silence inside a frame; default t1.5 on the virtual bus, at least 20 ms on an OS port. */
  interCharTimeoutMs?: number | null;
  /** Silence before each request; default t3.5. */
  interFrameDelayMs?: number | null;
}

/** Why a transaction failed: the per-profile error code is derived from it (src/serial/status.ts). */
export type { RtuErrorKind };

export type TransactResult =
  | { ok: true; pdu: Buffer; attempts: number }
  | { ok: false; kind: RtuErrorKind; exceptionCode: number | null; detail: string; attempts: number };

/** Shown in GET /sim/v1/serial: declared in the contract. */
export type { MasterCounters };

interface Pending {
  slaveId: number;
  pdu: Buffer;
  resolve: (result: TransactResult) => void;
}

type AttemptOutcome = TransactResult | { retry: true; kind: 'timeout' | 'crc' | 'unexpected'; detail: string };

export class RtuMaster {
  readonly counters: MasterCounters = { framesSent: 0, framesReceived: 0, bytesDiscarded: 0 };
  private readonly queue: Pending[] = [];
  private busy = false;
  /** Monotonic ms when the line last carried a byte (sent or received). */
  private lastLineActivity = -Infinity;
  private readonly interFrameMs: number;
  private readonly interCharMs: number;
  /** The attempt in progress, fed by onData. */
  private receiver: ((chunk: Buffer) => void) | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly options: MasterOptions,
    /** True when the transport delivers bytes at wire timing (the virtual bus). */
    exactTiming = false,
  ) {
    const timing = frameTiming(options.settings);
    this.interFrameMs = options.interFrameDelayMs ?? timing.interFrameMs;
    this.interCharMs = options.interCharTimeoutMs ?? (exactTiming ? timing.interCharMs : Math.max(timing.interCharMs, 20));
    transport.onData((chunk) => {
      this.lastLineActivity = clock.monotonic();
      if (this.receiver) this.receiver(chunk);
      else this.counters.bytesDiscarded += chunk.length;
    });
  }

  /** Queues one request; resolves when it has an answer or has failed for good. Never rejects. */
  transact(slaveId: number, pdu: Buffer): Promise<TransactResult> {
    return new Promise((resolve) => this.request(slaveId, pdu, resolve));
  }

  /**
   * transact() with a callback. The whole exchange runs in clock timers and transport callbacks,
   * never in promise continuations, so one ManualClock.advance() carries every poll, timeout and
   * retry that falls inside it, each at its own time: a manual-clock run is exact and repeatable.
   */
  request(slaveId: number, pdu: Buffer, done: (result: TransactResult) => void): void {
    this.queue.push({ slaveId, pdu, resolve: done });
    this.pump();
  }

  /** Requests waiting behind the one on the bus. */
  get queued(): number {
    return this.queue.length;
  }

  /** Fails everything queued (the port went away). */
  failQueued(detail: string): void {
    for (const pending of this.queue.splice(0)) pending.resolve({ ok: false, kind: 'port-closed', exceptionCode: null, detail, attempts: 0 });
  }

  private pump(): void {
    if (this.busy) return;
    const next = this.queue.shift();
    if (!next) return;
    this.busy = true;
    this.nextAttempt(next, 1);
  }

  private complete(pending: Pending, result: TransactResult): void {
    this.busy = false;
    pending.resolve(result);
    this.pump();
  }

  /** Waits until the line has been quiet for the inter-frame gap (half-duplex turnaround), then sends. */
  private nextAttempt(pending: Pending, attempt: number): void {
    if (!this.transport.isOpen) {
      this.complete(pending, { ok: false, kind: 'port-closed', exceptionCode: null, detail: `${this.transport.description} is not open`, attempts: attempt - 1 });
      return;
    }
    const wait = this.lastLineActivity + this.interFrameMs - this.clock.monotonic();
    if (wait > 0) this.clock.setTimeout(() => this.attempt(pending, attempt), wait);
    else this.attempt(pending, attempt);
  }

  private settle(pending: Pending, attempt: number, outcome: AttemptOutcome): void {
    if (!('retry' in outcome)) {
      this.complete(pending, outcome);
      return;
    }
    const attempts = 1 + this.options.retries;
    if (attempt < attempts) {
      this.nextAttempt(pending, attempt + 1);
      return;
    }
    this.complete(pending, { ok: false, kind: outcome.kind, exceptionCode: null, detail: `${outcome.detail} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, attempts });
  }

  private attempt(pending: Pending, attempt: number): void {
    if (!this.transport.isOpen) {
      this.complete(pending, { ok: false, kind: 'port-closed', exceptionCode: null, detail: `${this.transport.description} is not open`, attempts: attempt - 1 });
      return;
    }
    const { slaveId, pdu } = pending;
    const adu = encodeAdu(slaveId, pdu);
    const echo = this.options.settings.interface === 'rs485-2w' && this.options.settings.echo === true;
    let rx = Buffer.alloc(0);
    let echoLeft = echo ? adu.length : 0;
    let gapTimer: TimerHandle | undefined;
    let done = false;
    // Declared before the closures that clear it; set once the request is on its way.
    const timers: { response?: TimerHandle } = {};
    const finish = (outcome: AttemptOutcome) => {
      if (done) return;
      done = true;
      this.receiver = null;
      this.clock.clear(timers.response);
      this.clock.clear(gapTimer);
      this.settle(pending, attempt, outcome);
    };
    const endOfFrame = () => finish(this.judge(pending, rx, attempt));
    this.receiver = (chunk) => {
      let data = chunk;
      if (echoLeft > 0) {
        // The adapter hands back what we sent: drop exactly those bytes, byte for byte.
        const offset = adu.length - echoLeft;
        let n = 0;
        while (n < data.length && n < echoLeft && data[n] === adu[offset + n]) n++;
        echoLeft = n === Math.min(data.length, echoLeft) ? echoLeft - n : 0;
        data = data.subarray(n);
        if (data.length === 0) return;
      }
      rx = rx.length === 0 ? Buffer.from(data) : Buffer.concat([rx, data]);
      const expected = expectedResponseLength(pdu[0]!, rx);
      if (expected !== null && rx.length >= expected) {
        this.counters.bytesDiscarded += rx.length - expected;
        rx = rx.subarray(0, expected);
        endOfFrame();
        return;
      }
      this.clock.clear(gapTimer);
      gapTimer = this.clock.setTimeout(endOfFrame, this.interCharMs);
    };
    // The response timeout runs from the moment the request has left the wire; the write's own
    // completion only matters when it fails (the port went away under us).
    const sentMs = transmitMs(this.options.settings, adu.length);
    this.counters.framesSent++;
    this.lastLineActivity = Math.max(this.lastLineActivity, this.clock.monotonic() + sentMs);
    timers.response = this.clock.setTimeout(() => {
      if (rx.length > 0) endOfFrame();
      else finish({ retry: true, kind: 'timeout', detail: `slave ${slaveId} did not answer within ${this.options.responseTimeoutMs} ms` });
    }, this.options.responseTimeoutMs + sentMs);
    this.transport.write(adu).catch((error: unknown) => {
      finish({ ok: false, kind: 'port-closed', exceptionCode: null, detail: `write failed: ${error instanceof Error ? error.message : String(error)}`, attempts: attempt });
    });
  }

  /** The checks a received frame must pass before its data is believed. */
  private judge(pending: Pending, rx: Buffer, attempt: number): AttemptOutcome {
    const { slaveId, pdu } = pending;
    const fc = pdu[0]!;
    if (!crcMatches(rx)) return { retry: true, kind: 'crc', detail: `bad CRC or incomplete frame from slave ${slaveId} (${rx.length} bytes: ${hex(rx)})` };
    this.counters.framesReceived++;
    if (rx[0] !== slaveId) return { retry: true, kind: 'unexpected', detail: `answer from slave ${rx[0]}, expected ${slaveId}` };
    const answer = rx.subarray(1, rx.length - 2);
    if (answer[0] === (fc | 0x80)) {
      const code = answer[1] ?? 0;
      return { ok: false, kind: 'exception', exceptionCode: code, detail: `slave ${slaveId} answered exception ${code}`, attempts: attempt };
    }
    if (answer[0] !== fc) return { retry: true, kind: 'unexpected', detail: `answer has function ${answer[0]}, expected ${fc}` };
    const problem = responseProblem(pdu, answer);
    if (problem) return { retry: true, kind: 'unexpected', detail: `slave ${slaveId}: ${problem}` };
    return { ok: true, pdu: Buffer.from(answer), attempts: attempt };
  }
}

/** What is wrong with a well-framed answer for this request, or null. */
function responseProblem(request: Buffer, answer: Buffer): string | null {
  const fc = request[0]!;
  if (fc >= 1 && fc <= 4) {
    const quantity = request.readUInt16BE(3);
    const bytes = fc <= 2 ? Math.ceil(quantity / 8) : quantity * 2;
    return answer[1] === bytes && answer.length === 2 + bytes ? null : `byte count ${answer[1]} for ${quantity} ${fc <= 2 ? 'bits' : 'registers'}, expected ${bytes}`;
  }
  if (fc === 5 || fc === 6) return answer.equals(request) ? null : 'the write answer does not echo the request';
  if (fc === 15 || fc === 16) return answer.length === 5 && answer.subarray(1, 5).equals(request.subarray(1, 5)) ? null : 'the write answer does not echo address and quantity';
  return null;
}

function hex(bytes: Buffer): string {
  const shown = bytes.subarray(0, 16).toString('hex').replace(/(..)/g, '$1 ').trim();
  return bytes.length > 16 ? `${shown} ...` : shown;
}
