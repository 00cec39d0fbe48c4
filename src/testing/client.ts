/**
 * A typed client for the emulator API (/sim/v1), on fetch: what a test or a shell script does to
 * the device. Every route it calls is listed in CLIENT_ROUTES, which a test checks against the
 * running device's /sim/v1/openapi.json. A non-2xx answer throws a SimClientError carrying the
 * API's `{statusCode, code, error, message, path}`.
 *
 * Its request and response types are the API's own: inferred from the zod schemas the routes
 * validate and document with (src/<feature>/contract.ts, src/http/schemas.ts), imported as types
 * only, so the client carries no copy of a shape (test/unit/client-contract.test.ts checks it).
 *
 *   SimClient ─► Api (api.ts) ─► fetch ─► /sim/v1/... ─► JSON ─► typed result
 *                                              └──► 4xx/5xx ─► SimClientError(status, code, path)
 *   waitFor (wait.ts) ─► Api: GET /events?ioName= (SSE) ─► first change matching ─► value
 */
import type * as z from 'zod';
import type { Profile } from '../config/profile.js';
import type { FieldInput as DeviceFieldInput } from '../device/channel.js';
import type { ChannelSnapshot, DeviceChange, DeviceSnapshot } from '../device/device.js';
import type { ActiveFault, faultSpecSchema, serialFaultSchema } from '../device/faults.js';
import type { JournalEntry, JournalFilter } from '../device/journal.js';
import type { advanceResponseSchema, clockSchema, healthSchema, irEntrySchema, ModuleCatalog, readinessSchema } from '../http/schemas.js';
import type { AccessibleIps, BaseAddresses, MapRow, ModbusStatus } from '../modbus/contract.js';
import type { MqttLogEntry, MqttStatusDocument, MqttTopic } from '../mqtt/contract.js';
import type { FieldDeviceView, SerialStatusDocument } from '../serial/contract.js';
import type { RunResult, RunStatus, RunSummary, ScenarioDocument } from '../sim/contract.js';
import type { SnmpStatusDocument } from '../snmp/contract.js';
import { Api, type ApiOptions } from './api.js';
import { SimClientError } from './errors.js';
import { waitForChange } from './wait.js';

export { SimClientError, isSimClientError } from './errors.js';

export type { ActiveFault, ChannelSnapshot, DeviceChange, DeviceSnapshot, JournalEntry, JournalFilter, MapRow, Profile };
export type { AccessibleIps, BaseAddresses, FieldDeviceView, ModbusStatus, MqttLogEntry, MqttStatusDocument, MqttTopic, RunSummary, ScenarioDocument, SerialStatusDocument, SnmpStatusDocument };
/** A fault as POST /sim/v1/faults takes it (`count` may be left out). */
export type FaultSpecInput = z.input<typeof faultSpecSchema>;
/** A virtual field device's fault, as PUT /sim/v1/serial/field-devices/{name}/fault takes it. */
export type SerialFaultInput = z.input<typeof serialFaultSchema>;

/** A channel as `slot/index`, e.g. `1/0` (DI-00 of slot 1) or `2/3`. */
export type ChannelRef = `${number}/${number}`;

/** The field side of a channel (PUT /sim/v1/slots/{slot}/channels/{index}); see the README. */
export type FieldInput = DeviceFieldInput & {
  /** A signal generator (docs/profiles.md), or null to detach the running one. */
  signal?: Record<string, unknown> | null;
};

export type Health = z.infer<typeof healthSchema>;
/** GET /sim/v1/health/ready: `status` is `ready` once every service the device runs is up. */
export type Readiness = z.infer<typeof readinessSchema>;
export type ClockState = z.infer<typeof clockSchema>;
export type ClockAdvanced = z.infer<typeof advanceResponseSchema>;
export type InternalRegister = z.infer<typeof irEntrySchema>;

export interface JournalPage {
  lastSeq: number;
  capacity: number;
  entries: JournalEntry[];
}

/** GET /sim/v1/journal's filters: `ioName` also takes `slot/index`. */
export type JournalQuery = JournalFilter;

/** queued (waiting for the run before it), running, passed, failed, aborted. */
export type ScenarioStatus = RunStatus;
/** A run with its steps (GET /sim/v1/scenarios/{id}). */
export type ScenarioRun = RunResult;

export interface WaitOptions {
  /** Give up after this long (real time); default 5000 ms. */
  timeoutMs?: number;
}

export type SimClientOptions = ApiOptions;

/** Every route the client calls, as the OpenAPI document spells it (checked by a test). */
export const CLIENT_ROUTES = [
  ['get', '/sim/v1/health'],
  ['get', '/sim/v1/health/ready'],
  ['get', '/sim/v1/device'],
  ['get', '/sim/v1/modules'],
  ['get', '/sim/v1/slots/{slot}/channels/{index}'],
  ['put', '/sim/v1/slots/{slot}/channels/{index}'],
  ['put', '/sim/v1/slots/{slot}/channels/{index}/attributes/{attribute}'],
  ['get', '/sim/v1/internal-registers'],
  ['put', '/sim/v1/internal-registers/{ioName}'],
  ['get', '/sim/v1/clock'],
  ['post', '/sim/v1/clock/advance'],
  ['get', '/sim/v1/events'],
  ['get', '/sim/v1/journal'],
  ['delete', '/sim/v1/journal'],
  ['get', '/sim/v1/faults'],
  ['post', '/sim/v1/faults'],
  ['delete', '/sim/v1/faults'],
  ['delete', '/sim/v1/faults/{id}'],
  ['get', '/sim/v1/internal-registers/{ioName}'],
  ['get', '/sim/v1/serial'],
  ['get', '/sim/v1/serial/field-devices'],
  ['get', '/sim/v1/serial/field-devices/{name}'],
  ['put', '/sim/v1/serial/field-devices/{name}/fault'],
  ['put', '/sim/v1/serial/field-devices/{name}/points/{point}'],
  ['get', '/sim/v1/config'],
  ['get', '/sim/v1/modbus'],
  ['get', '/sim/v1/modbus/map'],
  ['get', '/sim/v1/modbus/base-addresses'],
  ['get', '/sim/v1/modbus/accessible-ips'],
  ['get', '/sim/v1/mqtt'],
  ['get', '/sim/v1/mqtt/topics'],
  ['get', '/sim/v1/mqtt/log'],
  ['get', '/sim/v1/snmp'],
] as const satisfies readonly (readonly [string, string])[];

/** Scenario routes: added in the same release as the client; checked only where served. */
export const SCENARIO_ROUTES = [
  ['post', '/sim/v1/scenarios'],
  ['get', '/sim/v1/scenarios'],
  ['get', '/sim/v1/scenarios/{id}'],
  ['delete', '/sim/v1/scenarios/{id}'],
] as const satisfies readonly (readonly [string, string])[];

const REF = /^(\d+)\/(\d+)$/;

/** `"1/0"` → `/slots/1/channels/0`; anything else is a usage error, not a request. */
export function channelPath(ref: string): string {
  const m = REF.exec(ref);
  if (!m) throw new SimClientError(`channel "${ref}": expected slot/index, e.g. 1/0`, { status: null, code: 'HTTP_BAD_REQUEST', path: 'ref', request: null });
  return `/slots/${m[1]}/channels/${m[2]}`;
}

function query(params: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.append(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class SimClient {
  /** `http://127.0.0.1:8080`, without /sim/v1. */
  readonly url: string;
  private readonly api: Api;

  constructor(url: string, options: SimClientOptions = {}) {
    this.api = new Api(url, options);
    this.url = this.api.url;
  }

  /** One request below /sim/v1; JSON in, JSON out, SimClientError on anything but 2xx. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.api.request<T>(method, path, body);
  }

  health(): Promise<Health> {
    return this.request('get', '/health');
  }

  /** Whether every service is up (and MQTT connected): the document on 200 and on 503 alike (#17). */
  readiness(): Promise<Readiness> {
    return this.api.request('get', '/health/ready', undefined, [503]);
  }

  device(): Promise<DeviceSnapshot> {
    return this.request('get', '/device');
  }

  /** The module catalogue: each model's channels and the modes each accepts, the default first. */
  modules(): Promise<ModuleCatalog> {
    return this.request('get', '/modules');
  }

  /** One channel by slot and module-wide index. */
  channel(slot: number, index: number): Promise<ChannelSnapshot> {
    return this.request('get', `/slots/${slot}/channels/${index}`);
  }

  /** The field side: `setField('1/0', {level: 1})`, `setField('4/0', {physical: 12})`. */
  setField(ref: string, input: FieldInput): Promise<ChannelSnapshot> {
    return this.request('put', channelPath(ref), input);
  }

  /** A write as a protocol would do it: `write('2/0', 'doStatus', 1)`. */
  write(ref: string, attribute: string, value: number): Promise<ChannelSnapshot> {
    return this.request('put', `${channelPath(ref)}/attributes/${encodeURIComponent(attribute)}`, { value });
  }

  /** The current value of one attribute of a channel. */
  async read(ref: string, attribute: string): Promise<unknown> {
    const channel = await this.request<ChannelSnapshot>('get', channelPath(ref));
    return channel[attribute];
  }

  internalRegisters(): Promise<InternalRegister[]> {
    return this.request('get', '/internal-registers');
  }

  internalRegister(ioName: string): Promise<InternalRegister> {
    return this.request('get', `/internal-registers/${encodeURIComponent(ioName)}`);
  }

  setInternalRegister(ioName: string, value: number): Promise<InternalRegister> {
    return this.request('put', `/internal-registers/${encodeURIComponent(ioName)}`, { value });
  }

  clock(): Promise<ClockState> {
    return this.request('get', '/clock');
  }

  /** Moves a manual clock forward (409 CLOCK_NOT_MANUAL on a real one). */
  advance(ms: number): Promise<ClockAdvanced> {
    return this.request('post', '/clock/advance', { ms });
  }

  async journal(filter: JournalQuery = {}): Promise<JournalEntry[]> {
    return (await this.journalPage(filter)).entries;
  }

  journalPage(filter: JournalQuery = {}): Promise<JournalPage> {
    return this.request('get', `/journal${query(filter)}`);
  }

  clearJournal(): Promise<{ lastSeq: number }> {
    return this.request('delete', '/journal');
  }

  faults(): Promise<ActiveFault[]> {
    return this.request('get', '/faults');
  }

  injectFault(spec: FaultSpecInput): Promise<ActiveFault> {
    return this.request('post', '/faults', spec);
  }

  clearFault(id: string): Promise<{ cleared: string }> {
    return this.request('delete', `/faults/${encodeURIComponent(id)}`);
  }

  clearFaults(): Promise<{ cleared: number }> {
    return this.request('delete', '/faults');
  }

  /** The serial port, RTU master and profiles; `enabled: false` without a serial side. */
  serial(): Promise<SerialStatusDocument> {
    return this.request('get', '/serial');
  }

  fieldDevices(): Promise<FieldDeviceView[]> {
    return this.request('get', '/serial/field-devices');
  }

  fieldDevice(name: string): Promise<FieldDeviceView> {
    return this.request('get', `/serial/field-devices/${encodeURIComponent(name)}`);
  }

  setFieldDeviceFault(name: string, fault: SerialFaultInput): Promise<FieldDeviceView> {
    return this.request('put', `/serial/field-devices/${encodeURIComponent(name)}/fault`, fault);
  }

  /** Sets a field device point in engineering units; the master sees it on its next poll. */
  setFieldDevicePoint(name: string, point: string, value: number): Promise<FieldDeviceView> {
    return this.request('put', `/serial/field-devices/${encodeURIComponent(name)}/points/${encodeURIComponent(point)}`, { value });
  }

  config(): Promise<Profile> {
    return this.request('get', '/config');
  }

  modbus(): Promise<ModbusStatus> {
    return this.request('get', '/modbus');
  }

  modbusMap(): Promise<MapRow[]> {
    return this.request('get', '/modbus/map');
  }

  modbusBaseAddresses(): Promise<BaseAddresses> {
    return this.request('get', '/modbus/base-addresses');
  }

  accessibleIps(): Promise<AccessibleIps> {
    return this.request('get', '/modbus/accessible-ips');
  }

  /** The MQTT client; `enabled: false` while it does not run. */
  mqtt(): Promise<MqttStatusDocument> {
    return this.request('get', '/mqtt');
  }

  mqttTopics(): Promise<MqttTopic[]> {
    return this.request('get', '/mqtt/topics');
  }

  /** The last 200 messages published ('out') and received on write topics ('in'), oldest first. */
  mqttLog(): Promise<MqttLogEntry[]> {
    return this.request('get', '/mqtt/log');
  }

  /** The SNMP agent; `enabled: false` while it does not run. */
  snmp(): Promise<SnmpStatusDocument> {
    return this.request('get', '/snmp');
  }

  /**
   * Starts a scenario (POST /sim/v1/scenarios, 202); wait for its end with waitForScenario.
   * Rejects with status 429, code SCENARIO_QUEUE_FULL, while limits.scenarios.maxQueued runs wait.
   */
  runScenario(doc: ScenarioDocument): Promise<ScenarioRun> {
    return this.request('post', '/scenarios', doc);
  }

  /** The kept runs, oldest first, with step counts (not steps). */
  scenarios(): Promise<RunSummary[]> {
    return this.request('get', '/scenarios');
  }

  scenario(id: string): Promise<ScenarioRun> {
    return this.request('get', `/scenarios/${encodeURIComponent(id)}`);
  }

  /** Aborts a queued or running run (its remaining steps are skipped); a finished run comes back as it is. */
  abortScenario(id: string): Promise<ScenarioRun> {
    return this.request('delete', `/scenarios/${encodeURIComponent(id)}`);
  }

  /** Polls the scenario until it is no longer queued or running; resolves with its final state. */
  async waitForScenario(id: string, options: WaitOptions = {}): Promise<ScenarioRun> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const run = await this.scenario(id);
      if (run.status !== 'running' && run.status !== 'queued') return run;
      if (Date.now() >= deadline) {
        throw new SimClientError(`scenario ${id}: still running after ${timeoutMs} ms`, { status: null, code: 'CLIENT_TIMEOUT', path: null, request: `GET /sim/v1/scenarios/${id}` });
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /**
   * Resolves with the value once `attribute` of the channel equals `expected` (or satisfies it,
   * if a function): at once if it already does, else on the first matching change from the
   * event stream. Rejects with CLIENT_TIMEOUT after `timeoutMs` (default 5000), naming the last
   * value seen.
   */
  waitFor(ref: string, attribute: string, expected: number | ((value: number) => boolean), options: WaitOptions = {}): Promise<number> {
    const predicate = typeof expected === 'function' ? expected : (value: number) => value === expected;
    const wanted = typeof expected === 'function' ? 'the predicate' : String(expected);
    return waitForChange(this.api, channelPath(ref), ref, attribute, predicate, wanted, options.timeoutMs ?? 5000);
  }

  /** The event stream (GET /sim/v1/events) as a fetch Response, for callers that read it. */
  events(ioNames: readonly string[], signal: AbortSignal): Promise<Response> {
    return this.api.events(ioNames, signal);
  }
}
