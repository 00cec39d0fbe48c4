/**
 * The Modbus/TCP side as the emulator API shows it (GET/PUT /sim/v1/modbus...): one zod schema
 * per document, the types inferred from them. The routes, /sim/v1/openapi.json, the typed client
 * (src/testing/client.ts) and the metrics all use these, and the service's own return types come
 * from here, so the shapes are declared once. Imports zod and config schemas only (no I/O), so
 * src/http and src/testing may import it where they may not import src/modbus.
 */
import * as z from 'zod';
import { baseAddressSchema, modbusSchema } from '../config/sections.js';

export const pointTableSchema = z.enum(['coil', 'discrete', 'holding', 'input']);
export const pointTypeSchema = z.enum(['bit', 'word', 'dword', 'float']);
export type PointTable = z.infer<typeof pointTableSchema>;
export type PointType = z.infer<typeof pointTypeSchema>;

/** One value in the table that `iothinx-sim map` prints and /sim/v1/modbus/map returns (docs/modbus-map.md). */
export const mapRowSchema = z.strictObject({
  slot: z.number().int(),
  ioName: z.string(),
  parameter: z.string(),
  table: pointTableSchema,
  address: z.number().int().meta({ description: '0-based PDU address.' }),
  length: z.number().int().meta({ description: 'Bits for coil/discrete, registers for holding/input.' }),
  type: pointTypeSchema,
  signed: z.boolean().meta({ description: 'A word or dword read as two-complement signed: the internal registers WIR/DIR (M-EZ p=120); false for every other value.' }),
});
export type MapRow = z.infer<typeof mapRowSchema>;

/** A slot's base address per point type, as in force (defaults or an override). */
export const slotBaseSchema = z.strictObject({ slot: z.number().int(), coil: z.number().int(), discrete: z.number().int(), holding: z.number().int(), input: z.number().int() });
export type SlotBase = z.infer<typeof slotBaseSchema>;

export type BaseAddressOverride = z.infer<typeof baseAddressSchema>;

export const baseAddressesSchema = z.strictObject({ effective: z.array(slotBaseSchema), overrides: z.array(baseAddressSchema) });
export type BaseAddresses = z.infer<typeof baseAddressesSchema>;

/** PUT /sim/v1/modbus/base-addresses: at most one override per slot (0..32). */
export const baseAddressesBodySchema = z.strictObject({ overrides: z.array(baseAddressSchema).max(33) });

/** The accessible-IP list: the profile's modbus.accessibleIps, as GET returns it and PUT takes it. */
export const accessibleIpsSchema = modbusSchema.shape.accessibleIps.unwrap();
export type AccessibleIps = z.infer<typeof accessibleIpsSchema>;

/** A Modbus/TCP listener's counters: a device's own (below), or a fleet gateway's (src/fleet/contract.ts). */
export const listenerStatsSchema = z.strictObject({
  accepted: z.number().int(),
  refusedByList: z.number().int(),
  refusedByLimit: z.number().int(),
  requests: z.number().int().meta({ description: 'Requests this listener carried.' }),
  exceptions: z.number().int(),
  malformed: z.number().int(),
  unrouted: z.number().int().meta({ description: 'Requests whose unit id selected no device (a gateway answers them with an exception); 0 on a device.' }),
  connections: z.number().int(),
  paused: z.number().int().meta({ description: 'Connections not read from now, because their replies are not drained (backpressure).' }),
  pendingReplyBytesPeak: z.number().int().meta({ description: 'Most reply bytes ever queued for one connection.' }),
});
export type ListenerStats = z.infer<typeof listenerStatsSchema>;

/** A device's server counters while it listens. */
export const modbusServerStatsSchema = listenerStatsSchema.omit({ unrouted: true }).extend({ watchdogAlarm: z.boolean() });
export type ModbusServerStats = z.infer<typeof modbusServerStatsSchema>;

const enabled = z.boolean().meta({ description: 'modbus.enabled in the running config.' });

/** The counters, or only `enabled` while the server does not listen (off, or --modbus off). */
export const modbusStatsSchema = z.union([modbusServerStatsSchema.extend({ enabled }), z.strictObject({ enabled })]);
export type ModbusStats = z.infer<typeof modbusStatsSchema>;

const address = z.string().nullable().meta({ description: 'host:port it listens on, or null.' });

/** GET /sim/v1/modbus: the address and the stats. */
export const modbusStatusSchema = z.union([modbusServerStatsSchema.extend({ address, enabled }), z.strictObject({ address, enabled })]);
export type ModbusStatus = z.infer<typeof modbusStatusSchema>;

/**
 * The Modbus side as the emulator API sees it; src/modbus/service.ts ModbusService implements it
 * (http never imports another protocol adapter). Setters resolve once the change is on disk and
 * in force; they reject with a SimError and change nothing on bad input or a failed write.
 */
export interface ModbusControl {
  /** The listening address, or null when the server is off. */
  address(): string | null;
  stats(): ModbusStats;
  map(): readonly MapRow[];
  baseAddresses(): BaseAddresses;
  setBaseAddresses(overrides: BaseAddressOverride[]): Promise<void>;
  accessibleIps(): AccessibleIps;
  setAccessibleIps(list: AccessibleIps): Promise<void>;
}
