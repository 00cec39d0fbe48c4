/**
 * One device's Modbus request handling, apart from any socket: its address map, its Modbus
 * faults, its journal and its connection watchdog. A `ModbusTcpServer` (server.ts) frames the
 * bytes and asks a `UnitRouter` which unit answers a frame's unit id:
 *
 *   device's own listener:  any unit id (or the profile's modbus.unitId) ─► its one ModbusUnit
 *   a fleet's gateway:      unit id u ─► the ModbusUnit of the device u selects, or an exception
 *                           (src/fleet/gateway.ts)
 *
 * A device has one unit (src/modbus/service.ts) whichever listener carries the request, so a
 * request through the gateway is journaled, counted in the device's /metrics and re-arms its
 * watchdog exactly as one on its own port.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { DoChannel } from '../device/do.js';
import { isModbusFault } from '../device/faults.js';
import type { JournalEntry } from '../device/journal.js';
import { RelayChannel } from '../device/relay.js';
import { actors } from '../device/actor.js';
import { describePdu } from '../modbus-pdu/describe.js';
import { dispatch, type Outcome } from '../modbus-pdu/dispatch.js';
import type { ExceptionCode } from '../modbus-pdu/exceptions.js';
import type { AddressMap } from './address-map.js';

const isWrite = (fc: number) => fc === 5 || fc === 6 || fc === 15 || fc === 16 || fc === 23;
/** How often an armed watchdog looks at the time since the last request. */
const WATCHDOG_CHECK_MS = 100;

export interface WatchdogSettings {
  enabled: boolean;
  timeoutS: number;
}

/** The Modbus fault in force on a device (modbus-drop, -slow, -garbage, -exception). */
export type ModbusFault = NonNullable<ReturnType<ModbusUnit['fault']>>;

/**
 * Which unit answers a frame, by its unit id (MBAP byte 6):
 * - a `ModbusUnit`: that device answers;
 * - a number: the listener answers this exception code itself (a gateway with no device there);
 * - undefined: no reply at all (a device's own listener, a unit id that is not its `unitId`).
 */
export interface UnitRouter {
  route(unitId: number): ModbusUnit | ExceptionCode | undefined;
  /**
   * What a device's modbus-drop fault does to the connection that carried the request: null =
   * close it (the device's own listener: the connection dies under the request); a code = answer
   * that exception and keep the connection (a gateway stays up when a device behind it is gone).
   */
  readonly dropAnswer: ExceptionCode | null;
}

/** A device's own listener: every unit id reaches its unit when modbus.unitId is `any` (as a 4510), else only that one. */
export function deviceRouter(unit: ModbusUnit, unitId: () => 'any' | number): UnitRouter {
  return {
    route: (id) => {
      const own = unitId();
      return own === 'any' || id === own ? unit : undefined;
    },
    dropAnswer: null,
  };
}

export class ModbusUnit {
  private lastRequestAt: number | undefined;
  private watchdogTimer: TimerHandle | undefined;
  /** State of the garbage generator (a fixed seed: runs repeat). */
  private noise = 1;

  constructor(
    readonly device: Device,
    private readonly clock: Clock,
    private map: AddressMap,
    /** The running config's modbus.watchdog (read on each check). */
    private readonly watchdog: WatchdogSettings,
    private readonly logger: Logger,
  ) {}

  /** Swaps the address map (new base addresses or word order); requests after this use it. */
  setMap(map: AddressMap): void {
    this.map = map;
  }

  /** The device's Modbus fault in force, if any (asked once per frame, before it is answered). */
  fault() {
    return this.device.faults.find(isModbusFault);
  }

  /**
   * Answers one request PDU from `peer` (host:port, as the journal names the client), `fault`
   * being what fault() gave for this frame: the reply's outcome, or raw bytes that go out in
   * place of a reply (a modbus-garbage fault). Journals the request and notes the master.
   */
  answer(peer: string, pdu: Buffer, fault: ModbusFault | undefined): Outcome | Buffer {
    if (fault?.spec.kind === 'modbus-garbage') {
      // Line noise from a bad gateway: bytes that are not a Modbus reply at all.
      this.device.faults.hit(fault);
      this.journal(peer, pdu, 'fault modbus-garbage');
      return this.garbage();
    }
    const outcome: Outcome =
      fault?.spec.kind === 'modbus-exception'
        ? (this.device.faults.hit(fault), { kind: 'exception', fc: pdu[0] ?? 0, code: fault.spec.exceptionCode as ExceptionCode, detail: 'fault modbus-exception' })
        : // Only writes change anything, so only they need the actor context (it costs on the hot read path).
          isWrite(pdu[0] ?? 0)
          ? actors.run({ peer }, () => dispatch(this.map, pdu))
          : dispatch(this.map, pdu);
    this.journal(peer, pdu, outcome.kind === 'response' ? 'ok' : `exception ${outcome.code}`);
    // After the dispatch, so that the master's first request after an alarm still reads
    // watchdogAlarmFlag = 1 (discrete input 0); the flag clears once that request is answered.
    this.noteMaster();
    return outcome;
  }

  /** One journal entry per request (every request is journaled, so this is on the hot path). */
  journal(peer: string, pdu: Buffer, result: string): void {
    this.device.journal.record(new ModbusRequestEntry(peer, pdu, result));
  }

  /** Stops the watchdog's timer; the next request arms it again. */
  close(): void {
    this.clock.clear(this.watchdogTimer);
    this.watchdogTimer = undefined;
    this.lastRequestAt = undefined;
  }

  /** 1-20 bytes from a seeded generator, so a run with the same requests sees the same noise. */
  private garbage(): Buffer {
    const next = () => (this.noise = (Math.imul(this.noise, 1_103_515_245) + 12_345) >>> 0) >>> 24;
    return Buffer.from(Array.from({ length: 1 + (next() % 20) }, next));
  }

  /** A master talked: the watchdog re-arms and its alarm clears. */
  private noteMaster(): void {
    this.lastRequestAt = this.clock.monotonic();
    if (!this.watchdog.enabled) return;
    // Armed by the first request (ASSUMPTION): a device nobody has talked to yet does not alarm.
    this.watchdogTimer ??= this.clock.setInterval(() => this.checkWatchdog(), WATCHDOG_CHECK_MS);
    if (this.device.head.read('watchdogAlarmFlag') === 1) this.device.head.setWatchdogAlarm(false, 'modbus');
  }

  private checkWatchdog(): void {
    const watchdog = this.watchdog;
    if (!watchdog.enabled || this.lastRequestAt === undefined) return;
    if (this.clock.monotonic() - this.lastRequestAt >= watchdog.timeoutS * 1000 && this.device.head.read('watchdogAlarmFlag') === 0) this.fireWatchdog();
  }

  private fireWatchdog(): void {
    this.logger.warn({ timeoutS: this.watchdog.timeoutS }, 'Modbus/TCP watchdog: no master; outputs to safe values');
    this.device.head.setWatchdogAlarm(true, 'modbus');
    for (const module of this.device.modules) {
      for (const channel of module.channels) {
        if (channel instanceof DoChannel || channel instanceof RelayChannel) channel.applySafeValue('modbus');
      }
    }
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
