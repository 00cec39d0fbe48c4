/**
 * The `fleet:` section of a profile: many devices from this one profile in one process
 * (`iothinx-sim fleet`, docs/fleet.md). Identity fields are templates of the device index, so
 * every device is distinct on the wire (name, serial number, MAC, IP, SNMP engine id, MQTT client
 * id); a field left null is derived from the profile's own value and the index.
 */
import * as z from 'zod';

/** `{index}` or `{index:03}` (zero-padded to 3) and `{name}` (the profile's device name). */
export const TEMPLATE_HELP = 'placeholders: {index}, {index:0N} (zero-padded to N digits), {name} (the profile device name)';
/** Each device's own HTTP listener when `http` is absent and no fleet API listens: the base port (ports mode) and the port (loopback mode). */
export const DEVICE_HTTP_BASE = 20_000;
export const DEVICE_HTTP_PORT = 80;
const template = z.string().min(1).max(64).nullable().default(null);
const port = z.number().int().min(0).max(65_535);
/** A service's port; null = the service is off on every device. */
const servicePort = port.nullable();
/**
 * Each device's own HTTP listener (/api, /sim/v1 on its own address, as real clients address
 * each device). Absent: off while the fleet API listens (`iothinx-sim fleet --http`, which
 * serves every device under /fleet/v1/devices/{name}/), else the port given as the default.
 */
const deviceHttpPort = (fallback: number) =>
  servicePort.optional().meta({ description: `Each device's own HTTP port; absent: off while the fleet API listens, else ${fallback}.` });

export const fleetIdentitySchema = z.strictObject({
  /** Default `{name}-{index:03}`, the name cut short where a long index needs the room (16 characters at most, as on the device). */
  name: template.meta({ description: `Device name template; ${TEMPLATE_HELP}` }),
  /** Default: the first 7 characters of the profile's serial number, then the index in 5 digits. */
  serialNumber: template,
  /** Default: the profile's MAC plus the index (MAC and SNMP engine id stay unique). */
  mac: template,
  /** Default: device i gets host i+1 of the profile IP's /24 and on, skipping .0 and .255 (device 1: 192.168.127.2). */
  ip: template,
  /** Default: the device's own default, `{name}_{serialNumber}`. */
  mqttClientId: template,
});

export const fleetAddressingSchema = z.discriminatedUnion('mode', [
  /** A port per device from a base port per service: device k (k = index - first) listens on base + k; base 0 = the OS picks. */
  z.strictObject({
    mode: z.literal('ports'),
    host: z.string().min(1).default('127.0.0.1'),
    base: z
      .strictObject({ http: deviceHttpPort(DEVICE_HTTP_BASE), modbus: servicePort.default(10_000), snmp: servicePort.default(30_000) })
      .prefault({}),
  }),
  /** An address per device from `first` on (127.0.1.1, 127.0.1.2, ...), each with the same ports, as a plant's distinct IPs. */
  z.strictObject({
    mode: z.literal('loopback'),
    first: z.ipv4().default('127.0.1.1'),
    ports: z.strictObject({ http: deviceHttpPort(DEVICE_HTTP_PORT), modbus: servicePort.default(502), snmp: servicePort.default(161) }).prefault({}),
  }),
]);

/** Unit ids a gateway gives devices: 1..247 (Modbus over serial line §2.2: 0 is broadcast, 248..255 reserved). */
export const GATEWAY_UNIT_IDS = { first: 1, last: 247 } as const;

/**
 * One Modbus/TCP port for the whole fleet where the unit id selects the device (docs/fleet.md,
 * "Modbus gateway"): unit id u answers as device first + u - 1. Off (null) by default, because a
 * 4510 answers any unit id. Connections are bounded here; the accessible-IP list, idle timeout
 * and limits.modbus are the template profile's, as on a device's own port.
 */
export const fleetGatewaySchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 = the OS picks (tests); the address is in the ready file and GET /fleet/v1/gateway. */
  port: port.default(502),
  /** Open connections at once, across all devices behind it; one more is closed at accept and counted. */
  maxConnections: z.number().int().min(1).max(1024).default(32),
  /**
   * The exception for a unit id that selects no running device (none at that index, removed,
   * 0, 248..255), and for a device whose modbus-drop fault is on: 11 GATEWAY TARGET DEVICE FAILED
   * TO RESPOND (default; what a Moxa MGate answers for a slave that does not answer) or 10
   * GATEWAY PATH UNAVAILABLE.
   */
  noDeviceException: z.union([z.literal(10), z.literal(11)]).default(11),
});

export const fleetSchema = z.strictObject({
  count: z.number().int().min(1).max(10_000).default(1),
  /** The first device index (a Kubernetes pod ordinal times the count, say). */
  first: z.number().int().min(0).max(999_999).default(1),
  identity: fleetIdentitySchema.prefault({}),
  addressing: fleetAddressingSchema.default({ mode: 'ports', host: '127.0.0.1', base: { modbus: 10_000, snmp: 30_000 } }),
  /** Journal entries each device keeps: fewer than one device's 10 000, so memory stays bounded. */
  journalCapacity: z.number().int().min(10).max(100_000).default(1000),
  /** The Modbus gateway: one port, the unit id selects the device; null = off. */
  gateway: fleetGatewaySchema.nullable().default(null),
});

export type Fleet = z.infer<typeof fleetSchema>;
export type FleetInput = z.input<typeof fleetSchema>;
export type FleetAddressing = z.infer<typeof fleetAddressingSchema>;
export type FleetGateway = z.infer<typeof fleetGatewaySchema>;
