/**
 * Profile sections for the northbound and southbound services. Key names follow the profile
 * sketch in shared/DESIGN.md (a contract: tests and users write them). Each ASSUMPTION about the
 * real device is a named option here, with the suggested default from reference/.
 */
import * as z from 'zod';
import { serialFaultSchema } from '../device/faults.js';
import { accountsSchema } from './accounts.js';
import { MQTT_URL } from './mqtt-url.js';

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

/**
 * HTTPS (M-EZ p=106: TCP 443, disabled by default). The address comes from the command line;
 * without cert and key a self-signed certificate is made on first start and kept in the data
 * dir (src/http/tls.ts). Relative paths are relative to the profile file.
 */
export const httpsSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** PEM certificate (chain) file, or null for the self-signed one. */
    cert: z.string().min(1).nullable().default(null),
    /** PEM private key file (unencrypted), or null for the self-signed one. */
    key: z.string().min(1).nullable().default(null),
  })
  .superRefine((https, ctx) => {
    if ((https.cert === null) !== (https.key === null)) {
      const missing = https.cert === null ? 'cert' : 'key';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'give both cert and key, or neither for a self-signed certificate' });
    }
  });

export const httpSchema = z.strictObject({
  /** The device's RESTful API (/api). Off by default on the real device, on in the emulator's profiles. */
  restApi: z.boolean().default(true),
  /** Administrator / Operator / User accounts (reference §6); off by default in the emulator. */
  accounts: accountsSchema.prefault({}),
  https: httpsSchema.default({ enabled: false, cert: null, key: null }),
});

const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/**
 * Publish topics and their triggers (M-EZ p=118-119): "value" topics are the frequently used
 * ones, everything else is an "attribute". `both` = OnChange or Interval allowed, with the
 * device's default second; `interval` = Interval only (diCounterValue, relayCurrentCount and
 * every attribute). A unit test keeps this table in step with the channels' AttributeSpecs.
 * ASSUMPTION (not in the manual's lists): aiStatus, spStatus, fpStatus and the internal
 * registers' irValue behave like the other status topics (both, default OnChange).
 */
export type MqttTopicClass = 'value' | 'attribute';
export interface MqttTriggerRule {
  readonly class: MqttTopicClass;
  readonly allowed: 'both' | 'interval';
  readonly default: 'onChange' | 'interval';
}
const onChangeDefault: MqttTriggerRule = { class: 'value', allowed: 'both', default: 'onChange' };
const intervalDefault: MqttTriggerRule = { class: 'value', allowed: 'both', default: 'interval' };
const valueInterval: MqttTriggerRule = { class: 'value', allowed: 'interval', default: 'interval' };
const attribute: MqttTriggerRule = { class: 'attribute', allowed: 'interval', default: 'interval' };
const attributes = (...names: string[]) => Object.fromEntries(names.map((n) => [n, attribute]));

export const MQTT_TOPICS: Readonly<Record<string, MqttTriggerRule>> = {
  diStatus: onChangeDefault,
  diCounterStatus: onChangeDefault,
  doStatus: onChangeDefault,
  doPulseStatus: onChangeDefault,
  relayStatus: onChangeDefault,
  aoStatus: onChangeDefault,
  rtdStatus: onChangeDefault,
  tcStatus: onChangeDefault,
  aiStatus: onChangeDefault,
  spStatus: onChangeDefault,
  fpStatus: onChangeDefault,
  irValue: onChangeDefault,
  aiValueScaled: intervalDefault,
  aoValueScaled: intervalDefault,
  rtdValueScaled: intervalDefault,
  tcValueScaled: intervalDefault,
  diCounterValue: valueInterval,
  relayCurrentCount: valueInterval,
  ...attributes('diMode', 'diCounterOverflowFlag', 'diCounterOverflowFlagClear'),
  ...attributes('doMode', 'doPulseCount', 'doPulseOnWidth', 'doPulseOffWidth'),
  ...attributes('relayTotalCount', 'relayCurrentCountReset'),
  ...attributes('aiMode', 'aiValueRaw', 'aiValueRawMin', 'aiValueRawMax', 'aiValueScaledMin', 'aiValueScaledMax'),
  ...attributes('aiResetMinValue', 'aiResetMaxValue', 'aiBurnoutValueScaled'),
  ...attributes('aoMode', 'aoValueRaw'),
  ...attributes('rtdMode', 'rtdValueScaledMin', 'rtdValueScaledMax', 'rtdResetMinValue', 'rtdResetMaxValue'),
  ...attributes('tcType', 'tcValueScaledMin', 'tcValueScaledMax', 'tcResetMinValue', 'tcResetMaxValue'),
  ...attributes('spLowerLimitValue', 'spUpperLimitValue'),
};

/** A profile glob: `*` any run of characters, `?` one character, everything else literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

/**
 * `onChange` and `interval` are what the device offers per topic; `deviceDefault` takes the
 * device's default for each topic, and `onChangeWhereAllowed` picks OnChange where the topic
 * allows it and Interval elsewhere (so one rule can cover every value topic).
 */
export const MQTT_TRIGGER_CHOICES = ['onChange', 'interval', 'deviceDefault', 'onChangeWhereAllowed'] as const;

/**
 * One row of the publish-topic table. The selector (ioName, parameter: globs; class) picks
 * topics; each setting given overrides what the defaults and earlier rules said, in order.
 */
export const mqttTopicRuleSchema = z.strictObject({
  ioName: z.string().min(1).default('*'),
  parameter: z.string().min(1).default('*'),
  class: z.enum(['value', 'attribute']).optional(),
  enabled: z.boolean().optional(),
  qos: qos.optional(),
  retain: z.boolean().optional(),
  trigger: z.enum(MQTT_TRIGGER_CHOICES).optional(),
  /** Interval trigger period. ASSUMPTION (reference §5): 1 s minimum, 10 s default. */
  intervalMs: z.number().int().min(1000).max(86_400_000).optional(),
  /** OnChange: publish when |new - last published| >= deadband (0 = on any change). */
  deadband: z.number().min(0).optional(),
});
export type MqttTopicRule = z.infer<typeof mqttTopicRuleSchema>;

const mqttTls = z
  .strictObject({
    /** PEM CA file the broker's certificate must chain to; null = the system's CAs. */
    ca: z.string().min(1).nullable().default(null),
    /** PEM client certificate and key files, for brokers that ask for one. */
    cert: z.string().min(1).nullable().default(null),
    key: z.string().min(1).nullable().default(null),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    /** TLSv1.2 pins the version the device speaks (ASSUMPTION, reference §5: "TLS v1.2"). */
    maxVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.3'),
    /** false accepts any certificate: for experiments only, never on a network you do not own. */
    rejectUnauthorized: z.boolean().default(true),
  })
  .superRefine((tls, ctx) => {
    if ((tls.cert === null) !== (tls.key === null)) {
      ctx.addIssue({ code: 'custom', path: [tls.cert === null ? 'cert' : 'key'], message: 'give both cert and key for a client certificate, or neither' });
    }
    if (tls.minVersion === 'TLSv1.3' && tls.maxVersion === 'TLSv1.2') {
      ctx.addIssue({ code: 'custom', path: ['maxVersion'], message: 'must not be below minVersion' });
    }
  });

/**
 * The MQTT client (reference §5). Topic names and payloads: docs/mqtt.md. Every topic is
 * disabled unless a `topics` rule enables it, as on the real device (M-EZ p=62-63).
 */

export const mqttSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** mqtt://, mqtts://, ws://, wss://, or "embedded" for the built-in broker. */
    url: z
      .string()
      .regex(MQTT_URL, 'must be "embedded" or a mqtt://, mqtts://, ws:// or wss:// URL')
      .default('embedded'),
    username: z.string().nullable().default(null),
    password: z.string().nullable().default(null),
    /** Default: `{device.name}_{device.serialNumber}` (ASSUMPTION, reference §5). */
    clientId: z.string().min(1).max(128).nullable().default(null),
    /** 0 = no keep-alive. ASSUMPTION: 60 s (reference §5). */
    keepAliveS: z.number().int().min(0).max(65_535).default(60),
    cleanSession: z.boolean().default(true),
    /** A broker that accepts TCP but sends no CONNACK in this time counts as a failed attempt. */
    connectTimeoutS: z.number().int().min(1).max(300).default(30),
    /** Reconnect backoff: minMs, doubling per failed attempt up to maxMs; no jitter (docs/mqtt.md). */
    reconnect: z
      .strictObject({ minMs: z.number().int().min(100).max(3_600_000).default(1000), maxMs: z.number().int().min(100).max(3_600_000).default(60_000) })
      .refine((r) => r.minMs <= r.maxMs, { message: 'minMs must not exceed maxMs', path: ['minMs'] })
      .default({ minMs: 1000, maxMs: 60_000 }),
    tls: mqttTls.default({ ca: null, cert: null, key: null, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', rejectUnauthorized: true }),
    /** Topic and payload of the last will are fixed (M-EZ p=62); its QoS and retain flag are not. */
    lastWill: z.strictObject({ qos: qos.default(1), retain: z.boolean().default(true) }).default({ qos: 1, retain: true }),
    /** extraKeys adds "ts" (ISO time of the device clock) beside "value"; false = `{"value": n}` only. */
    payload: z.strictObject({ extraKeys: z.boolean().default(true) }).default({ extraKeys: true }),
    /** QoS 1/2 messages held while the broker is away; when full the oldest is dropped and counted. */
    queue: z.strictObject({ max: z.number().int().min(1).max(1_000_000).default(10_000) }).default({ max: 10_000 }),
    /** The device refuses more than 256 enabled publish topics (M-EZ p=62-63). */
    maxTopics: z.number().int().min(1).max(100_000).default(256),
    /** Publish every enabled topic once at start, so retained topics hold a value at once (ASSUMPTION). */
    publishOnStart: z.boolean().default(true),
    defaults: z
      .strictObject({
        qos: qos.default(0),
        retain: z.boolean().default(false),
        trigger: z.enum(['interval', 'deviceDefault', 'onChangeWhereAllowed']).default('deviceDefault'),
        intervalMs: z.number().int().min(1000).max(86_400_000).default(10_000),
        deadband: z.number().min(0).default(0),
      })
      .default({ qos: 0, retain: false, trigger: 'deviceDefault', intervalMs: 10_000, deadband: 0 }),
    topics: z.array(mqttTopicRuleSchema).max(1024).default([]),
    /** Write (subscribe) topics `{deviceName}/write/{ioName}/{parameter}` (M-EZ p=120). */
    writes: z.strictObject({ enabled: z.boolean().default(true), qos: qos.default(1) }).default({ enabled: true, qos: 1 }),
  })
  .superRefine((mqtt, ctx) => {
    mqtt.topics.forEach((rule, i) => {
      const parameter = globToRegExp(rule.parameter);
      const matched = Object.entries(MQTT_TOPICS).filter(([name, t]) => parameter.test(name) && (rule.class === undefined || rule.class === t.class));
      if (matched.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['topics', i, 'parameter'], message: `matches no topic parameter${rule.class ? ` of class ${rule.class}` : ''} (see docs/mqtt.md)` });
        return;
      }
      if (rule.trigger === 'onChange') {
        const intervalOnly = matched.filter(([, t]) => t.allowed === 'interval').map(([name]) => name);
        if (intervalOnly.length > 0) {
          const list = intervalOnly.length > 4 ? `${intervalOnly.slice(0, 4).join(', ')} and ${intervalOnly.length - 4} more` : intervalOnly.join(', ');
          ctx.addIssue({
            code: 'custom',
            path: ['topics', i, 'trigger'],
            message: `onChange is not allowed for ${list}: Interval only (M-EZ p=118-119); narrow parameter/class or use onChangeWhereAllowed`,
          });
        }
      }
    });
  });

export const rtuProfileSchema = z.strictObject({
  name: z.string().min(1).max(16).regex(/^[^.]+$/, 'no "." allowed (M-EZ p=51)'),
  slaveId: z.number().int().min(1).max(247),
  /** 1 coil status (R/W), 2 input status, 3 holding register (R/W), 4 input register (M-EZ p=51). */
  pointType: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
  startAddress: z.number().int().min(0).max(65_535),
  /** Points read: 1..2000 bits, 1..125 registers (M-EZ p=51). */
  length: z.number().int().min(1).max(2000),
  /** In 100 ms units; 10 = 1 s (M-EZ p=51). */
  scanRate: z.number().int().min(1).max(36_000).default(10),
  irType: z.enum(['bool', 'word', 'dword', 'float']),
  irStart: z.number().int().min(0),
  /** WORD: byte = "LoByte & HiByte"; DWORD/FLOAT: word = "LoWord & HiWord" (M-EZ p=51). */
  swap: z.enum(['none', 'byte', 'word']).default('none'),
  /** A WORD IR that receives the profile's error code (0 = ok; docs/serial.md). */
  exceptionIr: z.number().int().min(0).nullable().default(null),
});
export type RtuProfile = z.infer<typeof rtuProfileSchema>;

/** How many internal registers a profile fills: one per bit or word, one per register pair for DWORD/FLOAT. */
export function rtuIrCount(profile: Pick<RtuProfile, 'irType' | 'length'>): number {
  return profile.irType === 'dword' || profile.irType === 'float' ? Math.floor(profile.length / 2) : profile.length;
}

export const fieldDeviceFaultSchema = serialFaultSchema;
export type FieldDeviceFault = z.infer<typeof fieldDeviceFaultSchema>;

/** A simulated Modbus RTU slave (src/sim/field-device.ts) attached to the bus. */
export const fieldDeviceRefSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and -, at most 32'),
  /** A ready-made map in profiles/field-devices (power-meter, temperature-transmitter, vfd) or a YAML file path relative to the profile. */
  definition: z.string().min(1),
  /** Default: the definition's defaultSlaveId. */
  slaveId: z.number().int().min(1).max(247).optional(),
  /**
   * null: on the in-process bus (serial.port must be virtual:NAME). A path: the device answers
   * on that serial port, e.g. the other end of a socat pty pair from serial.port.
   */
  port: z.string().min(1).nullable().default(null),
  /** A fault from the start (testers usually set one over /sim/v1/serial/field-devices/NAME/fault). */
  fault: fieldDeviceFaultSchema.optional(),
});
export type FieldDeviceRef = z.infer<typeof fieldDeviceRefSchema>;

export const serialSchema = z.strictObject({
  /** A device path (/dev/ttyUSB0, a pty), tcp://host:port (RTU over TCP) or virtual:NAME (in-process bus); null = no port. */
  port: z.string().min(1).nullable().default(null),
  interface: z.enum(['rs232', 'rs422', 'rs485-2w', 'rs485-4w']).default('rs485-2w'),
  baudRate: z.number().int().min(50).max(921_600).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  /** rs485-2w only: the adapter hands back what it sends; the master drops its own echo. */
  echo: z.boolean().default(false),
  responseTimeoutMs: z.number().int().min(10).max(60_000).default(1000),
  retries: z.number().int().min(0).max(10).default(1),
  /** Longest silence inside a frame; null = 1.5 characters (at least 20 ms on an OS port, whose bytes come in bursts). */
  interCharTimeoutMs: z.number().min(0.1).max(10_000).nullable().default(null),
  /** Silence before each request; null = 3.5 characters (1.75 ms above 19200 baud), as the spec asks. */
  interFrameDelayMs: z.number().min(0).max(10_000).nullable().default(null),
  profiles: z.array(rtuProfileSchema).max(8).default([]),
  fieldDevices: z.array(fieldDeviceRefSchema).max(32).default([]),
});
export type SerialConfig = z.infer<typeof serialSchema>;

const snmpKey = z.string().min(8, 'at least 8 characters (RFC 3414)').max(64);

/** An SNMPv3 USM user (ASSUMPTION: the device's user list was not seen; docs/snmp.md). */
export const snmpUserSchema = z
  .strictObject({
    name: z.string().min(1).max(32).regex(/^\S+$/, 'no spaces'),
    level: z.enum(['noAuthNoPriv', 'authNoPriv', 'authPriv']).default('authPriv'),
    authProtocol: z.enum(['sha', 'md5']).default('sha'),
    authKey: snmpKey.optional(),
    privProtocol: z.enum(['aes', 'des']).default('aes'),
    privKey: snmpKey.optional(),
    access: z.enum(['read-only', 'read-write']).default('read-only'),
  })
  .superRefine((user, ctx) => {
    if (user.level !== 'noAuthNoPriv' && !user.authKey) ctx.addIssue({ code: 'custom', path: ['authKey'], message: `level ${user.level} needs an authKey` });
    if (user.level === 'authPriv' && !user.privKey) ctx.addIssue({ code: 'custom', path: ['privKey'], message: 'level authPriv needs a privKey' });
  });
export type SnmpUser = z.infer<typeof snmpUserSchema>;

/**
 * A trap/inform entry (up to 64, sent as trapInform01..64): a channel value or internal register,
 * a trigger, and where to send it (ASSUMPTION: the device's trap page was not seen; docs/snmp.md).
 */
export const snmpTrapSchema = z
  .strictObject({
    /** An ioName or slot/index (a channel) or an IR (WIR-00 ...). */
    source: z.string().min(1),
    /** The attribute watched; default: the channel's main value (diStatus, doStatus, aiValueScaled, irValue ...). */
    attribute: z.string().min(1).optional(),
    trigger: z.enum(['onChange', 'onToOff', 'offToOn', 'greater', 'less']).default('onChange'),
    threshold: z.number().optional(),
    /** host:port of the manager (162 is the usual trap port). */
    manager: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port'),
    version: z.enum(['v1', 'v2c', 'v3']).default('v2c'),
    /** v2c or v3 only: an inform, acknowledged by the manager and retried until it is. */
    inform: z.boolean().default(false),
    community: z.string().min(1).max(32).default('public'),
    /** v3: a user from snmp.users. */
    user: z.string().min(1).optional(),
    retries: z.number().int().min(0).max(10).default(2),
    timeoutMs: z.number().int().min(100).max(60_000).default(1000),
  })
  .superRefine((trap, ctx) => {
    if ((trap.trigger === 'greater' || trap.trigger === 'less') && trap.threshold === undefined) {
      ctx.addIssue({ code: 'custom', path: ['threshold'], message: `trigger ${trap.trigger} needs a threshold` });
    }
    if (trap.inform && trap.version === 'v1') ctx.addIssue({ code: 'custom', path: ['inform'], message: 'SNMPv1 has no informs: use v2c or v3' });
    if (trap.version === 'v3' && !trap.user) ctx.addIssue({ code: 'custom', path: ['user'], message: 'a v3 trap needs a user from snmp.users' });
  });
export type SnmpTrap = z.infer<typeof snmpTrapSchema>;

/**
 * The SNMP agent (v1, v2c, v3). Off on the device by default; the emulator's default profile
 * turns it on, on an unprivileged port (the CLI's --snmp, 127.0.0.1:1161 by default).
 */
export const snmpSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    versions: z.strictObject({ v1: z.boolean().default(true), v2c: z.boolean().default(true), v3: z.boolean().default(true) }).default({ v1: true, v2c: true, v3: true }),
    readCommunity: z.string().min(1).max(32).default('public'),
    /** null: no SETs over v1/v2c. */
    writeCommunity: z.string().min(1).max(32).nullable().default('private'),
    users: z.array(snmpUserSchema).max(16).default([]),
    contact: z.string().max(255).default(''),
    location: z.string().max(255).default(''),
    /** Send coldStart to every trap manager when the agent starts. */
    coldStartTrap: z.boolean().default(true),
    traps: z.array(snmpTrapSchema).max(64).default([]),
  })
  .superRefine((snmp, ctx) => {
    const names = new Set<string>();
    snmp.users.forEach((u, i) => {
      if (names.has(u.name)) ctx.addIssue({ code: 'custom', path: ['users', i, 'name'], message: `user ${u.name} is listed twice` });
      names.add(u.name);
    });
    snmp.traps.forEach((t, i) => {
      if (t.version === 'v3' && t.user && !names.has(t.user)) ctx.addIssue({ code: 'custom', path: ['traps', i, 'user'], message: `no user ${t.user} in snmp.users` });
    });
    if (snmp.writeCommunity !== null && snmp.writeCommunity === snmp.readCommunity) {
      ctx.addIssue({ code: 'custom', path: ['writeCommunity'], message: 'the write community must differ from the read community' });
    }
  });
export type SnmpConfig = z.infer<typeof snmpSchema>;

export const wireSchema = z.strictObject({
  /** An output (DO or relay): an ioName or "slot/index". */
  from: z.string().min(1),
  /** A DI: an ioName or "slot/index". */
  to: z.string().min(1),
  invert: z.boolean().default(false),
});
