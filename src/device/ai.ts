/**
 * Analog input (45MR-3800 current, 45MR-3810 voltage). Everything is derived from one physical
 * value (mA or V) and the mode (aiMode, M-EZ p=118):
 *   raw     0..65535 spans the mode's full range (ASSUMPTION, as on ioPAC 85M modules);
 *           over range -> 0xFFFF, aiStatus 2; under range -> 0x0000, aiStatus 3;
 *           mode 3 below the burnout threshold (0..4 mA, default 2) -> 0x0000, aiStatus 1
 *           (M-EZ p=42, M-38 page-46).
 *   scaled  two-point linear scaling of the physical value clamped to the range (M-38 page-46);
 *           in burnout it shows aiBurnoutValueScaled (ASSUMPTION, default 0).
 * Min/max are tracked for raw and scaled (burnout readings excluded) and reset by
 * aiResetMinValue / aiResetMaxValue. They start from the first value the channel takes: the
 * profile's `physical` at power-up, or, for a channel a signal drives, the signal's first value
 * (#14 point 19; docs/device-model.md).
 */
import { SimError } from '../errors.js';
import { attr, Channel, MinMax, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';

const ATTRIBUTES = [
  attr('aiMode', 'r', 'uint16'),
  attr('aiValueRaw', 'r', 'uint16'),
  attr('aiValueRawMin', 'r', 'uint16'),
  attr('aiValueRawMax', 'r', 'uint16'),
  attr('aiValueScaled', 'r', 'float', 'value'),
  attr('aiValueScaledMin', 'r', 'float'),
  attr('aiValueScaledMax', 'r', 'float'),
  attr('aiResetMinValue', 'rw', 'bit', 'attribute', { action: true }),
  attr('aiResetMaxValue', 'rw', 'bit', 'attribute', { action: true }),
  attr('aiStatus', 'r', 'uint16', 'value', { max: 3 }),
  attr('aiBurnoutValueScaled', 'r', 'float'),
];

export const AI_STATUS = { normal: 0, burnout: 1, overRange: 2, underRange: 3 } as const;

/** Physical range and unit of each aiMode. */
export const AI_RANGES: Record<number, { lo: number; hi: number; unit: 'mA' | 'V' }> = {
  1: { lo: 0, hi: 10, unit: 'V' },
  2: { lo: 0, hi: 20, unit: 'mA' },
  3: { lo: 4, hi: 20, unit: 'mA' },
  4: { lo: 4, hi: 20, unit: 'mA' },
  5: { lo: -10, hi: 10, unit: 'V' },
};

/** What a tester may feed in; beyond this the input would destroy a real module. */
const PHYSICAL_LIMIT = 100;

export interface AiOptions {
  mode: number;
  physical?: number;
  burnoutThreshold?: number;
  burnoutValueScaled?: number;
  scaling?: { measured: [number, number]; scaled: [number, number]; unit: string };
  /** A signal drives the channel from power-up: its first value, not `physical`, starts min/max. */
  driven?: boolean;
}

export class AiChannel extends Channel {
  readonly type = 'ai' as const;
  readonly attributes = ATTRIBUTES;
  readonly unit: string;
  readonly burnoutThreshold: number;
  private readonly aiMode: number;
  private readonly burnoutValueScaled: number;
  private readonly scale: (physical: number) => number;
  private physical: number;
  private wireBroken = false;
  private raw = 0;
  private scaled = 0;
  private status = 0;
  private readonly rawRange: MinMax;
  private readonly scaledRange: MinMax;

  constructor(host: ChannelHost, module: ModuleRef, index: number, name: string, options: AiOptions) {
    super(host, module, index, name);
    this.aiMode = options.mode;
    const range = AI_RANGES[options.mode];
    this.physical = options.physical ?? range?.lo ?? 0;
    this.burnoutThreshold = options.burnoutThreshold ?? 2;
    this.burnoutValueScaled = options.burnoutValueScaled ?? 0;
    const scaling = options.scaling ?? (range ? { measured: [range.lo, range.hi], scaled: [range.lo, range.hi], unit: range.unit } : undefined);
    this.unit = scaling?.unit ?? '';
    if (scaling) {
      const [m1, m2] = scaling.measured;
      const [s1, s2] = scaling.scaled;
      this.scale = (p) => s1 + ((p - m1) * (s2 - s1)) / (m2 - m1);
    } else {
      this.scale = () => 0;
    }
    this.recompute();
    // A burnout reading is no measurement, and a driven channel never holds `physical`: both start empty.
    const taken = options.driven !== true && this.status !== AI_STATUS.burnout;
    this.rawRange = new MinMax(taken ? this.raw : undefined);
    this.scaledRange = new MinMax(taken ? this.scaled : undefined);
  }

  get mode(): number {
    return this.aiMode;
  }

  override field(): Record<string, number | boolean | string> {
    return { physical: this.physical, burnout: this.wireBroken, unit: AI_RANGES[this.aiMode]?.unit ?? '', scaledUnit: this.unit };
  }

  protected readValue(attribute: string): number {
    switch (attribute) {
      case 'aiMode':
        return this.aiMode;
      case 'aiValueRaw':
        return this.raw;
      case 'aiValueRawMin':
        return this.rawRange.min(this.raw);
      case 'aiValueRawMax':
        return this.rawRange.max(this.raw);
      case 'aiValueScaled':
        return this.scaled;
      case 'aiValueScaledMin':
        return this.scaledRange.min(this.scaled);
      case 'aiValueScaledMax':
        return this.scaledRange.max(this.scaled);
      case 'aiStatus':
        return this.status;
      case 'aiBurnoutValueScaled':
        return this.burnoutValueScaled;
      default:
        return 0;
    }
  }

  protected applyWrite(attribute: string, value: number): void {
    if (value !== 1) return;
    if (attribute === 'aiResetMinValue') {
      this.rawRange.resetMin(this.raw);
      this.scaledRange.resetMin(this.scaled);
    } else if (attribute === 'aiResetMaxValue') {
      this.rawRange.resetMax(this.raw);
      this.scaledRange.resetMax(this.scaled);
    }
  }

  protected applyFieldInput(input: FieldInput): void {
    if (input.physical === undefined && input.burnout === undefined) {
      throw this.notApplicable('an AI takes {"physical": number} (mA or V per aiMode) or {"burnout": boolean}');
    }
    if (input.physical !== undefined) {
      if (!Number.isFinite(input.physical) || Math.abs(input.physical) > PHYSICAL_LIMIT) {
        throw new SimError('DEVICE_VALUE_OUT_OF_RANGE', `${this.ioName}: physical must be within ±${PHYSICAL_LIMIT}, got ${input.physical}`, {
          context: { ioName: this.ioName, field: 'physical' },
        });
      }
      this.physical = input.physical;
    }
    if (input.burnout !== undefined) this.wireBroken = input.burnout;
    this.recompute();
    // A burnout is a broken wire, not a measurement: it does not pull min/max down.
    if (this.status !== AI_STATUS.burnout) {
      this.rawRange.update(this.raw);
      this.scaledRange.update(this.scaled);
    }
  }

  private recompute(): void {
    const range = AI_RANGES[this.aiMode];
    if (!range) {
      // aiMode 0: the channel is disabled and reads zero.
      this.raw = 0;
      this.scaled = 0;
      this.status = AI_STATUS.normal;
      return;
    }
    const input = this.wireBroken ? 0 : this.physical;
    if (this.aiMode === 3 && input < this.burnoutThreshold) {
      this.raw = 0;
      this.scaled = this.burnoutValueScaled;
      this.status = AI_STATUS.burnout;
      return;
    }
    const clamped = Math.min(range.hi, Math.max(range.lo, input));
    this.scaled = this.scale(clamped);
    if (input > range.hi) {
      this.raw = 0xffff;
      this.status = AI_STATUS.overRange;
    } else if (input < range.lo) {
      this.raw = 0;
      this.status = AI_STATUS.underRange;
    } else {
      this.raw = Math.round(((input - range.lo) / (range.hi - range.lo)) * 0xffff);
      this.status = AI_STATUS.normal;
    }
  }
}
