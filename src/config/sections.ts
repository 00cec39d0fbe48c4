/**
 * Profile sections for the northbound and southbound services. Key names follow the profile
 * sketch in shared/DESIGN.md (a contract: tests and users write them). Each ASSUMPTION about the
 * real device is a named option here, with the suggested default from reference/.
 */
import { z } from 'zod';

export const accessibleIpEntrySchema = z.strictObject({
  ip: z.ipv4(),
  netmask: z.ipv4().default('255.255.255.255'),
  active: z.boolean().default(true),
});

const address = z.number().int().min(0).max(65_535);

/** A slot's base addresses, one per point type; unset ones keep the default rule. */
export const baseAddressSchema = z.strictObject({
  slot: z.number().int().min(0).max(32),
  coil: address.optional(),
  discrete: address.optional(),
  holding: address.optional(),
  input: address.optional(),
});

export const modbusSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** "any" answers every unit id (ASSUMPTION, reference §4); a number answers only that one. */
  unitId: z.union([z.literal('any'), z.number().int().min(0).max(255)]).default('any'),
  maxConnections: z.number().int().min(1).max(256).default(16),
  /** Seconds without a request before the server closes a connection; 0 = never. */
  idleTimeoutS: z.number().int().min(0).max(86_400).default(60),
  /** 32-bit values (DWORD, REAL): which 16-bit word comes first (ASSUMPTION, default high). */
  wordOrder: z.enum(['high-first', 'low-first']).default('high-first'),
  /**
   * Per-slot base address overrides (slot 0 = the system block). Default rule (ASSUMPTION, the
   * manual's is unknown): blocks packed back to back from 0 in slot order, per point type, as a
   * device that "assigns them dynamically" would (docs/modbus-map.md).
   */
  baseAddresses: z.array(baseAddressSchema).max(33).default([]),
  accessibleIps: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Also guard HTTP (and later SNMP): Moxa's "apply additional restrictions". */
      additionalRestrictions: z.boolean().default(false),
      entries: z.array(accessibleIpEntrySchema).max(16).default([]),
    })
    .default({ enabled: false, additionalRestrictions: false, entries: [] }),
  /** Connection watchdog: no Modbus/TCP request for timeoutS -> watchdogAlarmFlag and DO safe values. */
  watchdog: z
    .strictObject({ enabled: z.boolean().default(false), timeoutS: z.number().int().min(1).max(3600).default(10) })
    .default({ enabled: false, timeoutS: 10 }),
});

export const httpSchema = z.strictObject({
  /** The device's RESTful API (/api). Off by default on the real device, on in the emulator's profiles. */
  restApi: z.boolean().default(true),
});

export const mqttSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** mqtt://, mqtts://, or "embedded" for the built-in broker. */
  url: z.string().default('embedded'),
  username: z.string().nullable().default(null),
  password: z.string().nullable().default(null),
  clientId: z.string().nullable().default(null),
  keepAliveS: z.number().int().min(0).max(65_535).default(60),
  tls: z
    .strictObject({
      ca: z.string().nullable().default(null),
      cert: z.string().nullable().default(null),
      key: z.string().nullable().default(null),
      minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
      rejectUnauthorized: z.boolean().default(true),
    })
    .default({ ca: null, cert: null, key: null, minVersion: 'TLSv1.2', rejectUnauthorized: true }),
});

export const rtuProfileSchema = z.strictObject({
  name: z.string().min(1).max(16).regex(/^[^.]+$/, 'no "." allowed (M-EZ p=51)'),
  slaveId: z.number().int().min(1).max(247),
  pointType: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
  startAddress: z.number().int().min(0).max(65_535),
  length: z.number().int().min(1).max(2000),
  /** In 100 ms units; 10 = 1 s (M-EZ p=51). */
  scanRate: z.number().int().min(1).max(36_000).default(10),
  irType: z.enum(['bool', 'word', 'dword', 'float']),
  irStart: z.number().int().min(0),
  swap: z.enum(['none', 'byte', 'word']).default('none'),
  exceptionIr: z.number().int().min(0).nullable().default(null),
});

export const serialSchema = z.strictObject({
  port: z.string().nullable().default(null),
  interface: z.enum(['rs232', 'rs422', 'rs485-2w', 'rs485-4w']).default('rs485-2w'),
  baudRate: z.number().int().min(50).max(921_600).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  responseTimeoutMs: z.number().int().min(10).max(60_000).default(1000),
  retries: z.number().int().min(0).max(10).default(1),
  profiles: z.array(rtuProfileSchema).max(8).default([]),
});

export const wireSchema = z.strictObject({
  /** An output (DO or relay): an ioName or "slot/index". */
  from: z.string().min(1),
  /** A DI: an ioName or "slot/index". */
  to: z.string().min(1),
  invert: z.boolean().default(false),
});
