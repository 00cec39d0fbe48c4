/**
 * Internal registers (IR): 256 in total across BOOL, WORD, DWORD and FLOAT (M-EZ p=52), filled
 * by the Modbus RTU master and readable/writable over every northbound protocol. WORD and DWORD
 * are signed, as the MQTT write ranges print them (M-EZ p=120); FLOAT is IEEE-754 float32.
 * ioNames are BIR-00, WIR-00, DIR-00 and FIR-00 (ASSUMPTION: the real names were not seen).
 */
import { attr, Channel, type AttributeSpec, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';
import type { IrType } from './schema.js';

export const IR_PREFIX: Record<IrType, string> = { bool: 'BIR', word: 'WIR', dword: 'DIR', float: 'FIR' };
const IR_KIND = { bool: 'bit', word: 'int16', dword: 'int32', float: 'float' } as const;
const IR_MODE: Record<IrType, number> = { bool: 0, word: 1, dword: 2, float: 3 };

/** The irValue attribute of a register type; the profile check uses it for initial values. */
export function irValueSpec(irType: IrType): AttributeSpec {
  return attr('irValue', 'rw', IR_KIND[irType], 'value');
}

const IR_ATTRIBUTES: Record<IrType, readonly AttributeSpec[]> = { bool: [irValueSpec('bool')], word: [irValueSpec('word')], dword: [irValueSpec('dword')], float: [irValueSpec('float')] };

export class IrChannel extends Channel {
  readonly type = 'ir' as const;
  readonly attributes: readonly AttributeSpec[];
  private value = 0;

  constructor(
    host: ChannelHost,
    module: ModuleRef,
    readonly irType: IrType,
    index: number,
  ) {
    super(host, module, index, `${IR_PREFIX[irType]}-${String(index).padStart(2, '0')}`);
    this.attributes = IR_ATTRIBUTES[irType];
  }

  override get ioName(): string {
    return this.name;
  }

  get mode(): number {
    return IR_MODE[this.irType];
  }

  protected readValue(): number {
    return this.value;
  }

  protected applyWrite(_attribute: string, value: number): void {
    this.value = this.irType === 'float' ? Math.fround(value) : value;
  }

  protected applyFieldInput(_input: FieldInput): void {
    throw this.notApplicable('an internal register is written through irValue');
  }
}
