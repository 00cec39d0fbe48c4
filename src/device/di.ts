/**
 * Digital input (45MR-1600/1601/2606). diStatus follows the field level through an optional
 * software filter; in counter mode every rising edge of the filtered level counts while the
 * counter runs, and a wrap past 2^32-1 sets the overflow flag (M-EZ p=118-120).
 */
import type { TimerHandle } from './clock.js';
import { attr, Channel, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';

const BASE = [attr('diMode', 'r', 'bit'), attr('diStatus', 'r', 'bit', 'value')];
const COUNTER = [
  attr('diCounterValue', 'rw', 'uint32', 'value'),
  attr('diCounterStatus', 'rw', 'bit', 'value'),
  attr('diCounterOverflowFlag', 'r', 'bit'),
  attr('diCounterOverflowFlagClear', 'rw', 'bit', 'attribute', { action: true }),
];
const WITH_COUNTER = [...BASE, ...COUNTER];

export interface DiOptions {
  counterCapable: boolean;
  mode: 0 | 1;
  level?: 0 | 1;
  filterMs?: number;
  counterValue?: number;
  counterRunning?: boolean;
}

export class DiChannel extends Channel {
  readonly type = 'di' as const;
  readonly attributes;
  readonly counterCapable: boolean;
  private diMode: 0 | 1;
  /** The raw field level, before the filter. */
  private level: 0 | 1;
  private status: 0 | 1;
  private readonly filterMs: number;
  private filterTimer: TimerHandle | undefined;
  private counter: number;
  private counterRunning: boolean;
  private overflow = false;

  constructor(host: ChannelHost, module: ModuleRef, index: number, name: string, options: DiOptions) {
    super(host, module, index, name);
    this.counterCapable = options.counterCapable;
    this.attributes = options.counterCapable ? WITH_COUNTER : BASE;
    this.diMode = options.mode;
    this.level = options.level ?? 0;
    this.status = this.level;
    this.filterMs = options.filterMs ?? 0;
    this.counter = options.counterValue ?? 0;
    this.counterRunning = options.counterRunning ?? true;
  }

  get mode(): number {
    return this.diMode;
  }

  /** The counter and its overflow flag, as a restart that keeps them saves them (src/app/di-counter-retain.ts). */
  counterState(): { value: number; overflow: boolean } {
    return { value: this.counter, overflow: this.overflow };
  }

  /** Puts back a saved counter at start, before any service or signal runs: no change event. */
  restoreCounter(value: number, overflow: boolean): void {
    this.counter = value;
    this.overflow = overflow;
  }

  override field(): Record<string, number> {
    return { level: this.level, filterMs: this.filterMs };
  }

  override dispose(): void {
    this.host.clock.clear(this.filterTimer);
  }

  protected readValue(attribute: string): number {
    switch (attribute) {
      case 'diMode':
        return this.diMode;
      case 'diStatus':
        return this.status;
      case 'diCounterValue':
        return this.counter;
      case 'diCounterStatus':
        return this.counterRunning ? 1 : 0;
      case 'diCounterOverflowFlag':
        return this.overflow ? 1 : 0;
      default:
        return 0;
    }
  }

  protected applyWrite(attribute: string, value: number): void {
    switch (attribute) {
      case 'diCounterValue':
        this.counter = value;
        break;
      case 'diCounterStatus':
        this.counterRunning = value === 1;
        break;
      case 'diCounterOverflowFlagClear':
        if (value === 1) this.overflow = false;
        break;
    }
  }

  protected applyFieldInput(input: FieldInput): void {
    if (input.level === undefined) throw this.notApplicable('a DI takes {"level": 0|1}');
    this.setLevel(input.level);
  }

  private setLevel(level: 0 | 1): void {
    if (level === this.level) return;
    this.level = level;
    if (this.filterMs === 0) {
      this.setStatus(level);
      return;
    }
    // A level must hold for filterMs before diStatus follows; a shorter glitch is swallowed.
    this.host.clock.clear(this.filterTimer);
    this.filterTimer = undefined;
    if (level === this.status) return;
    this.filterTimer = this.host.clock.setTimeout(() => {
      this.filterTimer = undefined;
      this.track('clock', () => this.setStatus(this.level));
    }, this.filterMs);
  }

  private setStatus(status: 0 | 1): void {
    const rising = this.status === 0 && status === 1;
    this.status = status;
    if (rising && this.diMode === 1 && this.counterRunning) {
      if (this.counter === 0xffff_ffff) {
        this.counter = 0;
        this.overflow = true;
      } else {
        this.counter += 1;
      }
    }
  }
}
