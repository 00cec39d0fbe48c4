/**
 * System power status of a 45MR-7210 power module. spStatus 0/1/2 (M-EZ REST list); the
 * meaning of the codes is not documented, so (ASSUMPTION) 0 = normal, 1 = below
 * spLowerLimitValue, 2 = above spUpperLimitValue. fpStatus: 0 = field power present, 1 = lost
 * (OMNI lists it; the meaning is ours). The field side sets the supply voltage and field power.
 */
import { attr, Channel, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';

const ATTRIBUTES = [
  attr('spStatus', 'r', 'uint16', 'value', { max: 2 }),
  attr('spLowerLimitValue', 'rw', 'float', 'attribute', { min: 0, max: 60 }),
  attr('spUpperLimitValue', 'rw', 'float', 'attribute', { min: 0, max: 60 }),
  attr('fpStatus', 'r', 'bit', 'value'),
];

export interface SpOptions {
  voltage?: number;
  lowerLimit?: number;
  upperLimit?: number;
}

export class SpChannel extends Channel {
  readonly type = 'sp' as const;
  readonly attributes = ATTRIBUTES;
  private voltage: number;
  private lower: number;
  private upper: number;
  private fieldPowerLost = false;

  constructor(host: ChannelHost, module: ModuleRef, index: number, name: string, options: SpOptions) {
    super(host, module, index, name);
    this.voltage = options.voltage ?? 24;
    this.lower = options.lowerLimit ?? 12;
    this.upper = options.upperLimit ?? 48;
  }

  get mode(): number {
    return 0;
  }

  override field(): Record<string, number | boolean> {
    return { voltage: this.voltage, fieldPower: this.fieldPowerLost ? 0 : 1 };
  }

  protected readValue(attribute: string): number {
    switch (attribute) {
      case 'spStatus':
        return this.voltage < this.lower ? 1 : this.voltage > this.upper ? 2 : 0;
      case 'spLowerLimitValue':
        return this.lower;
      case 'spUpperLimitValue':
        return this.upper;
      case 'fpStatus':
        return this.fieldPowerLost ? 1 : 0;
      default:
        return 0;
    }
  }

  protected applyWrite(attribute: string, value: number): void {
    if (attribute === 'spLowerLimitValue') this.lower = value;
    else if (attribute === 'spUpperLimitValue') this.upper = value;
  }

  protected applyFieldInput(input: FieldInput): void {
    if (input.voltage === undefined && input.fieldPower === undefined) {
      throw this.notApplicable('a power module takes {"voltage": number} or {"fieldPower": 0|1}');
    }
    if (input.voltage !== undefined) this.voltage = input.voltage;
    if (input.fieldPower !== undefined) this.fieldPowerLost = input.fieldPower === 0;
  }
}
