/**
 * The fleet API (/fleet/v1, issue #16 item 3) as the HTTP layer sees it: one zod schema per
 * document and request body, the types inferred from them, and the `FleetControl` that
 * src/http/fleet-app.ts drives and src/fleet/control.ts implements over a `Fleet`. Imports zod,
 * device schemas and other contracts only (test/unit/contracts.test.ts), so src/http may import
 * it where it may not import the rest of src/fleet.
 */
import * as z from 'zod';
import type { Clock } from '../device/clock.js';
import type { Device, DeviceChange } from '../device/device.js';
import { faultSpecSchema } from '../device/faults.js';
import { fieldInputSchema } from '../device/field-input.js';
import { listenerStatsSchema } from '../modbus/contract.js';
import type { SerialControl } from '../serial/contract.js';
import type { ScenarioControl, SignalControl } from '../sim/contract.js';

/** Most device names one request may name: a fleet has at most 10 000 devices (src/config/fleet.ts). */
export const MAX_SELECTED_DEVICES = 10_000;

const address = z.string().nullable();

/** Where one device's services listen (null = off), as the ready file gives them. */
export const fleetEndpointsSchema = z.strictObject({
  http: address,
  https: address,
  modbus: address,
  mqtt: address.meta({ description: 'The broker URL the device publishes to.' }),
  broker: address.meta({ description: "A device's own embedded broker (never in a fleet: the fleet has one)." }),
  snmp: address,
});

export const mqttHealthSchema = z.enum(['off', 'connecting', 'connected']);

export const deviceHealthSchema = z.strictObject({
  ready: z.boolean().meta({ description: 'Every listener of the device is bound and, with MQTT on, its client is connected.' }),
  mqtt: mqttHealthSchema,
});
export type DeviceHealth = z.infer<typeof deviceHealthSchema>;

/** One device as GET /fleet/v1/devices lists it. */
export const fleetDeviceSchema = z.strictObject({
  index: z.number().int(),
  name: z.string(),
  serialNumber: z.string(),
  mac: z.string(),
  ip: z.string().meta({ description: 'The IP the device reports as its own (identity), not where it listens.' }),
  endpoints: fleetEndpointsSchema,
  unitId: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'The unit id that selects this device on the fleet\'s Modbus gateway (index - first + 1); null when the gateway is off or the index is outside unit ids 1..247.' }),
  health: deviceHealthSchema,
  links: z.strictObject({
    sim: z.string().meta({ description: 'Its emulator API through the fleet listener.' }),
    api: z.string().meta({ description: 'Its device API (/api) through the fleet listener.' }),
  }),
});
export type FleetDevice = z.infer<typeof fleetDeviceSchema>;

/** GET /fleet/v1/gateway: the Modbus gateway (one port, the unit id selects the device), or `enabled: false`. */
export const fleetGatewayStatusSchema = z.union([
  z.strictObject({ enabled: z.literal(false) }),
  z.strictObject({
    enabled: z.literal(true),
    address: z.string().meta({ description: 'host:port it listens on.' }),
    firstIndex: z.number().int().meta({ description: 'The device index unit id 1 selects: unit id u selects index firstIndex + u - 1.' }),
    unitIds: z.strictObject({ first: z.number().int(), last: z.number().int() }),
    noDeviceException: z.number().int().meta({ description: 'The exception code for a unit id that selects no running device (11 or 10).' }),
    stats: listenerStatsSchema,
    refusals: z.strictObject({
      backpressure: z.number().int().meta({ description: 'Connections paused because their replies were not drained.' }),
      frameTimeout: z.number().int().meta({ description: 'Connections closed for a request frame not complete in time.' }),
    }),
  }),
]);
export type FleetGatewayStatus = z.infer<typeof fleetGatewayStatusSchema>;

export const fleetHealthSchema = z.strictObject({
  status: z.enum(['ready', 'starting']).meta({ description: '`ready` (200) once every device is ready and none is starting; else 503.' }),
  devices: z.number().int(),
  ready: z.number().int(),
  starting: z.array(z.number().int()).meta({ description: 'Indexes being added right now.' }),
  notReady: z.array(z.string()).max(100).meta({ description: 'Names of devices not ready yet (the first 100).' }),
  clock: z.enum(['real', 'manual']),
});
export type FleetHealth = z.infer<typeof fleetHealthSchema>;

/**
 * GET /fleet/v1/health/live (#17): the process answers HTTP, whatever its devices' state. A
 * Kubernetes livenessProbe asks here, so a broker outage (which makes /health 503) restarts nothing.
 */
export const fleetLivenessSchema = z.strictObject({
  status: z.literal('ok'),
  devices: z.number().int().meta({ description: 'Devices running now.' }),
});
export type FleetLiveness = z.infer<typeof fleetLivenessSchema>;

export const addDeviceBodySchema = z.strictObject({
  index: z.number().int().min(0).max(1_009_999).meta({ description: 'The device index; its identity and addresses follow from it as at start.' }),
});

const deviceName = z.string().min(1).max(64);

/** Which devices a fleet-wide operation applies to: a list of names or "all". */
export const deviceSelectionSchema = z
  .union([z.literal('all'), z.array(deviceName).min(1).max(MAX_SELECTED_DEVICES)])
  .meta({ description: `"all", or up to ${MAX_SELECTED_DEVICES} device names; an unknown name refuses the whole request.` });
export type DeviceSelection = z.infer<typeof deviceSelectionSchema>;

export const fleetFieldBodySchema = z.strictObject({
  devices: deviceSelectionSchema,
  slot: z.number().int().min(1).max(32),
  channel: z.number().int().min(0).max(255).meta({ description: 'The module-wide channel index.' }),
  input: fieldInputSchema.refine((input) => Object.values(input).some((v) => v !== undefined), 'give at least one field input'),
});
export type FleetFieldBody = z.infer<typeof fleetFieldBodySchema>;

export const fleetFaultBodySchema = z.strictObject({ devices: deviceSelectionSchema, fault: faultSpecSchema });
export type FleetFaultBody = z.infer<typeof fleetFaultBodySchema>;

export const fleetClearFaultsBodySchema = z.strictObject({ devices: deviceSelectionSchema });

/** One device's part of a fleet-wide operation: what it answered, or the error body its own route would have given. */
export const deviceOutcomeSchema = z.union([
  z.strictObject({ device: z.string(), ok: z.literal(true), result: z.unknown() }),
  z.strictObject({
    device: z.string(),
    ok: z.literal(false),
    error: z.strictObject({ statusCode: z.number().int(), code: z.string(), error: z.string(), message: z.string(), path: z.string().nullable() }),
  }),
]);
export type DeviceOutcome = z.infer<typeof deviceOutcomeSchema>;

export const fleetOutcomeSchema = z.strictObject({
  succeeded: z.number().int(),
  failed: z.number().int(),
  results: z.array(deviceOutcomeSchema),
});
export type FleetOutcome = z.infer<typeof fleetOutcomeSchema>;

/** What GET /fleet/v1/events carries beyond each device's changes. */
export type FleetEvent = { kind: 'change'; device: string; change: DeviceChange } | { kind: 'added' | 'removed'; device: string; index: number };

/** One running device's parts as the fleet API drives them; `App` is its express app (the HTTP layer's type). */
export interface FleetDeviceHandle<App> {
  readonly index: number;
  readonly name: string;
  readonly device: Device;
  readonly signals: SignalControl;
  readonly serial: SerialControl;
  /**
   * Its /api, /sim/v1 and /metrics app, which the fleet API mounts under /fleet/v1/devices/{name}/.
   * Built on first call (about 0.9 MiB a device).
   */
  app(): App | null;
  /** Its metrics (what its GET /metrics shows, counted from its start), without building the app. */
  metrics(): Promise<FleetMetricFamily[]>;
}

/** A metric family as prom-client's getMetricsAsJSON gives it. */
export interface FleetMetricFamily {
  name: string;
  help: string;
  type: unknown;
  values: { labels: Partial<Record<string, string | number>>; value: number }[];
}

/**
 * The fleet as the HTTP layer drives it. Generic in the express app type so that this module
 * imports no package but zod.
 */
export interface FleetControl<App> {
  /** The running devices, by index. */
  list(): FleetDevice[];
  /** How many devices run: what a probe or a greeting needs, without describing each. */
  count(): number;
  /** A running device by name; undefined when none has it. */
  handle(name: string): FleetDeviceHandle<App> | undefined;
  handles(): FleetDeviceHandle<App>[];
  /** Starts device `index`; FLEET_DEVICE_EXISTS when it runs or is starting. */
  add(index: number): Promise<FleetDevice>;
  /** Stops the device; false when none has that name. */
  remove(name: string): Promise<boolean>;
  health(): FleetHealth;
  /** The Modbus gateway's address and counters. */
  gateway(): FleetGatewayStatus;
  /** The one clock every device runs on. */
  readonly clock: Clock;
  /** Scenario runs whose steps name fleet devices (/fleet/v1/scenarios). */
  readonly scenarios: ScenarioControl;
  /** Every device's changes (devices added later included), and devices coming and going. */
  onEvent(listener: (event: FleetEvent) => void): () => void;
}
