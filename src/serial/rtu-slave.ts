/**
 * A Modbus RTU slave on a transport: frames requests, answers the ones addressed to it through
 * the shared PDU layer, and misbehaves on demand the way field devices do (no answer, a slow
 * answer, a bad CRC, an exception, line noise). Virtual field devices use it on the in-process
 * bus, on a pty or real port (`iothinx-sim field-device`).
 */
import type { FieldDeviceFault } from '../config/sections.js';
import type { Clock, TimerHandle } from '../device/clock.js';
import { dispatch } from '../modbus-pdu/dispatch.js';
import type { PointSpace } from '../modbus-pdu/point-space.js';
import type { SlaveCounters } from './contract.js';
import { crcMatches } from './crc.js';
import { encodeAdu, expectedRequestLength, frameTiming, type LineSettings } from './rtu-frame.js';
import type { Transport } from './transport.js';

export type SlaveFault = FieldDeviceFault;

/** Shown per field device in GET /sim/v1/serial: declared in the contract. */
export type { SlaveCounters };

export interface RtuSlaveOptions {
  slaveId: number;
  line: LineSettings;
  /** The transport delivers at wire timing (the virtual bus): answer after t3.5 as the spec asks. */
  exactTiming: boolean;
  /** For garbage bytes; seeded so a run is repeatable. */
  random: () => number;
}

export class RtuSlave {
  readonly counters: SlaveCounters = { requests: 0, answers: 0, badFrames: 0, faulted: 0 };
  fault: SlaveFault = { kind: 'none', count: null };
  private rx = Buffer.alloc(0);
  private gapTimer: TimerHandle | undefined;
  private readonly timers = new Set<TimerHandle>();
  private readonly gapMs: number;
  private readonly turnaroundMs: number;

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly space: PointSpace,
    private readonly options: RtuSlaveOptions,
  ) {
    const timing = frameTiming(options.line);
    this.gapMs = options.exactTiming ? timing.interFrameMs : Math.max(timing.interFrameMs, 20);
    this.turnaroundMs = options.exactTiming ? timing.interFrameMs : 0;
    transport.onData((chunk) => this.receive(chunk));
  }

  get slaveId(): number {
    return this.options.slaveId;
  }

  setFault(fault: SlaveFault): void {
    this.fault = fault;
  }

  stop(): void {
    this.clock.clear(this.gapTimer);
    for (const timer of this.timers) this.clock.clear(timer);
    this.timers.clear();
  }

  private receive(chunk: Buffer): void {
    this.rx = this.rx.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.rx, chunk]);
    this.clock.clear(this.gapTimer);
    // Every frame on the bus is framed, addressed to us or not, to stay in step with the line.
    for (;;) {
      const expected = expectedRequestLength(this.rx);
      if (expected === null || this.rx.length < expected) break;
      const frame = this.rx.subarray(0, expected);
      this.rx = this.rx.subarray(expected);
      if (!crcMatches(frame)) {
        // Out of step (noise, a collision): drop all and resynchronise on the next silence.
        this.counters.badFrames++;
        this.rx = Buffer.alloc(0);
        return;
      }
      this.handle(frame);
    }
    if (this.rx.length > 0) this.gapTimer = this.clock.setTimeout(() => this.endOfFrame(), this.gapMs);
  }

  /** Silence after bytes that did not make a known frame: a function we do not frame, or noise. */
  private endOfFrame(): void {
    const frame = this.rx;
    this.rx = Buffer.alloc(0);
    if (frame.length >= 4 && crcMatches(frame)) this.handle(frame);
    else this.counters.badFrames++;
  }

  private handle(frame: Buffer): void {
    if (frame[0] !== this.options.slaveId) return;
    this.counters.requests++;
    const pdu = frame.subarray(1, frame.length - 2);
    const fault = this.fault;
    if (fault.kind !== 'none') {
      this.counters.faulted++;
      if (fault.count !== null && --fault.count <= 0) this.fault = { kind: 'none', count: null };
    }
    switch (fault.kind) {
      case 'no-answer':
        return;
      case 'exception':
        this.answer(encodeAdu(this.options.slaveId, Buffer.from([pdu[0]! | 0x80, fault.exceptionCode])), 0);
        return;
      case 'garbage': {
        const length = 3 + Math.floor(this.options.random() * 18);
        this.answer(Buffer.from(Array.from({ length }, () => Math.floor(this.options.random() * 256))), 0);
        return;
      }
      default:
    }
    const outcome = dispatch(this.space, Buffer.from(pdu));
    const response = outcome.kind === 'response' ? outcome.pdu : Buffer.from([outcome.fc | 0x80, outcome.code]);
    const adu = encodeAdu(this.options.slaveId, response);
    if (fault.kind === 'crc') adu[adu.length - 1]! ^= 0xff;
    this.answer(adu, fault.kind === 'slow' ? fault.delayMs : 0);
  }

  private answer(adu: Buffer, extraDelayMs: number): void {
    const send = () => {
      this.counters.answers++;
      void this.transport.write(adu).catch(() => {});
    };
    const delay = this.turnaroundMs + extraDelayMs;
    if (delay <= 0) {
      send();
      return;
    }
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, delay);
    this.timers.add(timer);
  }
}
