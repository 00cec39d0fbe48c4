/**
 * zod schema for a virtual field device file (profiles/field-devices/*.yaml): a Modbus RTU slave
 * such as a power meter that the emulator's RTU master polls. The structure is checked first, then
 * one superRefine pass reports every cross-field problem at once with the path of the field to fix.
 *
 * Values are in engineering units. An integer point holds round(value / scale) in its registers,
 * so a temperature of 21.5 °C with scale 0.1 reads as the int16 215.
 */
import * as z from 'zod';
import { signalSchema, type SignalSpec } from '../device/schema.js';

export const FIELD_TABLES = ['coil', 'discrete', 'holding', 'input'] as const;
export type FieldTable = (typeof FIELD_TABLES)[number];

export const FIELD_POINT_TYPES = ['bool', 'uint16', 'int16', 'uint32', 'int32', 'float32'] as const;
export type FieldPointType = (typeof FIELD_POINT_TYPES)[number];

const BIT_TABLES: readonly FieldTable[] = ['coil', 'discrete'];
/** Modbus function codes write only coils (FC 5, 15) and holding registers (FC 6, 16, 23). */
const WRITABLE_TABLES: readonly FieldTable[] = ['coil', 'holding'];

const FLOAT32_MAX = 3.4028234663852886e38;

/** The raw (register) range of each type; a bool is one bit. */
export const RAW_RANGE: Record<FieldPointType, readonly [number, number]> = {
  bool: [0, 1],
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffff_ffff],
  int32: [-0x8000_0000, 0x7fff_ffff],
  float32: [-FLOAT32_MAX, FLOAT32_MAX],
};

/** Addresses a point takes in its table: 32-bit types span two registers. */
export function sizeOf(type: FieldPointType): 1 | 2 {
  return type === 'uint32' || type === 'int32' || type === 'float32' ? 2 : 1;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const fieldPointSchema = z.strictObject({
  /** Used by the status API and set(); stable across register map edits. */
  name: z
    .string()
    .min(1)
    .max(32)
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a letter, then letters, digits or _'),
  description: z.string().max(200).optional(),
  table: z.enum(FIELD_TABLES),
  /** Zero-based protocol address (register 40001 is holding address 0). */
  address: z.number().int().min(0).max(0xffff),
  type: z.enum(FIELD_POINT_TYPES),
  unit: z.string().max(16).optional(),
  /** Engineering value per raw count, for integer and float register types (e.g. 0.1 for tenths). */
  scale: finite.refine((v) => v > 0, 'must be > 0').optional(),
  /** Value at start, in engineering units; a signal's first value replaces it. */
  value: finite.default(0),
  /** Coil and holding points only: false makes a Modbus write answer ILLEGAL DATA ADDRESS. */
  writable: z.boolean().optional(),
  signal: signalSchema.optional(),
});
export type FieldPoint = z.infer<typeof fieldPointSchema>;

export const fieldDeviceSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -, starting with a letter or digit'),
    description: z.string().max(200).default(''),
    /** The unit id the device answers unless the serial setup gives another (Modbus serial: 1..247). */
    defaultSlaveId: z.number().int().min(1).max(247).default(1),
    /** For 32-bit types: big = high word at the lower address (the usual Modbus order), little = low word first. */
    wordOrder: z.enum(['big', 'little']).default('big'),
    points: z.array(fieldPointSchema).min(1).max(1000),
  })
  .superRefine((device, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const names = new Map<string, number>();
    const taken: Record<FieldTable, { from: number; to: number; name: string }[]> = { coil: [], discrete: [], holding: [], input: [] };

    for (const [i, point] of device.points.entries()) {
      const at = (field: string) => ['points', i, field];
      const bitTable = BIT_TABLES.includes(point.table);

      const first = names.get(point.name);
      if (first !== undefined) issue(at('name'), `duplicate point name ${point.name} (also points.${first})`);
      else names.set(point.name, i);

      if (bitTable && point.type !== 'bool') issue(at('type'), `a ${point.table} point holds one bit: type must be bool`);
      if (!bitTable && point.type === 'bool') issue(at('type'), `a ${point.table} register holds a number: use uint16, int16, uint32, int32 or float32`);
      if (point.writable !== undefined && !WRITABLE_TABLES.includes(point.table)) {
        issue(at('writable'), `${point.table} points are read-only over Modbus; writable applies to coil and holding only`);
      }
      if (point.scale !== undefined && point.type === 'bool') issue(at('scale'), 'a bool has no scale');

      const size = sizeOf(point.type);
      if (point.address + size > 0x10000) issue(at('address'), `${point.type} at ${point.address} takes ${size} registers and runs past 65535`);
      const end = point.address + size;
      const clash = taken[point.table].find((t) => point.address < t.to && t.from < end);
      if (clash) {
        issue(at('address'), `${point.table} ${rangeText(point.address, end)} overlaps point ${clash.name} at ${rangeText(clash.from, clash.to)}`);
      }
      taken[point.table].push({ from: point.address, to: end, name: point.name });

      if (!fitsPoint(point, point.value)) issue(at('value'), `${point.value} is outside ${describeRange(point)}`);
      // A bool thresholds its signal at 0.5, so any signal fits; a number must not overflow its type.
      if (point.signal && point.type !== 'bool') {
        const [low, high] = signalBounds(point.signal);
        if (!fitsPoint(point, low) || !fitsPoint(point, high)) issue(at('signal'), `the signal spans ${low}..${high}, outside ${describeRange(point)}`);
      }
    }
  });
export type FieldDeviceDefinition = z.infer<typeof fieldDeviceSchema>;
export type FieldDeviceInput = z.input<typeof fieldDeviceSchema>;

function rangeText(from: number, to: number): string {
  return to - from === 1 ? `${from}` : `${from}..${to - 1}`;
}

/** Raw value a register holds for an engineering value: integers round, float32 narrows, a bool thresholds at 0.5. */
export function toRaw(point: FieldPoint, value: number): number {
  if (point.type === 'bool') return value >= 0.5 ? 1 : 0;
  const scaled = value / (point.scale ?? 1);
  return point.type === 'float32' ? Math.fround(scaled) : Math.round(scaled);
}

/** Whether an engineering value fits the point's registers once scaled and rounded. */
export function fitsPoint(point: FieldPoint, value: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (point.type === 'bool') return value === 0 || value === 1;
  const raw = toRaw(point, value);
  const [low, high] = RAW_RANGE[point.type];
  return Number.isFinite(raw) && raw >= low && raw <= high;
}

/** The range as a reader fixes it: the type's raw range, and what it means after scaling. */
export function describeRange(point: FieldPoint): string {
  if (point.type === 'bool') return 'a bool (0 or 1)';
  if (point.type === 'float32') return 'the float32 range';
  const [low, high] = RAW_RANGE[point.type];
  const scale = point.scale ?? 1;
  return scale === 1 ? `${point.type} ${low}..${high}` : `${point.type} ${low}..${high} × ${scale}`;
}

/** The least and greatest value a signal can produce, so the schema refuses a signal that would overflow its type. */
export function signalBounds(spec: SignalSpec): [number, number] {
  switch (spec.kind) {
    case 'constant':
      return [spec.value, spec.value];
    case 'steps': {
      const values = spec.steps.map((s) => s.value);
      return [Math.min(...values), Math.max(...values)];
    }
    case 'square':
      return [Math.min(spec.low, spec.high), Math.max(spec.low, spec.high)];
    case 'ramp':
      return [Math.min(spec.from, spec.to), Math.max(spec.from, spec.to)];
    case 'sine':
      return [spec.offset - Math.abs(spec.amplitude), spec.offset + Math.abs(spec.amplitude)];
    case 'randomWalk':
      return [spec.min, spec.max];
  }
}
