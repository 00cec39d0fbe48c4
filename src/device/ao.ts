/**
 * Analog output (45MR-4420). aoValueRaw (0..65535) and aoValueScaled (the output in V or mA)
 * are two views of one output: writing either sets the other (ASSUMPTION: raw spans the mode's
 * full range, as for the AI). aoStatus is 0 normal / 1 fault (M-EZ p=119); a fault is injected
 * from the field side ({"fault": true}, e.g. an open current loop).
 */
import { attr, Channel, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';

export const AO_RANGES: Record<number, { lo: number; hi: number; unit: 'mA' | 'V' }> = {
  1: { lo: 0, hi: 10, unit: 'V' },
  2: { lo: 0, hi: 20, unit: 'mA' },
  3: { lo: 4, hi: 20, unit: 'mA' },
  4: { lo: -10, hi: 10, unit: 'V' },
};

export interface AoOptions {
  mode: number;
  output?: number;
}

export class AoChannel extends Channel {
  readonly type = 'ao' as const;
  readonly attributes;
  private readonly aoMode: number;
  private raw = 0;
  private fault = false;

  constructor(host: ChannelHost, module: ModuleRef, index: number, name: string, options: AoOptions) {
    super(host, module, index, name);
    this.aoMode = options.mode;
    const range = AO_RANGES[options.mode];
    this.attributes = [
      attr('aoMode', 'r', 'uint16'),
      attr('aoValueRaw', 'rw', 'uint16'),
      attr('aoValueScaled', 'rw', 'float', 'value', range ? { min: range.lo, max: range.hi } : { min: 0, max: 0 }),
      attr('aoStatus', 'r', 'bit', 'value'),
    ];
    if (range) this.raw = this.toRaw(options.output ?? range.lo);
  }

  get mode(): number {
    return this.aoMode;
  }

  override field(): Record<string, number | boolean | string> {
    return { output: this.scaled(), unit: AO_RANGES[this.aoMode]?.unit ?? '', fault: this.fault };
  }

  protected readValue(attribute: string): number {
    switch (attribute) {
      case 'aoMode':
        return this.aoMode;
      case 'aoValueRaw':
        return this.raw;
      case 'aoValueScaled':
        return this.scaled();
      case 'aoStatus':
        return this.fault ? 1 : 0;
      default:
        return 0;
    }
  }

  protected applyWrite(attribute: string, value: number): void {
    if (attribute === 'aoValueRaw') this.raw = value;
    else if (attribute === 'aoValueScaled') this.raw = this.toRaw(value);
  }

  protected override refuseWrite(): string | undefined {
    return AO_RANGES[this.aoMode] ? undefined : 'the channel is disabled (aoMode 0)';
  }

  protected applyFieldInput(input: FieldInput): void {
    if (input.fault === undefined) throw this.notApplicable('an AO takes only {"fault": boolean} from the field side');
    this.fault = input.fault;
  }

  private scaled(): number {
    const range = AO_RANGES[this.aoMode];
    if (!range) return 0;
    return range.lo + (this.raw / 0xffff) * (range.hi - range.lo);
  }

  private toRaw(output: number): number {
    const range = AO_RANGES[this.aoMode];
    if (!range) return 0;
    return Math.round(((output - range.lo) / (range.hi - range.lo)) * 0xffff);
  }
}
