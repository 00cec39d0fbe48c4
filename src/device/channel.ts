/**
 * The channel base: attribute specs in the device's own names (M-EZ p=114-120), one write path
 * that checks access and range, and change tracking that compares every attribute before and
 * after a mutation, so no behaviour can change a value without an event.
 */
import { SimError } from '../errors.js';
import type { ChannelType } from './catalog.js';
import type { Clock } from './clock.js';
import type { FieldInput } from './field-input.js';

export type ValueKind = 'bit' | 'uint16' | 'uint32' | 'int16' | 'int32' | 'float';

export interface AttributeSpec {
  readonly name: string;
  readonly access: 'r' | 'rw';
  readonly kind: ValueKind;
  readonly min: number;
  readonly max: number;
  /** MQTT topic class (M-EZ p=118): frequently used "value" topics versus "attribute" topics. */
  readonly topicClass: 'value' | 'attribute';
  /** Write-1-to-act (reset/clear); always reads 0. */
  readonly action?: boolean;
}

/** Who caused a change; every event and (later) journal entry carries it. */
export type ChangeSource =
  | 'field'
  | 'signal'
  | 'wiring'
  | 'clock'
  | 'modbus'
  | 'rest'
  | 'mqtt'
  | 'snmp'
  | 'rtu'
  | 'sim'
  | 'scenario'
  | 'config';

export interface ModuleRef {
  readonly slot: number;
  readonly name: string;
}

export interface ChannelHost {
  readonly clock: Clock;
  commit(channel: Channel, attribute: string, value: number, previous: number, source: ChangeSource): void;
  /** Every northbound write attempt, applied or refused (`error`), for the journal. */
  recordWrite(channel: Channel, attribute: string, value: number, source: ChangeSource, error: unknown): void;
}

// The field input's shape is its schema's (field-input.ts); re-exported for the channel types.
export type { FieldInput } from './field-input.js';

/** Each kind's whole range, [min, max]; an attribute may narrow it (attr's `range`). */
export const VALUE_RANGES: Readonly<Record<ValueKind, readonly [number, number]>> = {
  bit: [0, 1],
  uint16: [0, 0xffff],
  uint32: [0, 0xffff_ffff],
  int16: [-0x8000, 0x7fff],
  int32: [-0x8000_0000, 0x7fff_ffff],
  float: [-3.4028234663852886e38, 3.4028234663852886e38],
};

export function attr(
  name: string,
  access: 'r' | 'rw',
  kind: ValueKind,
  topicClass: 'value' | 'attribute' = 'attribute',
  range?: { min?: number; max?: number; action?: boolean },
): AttributeSpec {
  const [min, max] = VALUE_RANGES[kind];
  return { name, access, kind, topicClass, min: range?.min ?? min, max: range?.max ?? max, action: range?.action ?? false };
}

/** By attribute list, not by channel: channels of one kind share their list (256 internal registers, four lists). */
const attributeIndexes = new WeakMap<readonly AttributeSpec[], Map<string, AttributeSpec>>();
function attributeIndex(attributes: readonly AttributeSpec[]): Map<string, AttributeSpec> {
  let index = attributeIndexes.get(attributes);
  if (!index) attributeIndexes.set(attributes, (index = new Map(attributes.map((a) => [a.name, a]))));
  return index;
}

export function checkValue(spec: AttributeSpec, value: number, where: string): void {
  const integral = spec.kind !== 'float';
  if (!Number.isFinite(value) || (integral && !Number.isInteger(value)) || value < spec.min || value > spec.max) {
    throw new SimError(
      'DEVICE_VALUE_OUT_OF_RANGE',
      `${where}: ${spec.name} must be ${integral ? 'an integer' : 'a number'} in ${spec.min}..${spec.max}, got ${value}`,
      { context: { attribute: spec.name, value, min: spec.min, max: spec.max } },
    );
  }
}

/** Channel types on modules, plus `ir` (internal registers) and `sys` (the head unit's own points). */
export type IoType = ChannelType | 'ir' | 'sys';

export abstract class Channel {
  abstract readonly type: IoType;
  abstract readonly attributes: readonly AttributeSpec[];
  private tracking = false;
  private ioNameOnce: string | undefined;

  constructor(
    protected readonly host: ChannelHost,
    readonly module: ModuleRef,
    readonly index: number,
    public name: string,
  ) {}

  /** Built once: names do not change while a device runs (a rename is a restart), and topic and map building read it ~10 times a channel. */
  get ioName(): string {
    return (this.ioNameOnce ??= `${this.module.name}@${this.name}`);
  }

  /** The mode code (diMode, doMode, aiMode, rtdMode, tcType, aoMode); 0 where a type has none. */
  abstract get mode(): number;

  /** Current value of an attribute; throws DEVICE_UNKNOWN_ATTRIBUTE. */
  read(attribute: string): number {
    this.spec(attribute);
    return this.readValue(attribute);
  }

  /**
   * `read` for a caller that holds an attribute `spec()` accepted (a channel's attributes never
   * change): a Modbus point, checked when the address map is built. It skips the name lookup,
   * which was ten WeakMap and ten Map look-ups in every FC3 x 10 registers request (#19).
   */
  readKnown(attribute: string): number {
    return this.readValue(attribute);
  }

  /** A northbound write (Modbus, REST, MQTT, SNMP): access, range and mode checked, then applied. */
  write(attribute: string, value: number, source: ChangeSource): void {
    try {
      this.checkWrite(attribute, value);
    } catch (error) {
      this.host.recordWrite(this, attribute, value, source, error);
      throw error;
    }
    // Recorded before it applies, so the journal reads write, then the changes it made.
    this.host.recordWrite(this, attribute, value, source, null);
    this.track(source, () => this.applyWrite(attribute, value));
  }

  /**
   * Throws what `write` would throw, changing nothing. Lets a multi-value write (Modbus FC16, a
   * config PUT) check every value before it applies any.
   */
  checkWrite(attribute: string, value: number): void {
    const spec = this.spec(attribute);
    if (spec.access !== 'rw') {
      throw new SimError('DEVICE_READ_ONLY', `${this.ioName}: ${attribute} is read-only`, {
        context: { ioName: this.ioName, attribute },
      });
    }
    checkValue(spec, value, this.ioName);
    const refusal = this.refuseWrite(attribute, value);
    if (refusal) throw this.notApplicable(refusal);
  }

  /** A field-side stimulus (a tester, a signal, DO→DI wiring). */
  applyField(input: FieldInput, source: ChangeSource): void {
    this.track(source, () => this.applyFieldInput(input));
  }

  spec(attribute: string): AttributeSpec {
    const spec = attributeIndex(this.attributes).get(attribute);
    if (!spec) {
      throw new SimError('DEVICE_UNKNOWN_ATTRIBUTE', `${this.ioName} has no attribute ${attribute}`, {
        context: { ioName: this.ioName, attribute, known: this.attributes.map((a) => a.name) },
      });
    }
    return spec;
  }

  hasAttribute(attribute: string): boolean {
    return attributeIndex(this.attributes).has(attribute);
  }

  /** Every attribute by name, as the device API's channel GET returns them. */
  values(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of this.attributes) out[a.name] = this.readValue(a.name);
    return out;
  }

  /** Field-side state that is not an attribute (the physical input, a broken wire ...). */
  field(): Record<string, number | boolean | string> {
    return {};
  }

  /** Releases timers; called when the device is disposed. */
  dispose(): void {}

  protected abstract readValue(attribute: string): number;
  /** Applies a checked write; must not throw (refuseWrite says no beforehand). */
  protected abstract applyWrite(attribute: string, value: number): void;
  /** Why this channel, in its current mode, refuses a write that is in range; undefined = accepted. */
  protected refuseWrite(_attribute: string, _value: number): string | undefined {
    return undefined;
  }
  protected abstract applyFieldInput(input: FieldInput): void;

  protected notApplicable(what: string): SimError {
    return new SimError('DEVICE_NOT_APPLICABLE', `${this.ioName}: ${what}`, { context: { ioName: this.ioName } });
  }

  /** Runs a mutation and reports every attribute it changed. */
  protected track(source: ChangeSource, mutate: () => void): void {
    if (this.tracking) {
      mutate();
      return;
    }
    const before = this.attributes.map((a) => this.readValue(a.name));
    this.tracking = true;
    try {
      mutate();
    } finally {
      this.tracking = false;
    }
    this.attributes.forEach((a, i) => {
      const value = this.readValue(a.name);
      const previous = before[i] as number;
      if (value !== previous && !(Number.isNaN(value) && Number.isNaN(previous))) {
        this.host.commit(this, a.name, value, previous, source);
      }
    });
  }
}

/**
 * Tracks the minimum and maximum of a value, with resets (aiResetMinValue and friends). They start
 * from the first value the channel takes (#14 point 19): a channel a signal drives from power-up
 * starts empty, and the signal's first value seeds both; until then they read as the present value.
 * A reset restarts one of them from the reading at that moment (docs/device-model.md).
 */
export class MinMax {
  private lo: number | undefined;
  private hi: number | undefined;

  /** `initial` undefined: nothing taken yet. */
  constructor(initial?: number) {
    this.lo = initial;
    this.hi = initial;
  }

  min(current: number): number {
    return this.lo ?? current;
  }

  max(current: number): number {
    return this.hi ?? current;
  }

  update(value: number): void {
    if (this.lo === undefined || value < this.lo) this.lo = value;
    if (this.hi === undefined || value > this.hi) this.hi = value;
  }

  resetMin(current: number): void {
    this.lo = current;
  }

  resetMax(current: number): void {
    this.hi = current;
  }
}
