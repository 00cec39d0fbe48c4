/**
 * The serial side as the emulator API shows it (GET /sim/v1/serial, /serial/field-devices...):
 * the port, the RTU master and its profiles, and the virtual field devices, one zod schema per
 * document with the types inferred from them. SerialService.status() and the port keeper,
 * scheduler and slave counters take their types from here (declared once); the routes,
 * /sim/v1/openapi.json, the typed client and the metrics use the same. Imports zod and config
 * schemas only (no I/O), so src/http and src/testing may import it where they may not import
 * src/serial.
 */
import * as z from 'zod';
import { fieldDeviceFaultSchema, rtuProfileSchema, serialSchema } from '../config/sections.js';

const int = () => z.number().int();

export const portStateSchema = z.enum(['opening', 'open', 'closed', 'stopped']);
export type PortState = z.infer<typeof portStateSchema>;

/** A port kept open by src/serial/port-keeper.ts: lost or unopenable ports are retried. */
export const portStatusSchema = z.strictObject({
  port: z.string(),
  state: portStateSchema,
  lastError: z.string().nullable(),
  failures: int().meta({ description: 'Times the port was lost or failed to open since start.' }),
  openedAt: z.number().nullable().meta({ description: 'Clock time (ms since epoch) of the last successful open.' }),
});
export type PortStatus = z.infer<typeof portStatusSchema>;

export const rtuErrorKindSchema = z.enum(['timeout', 'crc', 'exception', 'unexpected', 'port-closed']);
export type RtuErrorKind = z.infer<typeof rtuErrorKindSchema>;

/** Scan lateness of one profile's polls (src/serial/scheduler.ts). */
export const latenessStatsSchema = z.strictObject({ p50Ms: z.number(), p99Ms: z.number(), maxMs: z.number(), samples: int() });
export type LatenessStats = z.infer<typeof latenessStatsSchema>;

/** A profile of the running config with what the master made of it. */
export const rtuProfileStatusSchema = rtuProfileSchema.extend({
  irCount: int(),
  state: z.enum(['idle', 'ok', 'error']).meta({ description: 'idle: not polled yet.' }),
  errorCode: int().meta({ description: 'As in modbusRtuMasterprofileErrorCode (docs/serial.md).' }),
  polls: int(),
  okCount: int(),
  errorCount: int(),
  errors: z.record(rtuErrorKindSchema, int()),
  writes: int(),
  writeErrors: int(),
  lastPollAt: z.number().nullable(),
  lastOkAt: z.number().nullable(),
  lastError: z.strictObject({ kind: rtuErrorKindSchema, detail: z.string(), exceptionCode: int().nullable(), at: z.number() }).nullable(),
  lateness: latenessStatsSchema,
  overruns: int(),
});
export type RtuProfileStatus = z.infer<typeof rtuProfileStatusSchema>;

/** What a simulated RTU slave counted (src/serial/rtu-slave.ts). */
export const slaveCountersSchema = z.strictObject({
  requests: int().meta({ description: 'Well-formed requests addressed to this slave.' }),
  answers: int(),
  badFrames: int().meta({ description: 'Frames dropped for a bad CRC or a gap inside them.' }),
  faulted: int().meta({ description: 'Requests spoiled by the active fault.' }),
});
export type SlaveCounters = z.infer<typeof slaveCountersSchema>;

export const fieldDeviceSlaveStatusSchema = z.strictObject({
  name: z.string(),
  slaveId: int(),
  port: z.string().meta({ description: 'Its own port, or the in-process bus.' }),
  fault: fieldDeviceFaultSchema,
  counters: slaveCountersSchema,
  portStatus: portStatusSchema.nullable(),
});
export type FieldDeviceSlaveStatus = z.infer<typeof fieldDeviceSlaveStatusSchema>;

export const masterCountersSchema = z.strictObject({
  framesSent: int(),
  framesReceived: int(),
  bytesDiscarded: int().meta({ description: 'Bytes that arrived while no answer was awaited, or after a complete frame (bus noise).' }),
});
export type MasterCounters = z.infer<typeof masterCountersSchema>;

export const serialStatusSchema = z.strictObject({
  port: portStatusSchema.extend({ kind: z.enum(['serial', 'tcp', 'virtual']) }).nullable().meta({ description: 'null: serial.port is null.' }),
  settings: serialSchema.pick({ interface: true, baudRate: true, parity: true, dataBits: true, stopBits: true, responseTimeoutMs: true, retries: true }).extend({ echo: z.boolean().optional() }),
  master: masterCountersSchema.extend({ queued: int() }).nullable(),
  bus: z.strictObject({ frames: int(), collisions: int() }).nullable().meta({ description: 'The in-process bus (serial.port virtual:NAME), or null.' }),
  deviceStatus: z.array(int()).meta({ description: 'modbusRtuMasterDeviceStatus, 4 words (docs/serial.md).' }),
  profileErrorCode: z.array(int()),
  profiles: z.array(rtuProfileStatusSchema),
  fieldDevices: z.array(fieldDeviceSlaveStatusSchema),
});
export type SerialStatus = z.infer<typeof serialStatusSchema>;

/** GET /sim/v1/serial: `enabled: false` when the emulator runs without a serial side. */
export const serialStatusDocumentSchema = z.discriminatedUnion('enabled', [z.strictObject({ enabled: z.literal(false) }), serialStatusSchema.extend({ enabled: z.literal(true) })]);
export type SerialStatusDocument = z.infer<typeof serialStatusDocumentSchema>;

/** A point of a virtual field device with its value (src/sim/field-device.ts FieldDevice.points()). */
export const fieldPointViewSchema = z.strictObject({
  name: z.string(),
  table: z.enum(['coil', 'discrete', 'holding', 'input']),
  address: int(),
  type: z.enum(['bool', 'uint16', 'int16', 'uint32', 'int32', 'float32']),
  unit: z.string().optional(),
  writable: z.boolean(),
  value: z.number().meta({ description: 'Engineering units, as the definition declares.' }),
});
export type FieldPointView = z.infer<typeof fieldPointViewSchema>;

/** PointSpace calls a field device model served and refused; FC 23 counts as one read, one write and one more read. */
export const fieldDeviceCountersSchema = z.strictObject({ reads: int(), writes: int(), refused: int() });
export type FieldDeviceCounters = z.infer<typeof fieldDeviceCountersSchema>;

/** GET /sim/v1/serial/field-devices/{name}: the slave on the bus and its model's points. */
export const fieldDeviceViewSchema = fieldDeviceSlaveStatusSchema.extend({
  definition: z.string().meta({ description: 'The definition\'s name.' }),
  description: z.string(),
  points: z.array(fieldPointViewSchema),
  requests: fieldDeviceCountersSchema,
});
export type FieldDeviceView = z.infer<typeof fieldDeviceViewSchema>;

/** PUT /sim/v1/serial/field-devices/{name}/points/{point}. */
export const pointValueBodySchema = z.strictObject({ value: z.number().refine(Number.isFinite, 'a finite number') });

/**
 * The serial port, RTU master and virtual field devices as the emulator API sees them; src/app
 * implements it over src/serial and src/sim. Setters throw a SimError and change nothing on bad input.
 */
export interface SerialControl {
  status(): SerialStatus;
  fieldDeviceNames(): string[];
  /** Throws HTTP_NOT_FOUND for an unknown name. */
  fieldDevice(name: string): FieldDeviceView;
  setFault(name: string, fault: z.infer<typeof fieldDeviceFaultSchema>): void;
  setPoint(name: string, point: string, value: number): void;
}
