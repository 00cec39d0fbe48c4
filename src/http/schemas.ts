/**
 * zod schemas of the emulator API: path parameters, request bodies and (for the documentation)
 * response bodies. Requests are validated with exactly these, and openapi.ts renders them.
 */
import * as z from 'zod';
import { CHANNEL_TYPES } from '../device/catalog.js';
import { FIELD_KEYS, fieldInputSchema } from '../device/field-input.js';
import { IR_TYPES, signalSchema } from '../device/schema.js';

/** A path segment holding a non-negative decimal integer ("1", not "01", "1.0" or "0x1"). */
function intParam(description: string, example: string) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,8})$/, 'must be a non-negative integer')
    .meta({ description, examples: [example] })
    .transform(Number);
}

export const channelParams = z.object({
  slot: intParam('Slot on the rail, 1..32 (0 is the head unit, which has no channels).', '1'),
  index: intParam('Module-wide channel index (a 45MR-2606 has DI 0-7 and DO 8-15).', '0'),
});

export const attributeParams = z.object({
  ...channelParams.shape,
  attribute: z.string().min(1).meta({ description: 'Attribute name as the device API spells it.', examples: ['diCounterValue'] }),
});

export const irParams = z.object({
  ioName: z.string().min(1).meta({ description: 'Internal register name: BIR-nn, WIR-nn, DIR-nn or FIR-nn.', examples: ['WIR-00'] }),
});

/** A field write: field values (the device's one field-input schema) or a signal, not both. */
export const fieldWriteSchema = z
  .strictObject({
    ...fieldInputSchema.shape,
    signal: signalSchema.nullable().optional().meta({ description: 'Attach a generator to an input, or null to detach it.' }),
  })
  .superRefine((body, ctx) => {
    const fields = FIELD_KEYS.filter((k) => body[k] !== undefined);
    if (body.signal !== undefined && fields.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['signal'], message: `a signal cannot be combined with field values (${fields.join(', ')})` });
    } else if (body.signal === undefined && fields.length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: `give one of ${[...FIELD_KEYS, 'signal'].join(', ')}` });
    }
  });
export type FieldWrite = z.output<typeof fieldWriteSchema>;

export const valueBodySchema = z.strictObject({ value: z.number() });

export const advanceBodySchema = z.strictObject({
  ms: z.number().min(0).max(1e9).meta({ description: 'Milliseconds to move the manual clock forward; due timers fire in order.' }),
});

export const eventsQuery = z.object({
  ioName: z
    .union([z.string().min(1), z.array(z.string().min(1)).max(1000)])
    .optional()
    .meta({ description: 'Only changes of this ioName; repeat the parameter for several.' }),
});

// Responses (documentation only).

export const healthSchema = z.strictObject({
  status: z.literal('ok'),
  uptime: z.number().meta({ description: 'Seconds since start, on the device clock.' }),
  clock: z.enum(['real', 'manual']),
  lastSeq: z.number().int().meta({ description: 'seq of the last change event (0 before any).' }),
});

/** A service that listens: not started yet, off (no address or turned off in the profile), or listening. */
const serviceStateSchema = z.enum(['starting', 'off', 'up']);

/**
 * GET /sim/v1/health/ready (#17): 200 once every service the device runs listens (and its MQTT
 * client is connected), else 503 with the same body. GET /sim/v1/health stays the liveness answer.
 */
export const readinessSchema = z.strictObject({
  status: z.enum(['ready', 'starting']).meta({ description: 'ready: no service is starting and MQTT (if on) is connected; the route answers 503 otherwise.' }),
  services: z.strictObject({
    modbus: serviceStateSchema,
    serial: serviceStateSchema.meta({ description: "up once the serial ports' first open attempt is over (a port that cannot open yet is retried; GET /sim/v1/serial)." }),
    http: serviceStateSchema.meta({ description: 'HTTP or HTTPS; off when the app is served by a fleet listener.' }),
    mqtt: z.enum(['starting', 'off', 'connecting', 'connected']).meta({ description: 'connecting: started, but the client is not connected to its broker (yet, or again).' }),
    snmp: serviceStateSchema,
  }),
});
export type Readiness = z.infer<typeof readinessSchema>;

export const clockSchema = z.strictObject({ kind: z.enum(['real', 'manual']), now: z.number(), monotonic: z.number() });
export const advanceResponseSchema = z.strictObject({ now: z.number(), monotonic: z.number() });

export const channelSnapshotSchema = z.looseObject({
  index: z.number().int(),
  type: z.enum([...CHANNEL_TYPES, 'ir']),
  name: z.string(),
  ioName: z.string(),
  mode: z.number().int(),
  modeName: z.string(),
  field: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  signal: signalSchema.nullable(),
});

export const deviceSnapshotSchema = z.strictObject({
  name: z.string(),
  model: z.string(),
  serialNumber: z.string(),
  firmwareVersion: z.string(),
  slots: z.array(z.looseObject({ slot: z.number().int(), module: z.string(), name: z.string(), channels: z.array(channelSnapshotSchema) })),
});

const modeSchema = z.strictObject({
  code: z.number().int().meta({ description: 'The mode code the device API and Modbus use (diMode, aiMode, tcType ...).' }),
  name: z.string().meta({ description: 'The name a profile may give instead of the code, e.g. "counter", "4-20mA", "PT100".' }),
});

/**
 * GET /sim/v1/modules (module-routes.ts): per model, per module-wide channel index, the modes the
 * channel accepts in a profile, the default first.
 */
export const moduleCatalogSchema = z.array(
  z.strictObject({
    model: z.string().meta({ examples: ['45MR-1600'] }),
    /** Every model also exists as a -T (wide temperature) variant with the same channels (M-EZ p=107). */
    variants: z.array(z.string()).meta({ description: 'Module names a profile may use for this model: the model and its -T variant.' }),
    description: z.string(),
    channels: z.array(
      z.strictObject({
        index: z.number().int(),
        type: z.enum(CHANNEL_TYPES),
        modes: z.array(modeSchema).meta({ description: 'The modes this channel accepts, the default first; empty where the channel has no mode (relay, power).' }),
      }),
    ),
  }),
);
export type ModuleCatalog = z.infer<typeof moduleCatalogSchema>;

export const irEntrySchema = z.strictObject({ type: z.enum(IR_TYPES), index: z.number().int(), ioName: z.string(), value: z.number() });

export const changeSchema = z.strictObject({
  seq: z.number().int(),
  at: z.number(),
  slot: z.number().int(),
  index: z.number().int(),
  type: z.string(),
  ioName: z.string(),
  attribute: z.string(),
  value: z.number(),
  previous: z.number(),
  source: z.string(),
});
