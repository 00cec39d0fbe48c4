/**
 * What the HTTP layer needs from the rest of the emulator. Signals come in through an interface
 * (not src/sim's SignalRunner) so that http depends only on device and config; cli wires the
 * real runner in, which satisfies SignalControl structurally.
 */
import type { Logger } from 'pino';
import type { Profile } from '../config/profile.js';
import type { FieldDeviceFault } from '../config/sections.js';
import type { Channel } from '../device/channel.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import type { SignalSpec } from '../device/schema.js';

export interface SignalControl {
  /** Attaches (or replaces) a channel's generator; throws a SimError and changes nothing if it does not fit. */
  attach(channel: Channel, spec: SignalSpec): void;
  /** Returns whether a signal was attached. */
  detach(channel: Channel): boolean;
  get(channel: Channel): SignalSpec | undefined;
}

/** One row of the Modbus address table (docs/modbus-map.md). */
export interface ModbusMapRow {
  slot: number;
  ioName: string;
  parameter: string;
  table: 'coil' | 'discrete' | 'holding' | 'input';
  address: number;
  length: number;
  type: 'bit' | 'word' | 'dword' | 'float';
}

export type AccessibleIpsConfig = Profile['modbus']['accessibleIps'];
export type BaseAddressOverride = Profile['modbus']['baseAddresses'][number];

/**
 * The Modbus side as the emulator API sees it; cli implements it over src/modbus (http never
 * imports another protocol adapter). Setters resolve once the change is on disk and in force;
 * they reject with a SimError and change nothing on bad input or a failed write.
 */
export interface ModbusControl {
  /** The listening address, or null when the server is off. */
  address(): string | null;
  stats(): Record<string, number | boolean>;
  map(): ModbusMapRow[];
  baseAddresses(): { effective: { slot: number; coil: number; discrete: number; holding: number; input: number }[]; overrides: BaseAddressOverride[] };
  setBaseAddresses(overrides: BaseAddressOverride[]): Promise<void>;
  accessibleIps(): AccessibleIpsConfig;
  setAccessibleIps(list: AccessibleIpsConfig): Promise<void>;
}

/** A whole new config, on disk, and the restart that puts it in force (call it once the response is out). */
export interface ConfigApplied {
  config: Profile;
  apply(): Promise<void>;
}

/**
 * The running config as the emulator API sees it; cli implements it (src/cli/runner.ts) over one
 * serialized writer (src/config/writer.ts). Every change resolves only once it is on disk (with
 * a data dir) and rejects, changing nothing, on bad input (400 naming the field) or a failed write
 * (CONFIG_WRITE_FAILED). Changes apply in the order they are accepted, each on top of the one before.
 * A whole new config is applied by an in-process restart on the same addresses, as the real
 * device restarts to apply settings; the route calls `apply` once its response is out.
 */
export interface ConfigControl {
  current(): Profile;
  /** Whether changes are written to a data dir and outlive the process. */
  readonly persistent: boolean;
  /**
   * Replaces the whole config with `next(current)` (PUT: the body; PATCH: the current config
   * merged with the patch), checked as a start would check it, then persisted.
   */
  replace(next: (current: Profile) => Profile): Promise<ConfigApplied>;
  /** Forgets the running config and goes back to the profile file. */
  reset(): Promise<ConfigApplied>;
  /**
   * A runtime change (accessible-IP list, base addresses, accounts), in force without a restart:
   * `change` makes the next config from the latest accepted one, or throws a SimError to refuse.
   * Resolves with the config that carries it.
   */
  edit(change: (current: Profile) => Profile): Promise<Profile>;
}

/** The MQTT client as the emulator API sees it; cli implements it over src/mqtt. */
export interface MqttControl {
  status(): object;
  topics(): readonly object[];
  /** The last messages published ('out') and received on write topics ('in'), oldest first. */
  log(): readonly object[];
  /** Calls `listener` with each message as it is published or received; returns the unsubscribe. */
  onMessage(listener: (message: object) => void): () => void;
}

/** A point of a virtual field device, as /sim/v1/serial/field-devices shows it. */
export interface FieldDevicePointView {
  name: string;
  table: string;
  address: number;
  type: string;
  unit: string | undefined;
  writable: boolean;
  value: number;
}

/**
 * The serial port, RTU master and virtual field devices as the emulator API sees them; cli
 * implements it over src/serial and src/sim. Setters throw a SimError and change nothing on bad input.
 */
export interface SerialControl {
  /** Port, master counters, per-profile status (src/serial/service.ts SerialStatus). */
  status(): object;
  fieldDeviceNames(): string[];
  /** Throws HTTP_NOT_FOUND for an unknown name. */
  fieldDevice(name: string): object;
  setFault(name: string, fault: FieldDeviceFault): void;
  setPoint(name: string, point: string, value: number): void;
}

/** One step's result in a scenario run (src/sim/scenario-runner.ts StepResult). */
export interface ScenarioStepView {
  index: number;
  step: unknown;
  description: string;
  status: 'pending' | 'running' | 'passed' | 'failed' | 'skipped';
  startedAt: number | null;
  endedAt: number | null;
  detail: string | null;
}

export interface ScenarioRunView {
  id: string;
  name: string;
  description: string | null;
  status: 'queued' | 'running' | 'passed' | 'failed' | 'aborted';
  startedAt: number | null;
  endedAt: number | null;
  steps: ScenarioStepView[];
}

/** A run in GET /sim/v1/scenarios: no steps, their count per status (src/sim/scenario-runner.ts RunSummary). */
export type ScenarioRunSummary = Omit<ScenarioRunView, 'steps'> & { stepCounts: Record<ScenarioStepView['status'] | 'total', number> };

export type ScenarioEvent = { type: 'step'; step: ScenarioStepView } | { type: 'end'; run: ScenarioRunView };

/**
 * Scenario runs as the emulator API sees them; cli hands in src/sim's ScenarioController, which
 * fits structurally (http never imports src/sim). Runs queue and run one at a time.
 */
export interface ScenarioControl {
  /** Validates the document (schema, then against the device) and queues it, or returns every problem with its path. */
  start(document: unknown):
    | { ok: true; run: ScenarioRunView }
    | { ok: false; problems: { path: string; message: string }[] }
    /** limits.scenarios.maxQueued runs already wait; nothing was queued (counted as scenario_queue). */
    | { ok: false; full: { queued: number; maxQueued: number } };
  /** Oldest first, bounded (limits.scenarios), summaries without steps. */
  list(): ScenarioRunSummary[];
  get(id: string): ScenarioRunView | undefined;
  /** Aborts a queued or running run; undefined for an unknown id. */
  abort(id: string): ScenarioRunView | undefined;
  /** Calls `listener` with each step result and the end; returns the unsubscribe, or undefined for an unknown id. */
  subscribe(id: string, listener: (event: ScenarioEvent) => void): (() => void) | undefined;
}

/** The SNMP agent as the emulator API sees it; cli implements it over src/snmp. */
export interface SnmpControl {
  /** Address, engine id, versions, communities (write one hidden), users, counters, traps. */
  status(): object;
}

export interface HttpAppOptions {
  device: Device;
  clock: Clock;
  signals: SignalControl;
  profile: Profile;
  logger: Logger;
  modbus: ModbusControl;
  config: ConfigControl;
  /** Absent when MQTT is off. */
  mqtt?: MqttControl;
  /** Absent in tests that build the app without a serial side. */
  serial?: SerialControl;
  /** Absent in tests that build the app without SNMP. */
  snmp?: SnmpControl;
  /** Absent when nobody wired scenarios in: the routes answer 404. */
  scenarios?: ScenarioControl;
  /** What GET /metrics reads beyond the above; absent in tests that build the app alone. */
  metrics?: MetricsSources;
}

/**
 * What GET /metrics (metrics.ts) reads beyond the device and the controls above; cli implements
 * it. Absent in tests that build the app alone: those samples are then left out.
 */
export interface MetricsSources {
  /** Connections the HTTP and HTTPS listeners refused at accept (accessible-IP list, "additional restrictions"). */
  httpRefusedByList(): number;
}
