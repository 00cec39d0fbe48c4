/**
 * RTD (45MR-6600) and thermocouple (45MR-6810) inputs share one behaviour: the field side is a
 * temperature in °C (or ohms / millivolts in the resistance and voltage modes), the scaled value
 * follows it, min/max are tracked with resets (from the first value the channel takes: the
 * profile's temperature, or the first value of a signal that drives it from power-up, #14 point 19), and a broken sensor sets status 1 (burnout) while
 * the value holds its last reading (ASSUMPTION). Attribute names: rtdMode / tcType and the
 * rtd... and tc... attribute families (M-EZ p=119, M-38 page-82).
 */
import { SimError } from '../errors.js';
import { attr, Channel, MinMax, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';

interface Range {
  lo: number;
  hi: number;
  unit: '°C' | 'Ω' | 'mV';
}

/** Sensor ranges from the sensor standards (IEC 60751, JIS C1604, IEC 60584). */
export const RTD_RANGES: Record<number, Range> = {
  0: { lo: -200, hi: 850, unit: '°C' },
  1: { lo: -200, hi: 850, unit: '°C' },
  2: { lo: -200, hi: 850, unit: '°C' },
  3: { lo: -200, hi: 850, unit: '°C' },
  4: { lo: -200, hi: 850, unit: '°C' },
  14: { lo: 0, hi: 310, unit: 'Ω' },
  15: { lo: 0, hi: 620, unit: 'Ω' },
  16: { lo: 0, hi: 1250, unit: 'Ω' },
  17: { lo: 0, hi: 2200, unit: 'Ω' },
  20: { lo: -200, hi: 640, unit: '°C' },
  21: { lo: -200, hi: 640, unit: '°C' },
  22: { lo: -200, hi: 640, unit: '°C' },
  23: { lo: -200, hi: 640, unit: '°C' },
  30: { lo: -60, hi: 250, unit: '°C' },
  31: { lo: -60, hi: 250, unit: '°C' },
  32: { lo: -60, hi: 250, unit: '°C' },
  33: { lo: -60, hi: 250, unit: '°C' },
  34: { lo: -80, hi: 260, unit: '°C' },
};

export const TC_RANGES: Record<number, Range> = {
  0: { lo: -210, hi: 1200, unit: '°C' },
  1: { lo: -270, hi: 1372, unit: '°C' },
  2: { lo: -270, hi: 400, unit: '°C' },
  3: { lo: -270, hi: 1000, unit: '°C' },
  4: { lo: -50, hi: 1768, unit: '°C' },
  5: { lo: -50, hi: 1768, unit: '°C' },
  6: { lo: 0, hi: 1820, unit: '°C' },
  7: { lo: -270, hi: 1300, unit: '°C' },
  14: { lo: -78.126, hi: 78.126, unit: 'mV' },
  15: { lo: -39.062, hi: 39.062, unit: 'mV' },
  16: { lo: -19.532, hi: 19.532, unit: 'mV' },
};

export interface TemperatureOptions {
  mode: number;
  temperature?: number;
  /** A signal drives the channel from power-up: its first value, not `temperature`, starts min/max. */
  driven?: boolean;
}

abstract class TemperatureChannel extends Channel {
  readonly attributes;
  private readonly modeCode: number;
  private readonly range: Range | undefined;
  private value: number;
  private broken = false;
  private readonly minMax: MinMax;
  private readonly names: { mode: string; value: string; min: string; max: string; resetMin: string; resetMax: string; status: string };

  constructor(
    host: ChannelHost,
    module: ModuleRef,
    index: number,
    name: string,
    options: TemperatureOptions,
    prefix: 'rtd' | 'tc',
    ranges: Record<number, Range>,
  ) {
    super(host, module, index, name);
    this.names = {
      mode: prefix === 'rtd' ? 'rtdMode' : 'tcType',
      value: `${prefix}ValueScaled`,
      min: `${prefix}ValueScaledMin`,
      max: `${prefix}ValueScaledMax`,
      resetMin: `${prefix}ResetMinValue`,
      resetMax: `${prefix}ResetMaxValue`,
      status: `${prefix}Status`,
    };
    this.attributes = [
      attr(this.names.mode, 'r', 'uint16'),
      attr(this.names.value, 'r', 'float', 'value'),
      attr(this.names.min, 'r', 'float'),
      attr(this.names.max, 'r', 'float'),
      attr(this.names.resetMin, 'rw', 'bit', 'attribute', { action: true }),
      attr(this.names.resetMax, 'rw', 'bit', 'attribute', { action: true }),
      attr(this.names.status, 'r', 'bit', 'value'),
    ];
    this.modeCode = options.mode;
    this.range = ranges[options.mode];
    const initial = options.temperature ?? (this.range?.unit === '°C' ? 25 : 0);
    this.value = this.range ? this.checked(initial) : 0;
    this.minMax = new MinMax(options.driven === true ? undefined : this.value);
  }

  get mode(): number {
    return this.modeCode;
  }

  override field(): Record<string, number | boolean | string> {
    return { temperature: this.value, burnout: this.broken, unit: this.range?.unit ?? '' };
  }

  protected readValue(attribute: string): number {
    const n = this.names;
    switch (attribute) {
      case n.mode:
        return this.modeCode;
      case n.value:
        return this.value;
      case n.min:
        return this.minMax.min(this.value);
      case n.max:
        return this.minMax.max(this.value);
      case n.status:
        return this.broken ? 1 : 0;
      default:
        return 0;
    }
  }

  protected applyWrite(attribute: string, value: number): void {
    if (value !== 1) return;
    if (attribute === this.names.resetMin) this.minMax.resetMin(this.value);
    else if (attribute === this.names.resetMax) this.minMax.resetMax(this.value);
  }

  protected applyFieldInput(input: FieldInput): void {
    if (input.temperature === undefined && input.burnout === undefined) {
      throw this.notApplicable(`this channel takes {"temperature": number} (${this.range?.unit ?? 'disabled'}) or {"burnout": boolean}`);
    }
    if (!this.range) throw this.notApplicable('the channel is disabled (mode 50)');
    if (input.temperature !== undefined) {
      this.value = this.checked(input.temperature);
      this.minMax.update(this.value);
    }
    if (input.burnout !== undefined) this.broken = input.burnout;
  }

  private checked(value: number): number {
    const range = this.range;
    if (range && (!Number.isFinite(value) || value < range.lo || value > range.hi)) {
      throw new SimError(
        'DEVICE_VALUE_OUT_OF_RANGE',
        `${this.ioName}: temperature must be within ${range.lo}..${range.hi} ${range.unit} for this sensor type, got ${value}`,
        { context: { ioName: this.ioName, field: 'temperature', min: range.lo, max: range.hi } },
      );
    }
    return value;
  }
}

export class RtdChannel extends TemperatureChannel {
  readonly type = 'rtd' as const;

  constructor(host: ChannelHost, module: ModuleRef, index: number, name: string, options: TemperatureOptions) {
    super(host, module, index, name, options, 'rtd', RTD_RANGES);
  }
}

export class TcChannel extends TemperatureChannel {
  readonly type = 'tc' as const;

  constructor(host: ChannelHost, module: ModuleRef, index: number, name: string, options: TemperatureOptions) {
    super(host, module, index, name, options, 'tc', TC_RANGES);
  }
}
