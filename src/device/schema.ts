/**
 * zod schemas for everything the device model is built from: the identity of the head unit,
 * slots, modules, channels and the signals that drive a channel's field side. config/ composes
 * these into the profile document, so each field is declared once, here.
 */
import * as z from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const ms = z.number().int().min(1).max(86_400_000);

export const signalSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant'), value: finite }),
  z.strictObject({
    kind: z.literal('steps'),
    /** Each step holds its value for holdMs, then the next one starts. */
    steps: z.array(z.strictObject({ value: finite, holdMs: ms })).min(1).max(10_000),
    repeat: z.boolean().default(true),
  }),
  z.strictObject({
    kind: z.literal('square'),
    low: finite.default(0),
    high: finite.default(1),
    periodMs: ms,
    duty: z.number().gt(0).lt(1).default(0.5),
  }),
  z.strictObject({
    kind: z.literal('ramp'),
    from: finite,
    to: finite,
    periodMs: ms,
    /** sawtooth: from..to then jump back; triangle: from..to..from; once: stop at `to`. */
    shape: z.enum(['sawtooth', 'triangle', 'once']).default('sawtooth'),
    sampleMs: ms.default(100),
  }),
  z.strictObject({
    kind: z.literal('sine'),
    offset: finite,
    amplitude: finite,
    periodMs: ms,
    sampleMs: ms.default(100),
  }),
  z
    .strictObject({
      kind: z.literal('randomWalk'),
      start: finite,
      /** Largest change per sample, uniformly drawn in [-step, +step]. */
      step: finite.refine((v) => v > 0, 'must be > 0'),
      min: finite,
      max: finite,
      sampleMs: ms.default(100),
      /** Overrides the run's --seed for this signal. */
      seed: z.number().int().optional(),
    })
    .refine((s) => s.min <= s.start && s.start <= s.max, { message: 'start must lie within min..max', path: ['start'] }),
]);
export type SignalSpec = z.infer<typeof signalSchema>;
export type SignalInput = z.input<typeof signalSchema>;

const channelName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[^@/\s?#%]+$/, 'no spaces and none of @ / ? # % (the name becomes part of ioName and URLs)');

export const moduleNameSchema = channelName;

export const scalingSchema = z
  .strictObject({
    /** Two measured points in the mode's unit (mA or V), M-38 page-46. */
    measured: z.tuple([finite, finite]),
    /** The scaled values they map to. */
    scaled: z.tuple([finite, finite]),
    unit: z.string().max(16).default(''),
  })
  .refine((s) => s.measured[0] !== s.measured[1], { message: 'the two measured points must differ', path: ['measured'] });

/**
 * One channel's settings. Fields that do not apply to the channel's type are refused by the
 * cross-field check in config/ (which knows the module), not silently ignored.
 */
export const channelConfigSchema = z.strictObject({
  index: z.number().int().min(0).max(63),
  name: channelName.optional(),
  /** A mode code or its name: di|counter, do|pulse, 4-20mA, PT100, K ... */
  mode: z.union([z.number().int(), z.string()]).optional(),
  // DI
  level: z.union([z.literal(0), z.literal(1)]).optional(),
  filterMs: z.number().int().min(0).max(60_000).optional(),
  counterValue: z.number().int().min(0).max(0xffff_ffff).optional(),
  counterRunning: z.boolean().optional(),
  /** Keep the counter and its overflow flag across a restart, in the data dir (counter-capable channels). */
  counterRetain: z.boolean().optional(),
  // DO and relay
  status: z.union([z.literal(0), z.literal(1)]).optional(),
  pulse: z
    .strictObject({
      count: z.number().int().min(0).max(65_535).default(0),
      onWidth: z.number().int().min(1).max(65_535).default(1000),
      offWidth: z.number().int().min(1).max(65_535).default(1000),
    })
    .optional(),
  /** Value the output takes when the Modbus connection watchdog fires. */
  safeValue: z.union([z.literal(0), z.literal(1)]).optional(),
  totalCount: z.number().int().min(0).max(0xffff_ffff).optional(),
  // AI
  physical: finite.optional(),
  burnoutThreshold: z.number().min(0).max(4).optional(),
  burnoutValueScaled: finite.optional(),
  scaling: scalingSchema.optional(),
  // AO
  output: finite.optional(),
  // RTD / TC
  temperature: finite.optional(),
  // SP (45MR-7210)
  voltage: finite.optional(),
  lowerLimit: finite.optional(),
  upperLimit: finite.optional(),
  // Field-side generator for inputs.
  signal: signalSchema.optional(),
});
export type ChannelConfig = z.infer<typeof channelConfigSchema>;

export const slotConfigSchema = z.strictObject({
  slot: z.number().int().min(1).max(32),
  module: z.string(),
  /** Defaults to `${module}-${n}`, n counting modules of the same model in slot order. */
  name: moduleNameSchema.optional(),
  channels: z.array(channelConfigSchema).default([]),
});
export type SlotConfig = z.infer<typeof slotConfigSchema>;

export const IR_TYPES = ['bool', 'word', 'dword', 'float'] as const;
export type IrType = (typeof IR_TYPES)[number];

export const internalRegistersSchema = z
  .strictObject({
    /** How many IRs of each type exist; the device allows 256 in total (M-EZ p=52). */
    quantities: z
      .strictObject({
        bool: z.number().int().min(0).max(256).default(48),
        word: z.number().int().min(0).max(256).default(48),
        dword: z.number().int().min(0).max(256).default(48),
        float: z.number().int().min(0).max(256).default(48),
      })
      .default({ bool: 48, word: 48, dword: 48, float: 48 }),
    initial: z
      .array(z.strictObject({ type: z.enum(IR_TYPES), index: z.number().int().min(0), value: finite }))
      .default([]),
  })
  .refine((ir) => ir.quantities.bool + ir.quantities.word + ir.quantities.dword + ir.quantities.float <= 256, {
    message: 'the device holds at most 256 internal registers in total',
    path: ['quantities'],
  });
export type InternalRegistersConfig = z.infer<typeof internalRegistersSchema>;

export const deviceIdentitySchema = z.strictObject({
  name: z.string().min(1).max(16).regex(/^[^/#+\s]+$/, 'no spaces and none of / # + (it becomes an MQTT topic level)').default('ioThinx_4510'),
  serialNumber: z.string().min(1).max(12).default('TAGCB1100001'),
  firmwareVersion: z.string().min(1).max(8).default('1.5.0'),
  firmwareBuildDate: z.string().max(8).default('22060217'),
  mac: z
    .string()
    .regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'must look like 00:90:e8:00:00:01')
    .default('00:90:e8:00:00:01'),
  ip: z.ipv4().default('192.168.127.254'),
});
export type DeviceIdentity = z.infer<typeof deviceIdentitySchema>;

/** Everything the Device model is built from. */
export const deviceSpecSchema = z.strictObject({
  device: deviceIdentitySchema.default(() => deviceIdentitySchema.parse({})),
  slots: z.array(slotConfigSchema).max(32).default([]),
  internalRegisters: internalRegistersSchema.default(() => internalRegistersSchema.parse({})),
});
export type DeviceSpec = z.infer<typeof deviceSpecSchema>;
