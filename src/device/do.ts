/**
 * Digital output (45MR-2600/2601/2606). In DO mode doStatus is the output. In pulse mode,
 * doPulseStatus=1 starts a train of doPulseCount pulses (0 = until stopped, an ASSUMPTION: the
 * manual does not say) with on/off widths in 500 µs units (M-EZ p=118-120); doStatus then shows
 * the live output and the train stops itself, clearing doPulseStatus.
 */
import type { TimerHandle } from './clock.js';
import { attr, Channel, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';

const BASE = [attr('doMode', 'r', 'bit'), attr('doStatus', 'rw', 'bit', 'value')];
const PULSE = [
  attr('doPulseCount', 'rw', 'uint16'),
  attr('doPulseOnWidth', 'rw', 'uint16', 'attribute', { min: 1 }),
  attr('doPulseOffWidth', 'rw', 'uint16', 'attribute', { min: 1 }),
  attr('doPulseStatus', 'rw', 'bit', 'value'),
];
const WITH_PULSE = [...BASE, ...PULSE];

/** Pulse widths are counted in 500 µs units (M-EZ p=120). */
export const PULSE_UNIT_MS = 0.5;

export interface DoOptions {
  pulseCapable: boolean;
  mode: 0 | 1;
  status?: 0 | 1;
  pulse?: { count: number; onWidth: number; offWidth: number };
  safeValue?: 0 | 1;
}

export class DoChannel extends Channel {
  readonly type = 'do' as const;
  readonly attributes;
  readonly pulseCapable: boolean;
  readonly safeValue: 0 | 1 | undefined;
  private readonly doMode: 0 | 1;
  private status: 0 | 1;
  private pulseCount: number;
  private onWidth: number;
  private offWidth: number;
  private pulsing = false;
  private pulsesDone = 0;
  private pulseTimer: TimerHandle | undefined;

  constructor(host: ChannelHost, module: ModuleRef, index: number, name: string, options: DoOptions) {
    super(host, module, index, name);
    this.pulseCapable = options.pulseCapable;
    this.attributes = options.pulseCapable ? WITH_PULSE : BASE;
    this.doMode = options.mode;
    this.status = options.mode === 0 ? (options.status ?? 0) : 0;
    this.pulseCount = options.pulse?.count ?? 0;
    this.onWidth = options.pulse?.onWidth ?? 1000;
    this.offWidth = options.pulse?.offWidth ?? 1000;
    this.safeValue = options.safeValue;
  }

  get mode(): number {
    return this.doMode;
  }

  override dispose(): void {
    this.host.clock.clear(this.pulseTimer);
  }

  /** Drives the output to its safe value (the connection watchdog); stops a pulse train. */
  applySafeValue(source: 'modbus' | 'sim'): void {
    if (this.safeValue === undefined) return;
    const safe = this.safeValue;
    this.track(source, () => {
      this.stopPulse();
      this.status = safe;
    });
  }

  protected readValue(attribute: string): number {
    switch (attribute) {
      case 'doMode':
        return this.doMode;
      case 'doStatus':
        return this.status;
      case 'doPulseCount':
        return this.pulseCount;
      case 'doPulseOnWidth':
        return this.onWidth;
      case 'doPulseOffWidth':
        return this.offWidth;
      case 'doPulseStatus':
        return this.pulsing ? 1 : 0;
      default:
        return 0;
    }
  }

  protected applyWrite(attribute: string, value: number): void {
    switch (attribute) {
      case 'doStatus':
        this.status = value as 0 | 1;
        break;
      case 'doPulseCount':
        this.pulseCount = value;
        break;
      case 'doPulseOnWidth':
        this.onWidth = value;
        break;
      case 'doPulseOffWidth':
        this.offWidth = value;
        break;
      case 'doPulseStatus':
        if (value === 1 && !this.pulsing) this.startPulse();
        else if (value === 0) this.stopPulse();
        break;
    }
  }

  protected override refuseWrite(attribute: string): string | undefined {
    if (attribute === 'doStatus' && this.doMode === 1) return 'doStatus is driven by the pulse train in pulse mode; write doPulseStatus';
    if (attribute === 'doPulseStatus' && this.doMode === 0) return 'doPulseStatus needs doMode 1 (pulse)';
    return undefined;
  }

  protected applyFieldInput(_input: FieldInput): void {
    throw this.notApplicable('a DO has no field-side input; write doStatus through a protocol');
  }

  private startPulse(): void {
    this.pulsing = true;
    this.pulsesDone = 0;
    this.status = 1;
    this.schedule(this.onWidth);
  }

  private stopPulse(): void {
    this.host.clock.clear(this.pulseTimer);
    this.pulseTimer = undefined;
    this.pulsing = false;
    this.status = 0;
  }

  private schedule(widthUnits: number): void {
    this.pulseTimer = this.host.clock.setTimeout(() => this.track('clock', () => this.edge()), widthUnits * PULSE_UNIT_MS);
  }

  private edge(): void {
    if (!this.pulsing) return;
    if (this.status === 1) {
      this.status = 0;
      this.pulsesDone += 1;
      if (this.pulseCount !== 0 && this.pulsesDone >= this.pulseCount) {
        this.pulsing = false;
        this.pulseTimer = undefined;
        return;
      }
      this.schedule(this.offWidth);
    } else {
      this.status = 1;
      this.schedule(this.onWidth);
    }
  }
}
