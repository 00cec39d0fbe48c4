/**
 * A typed client for the emulator API (/sim/v1), on fetch: what a test or a shell script does to
 * the device. Every route it calls is listed in CLIENT_ROUTES, which a test checks against the
 * running device's /sim/v1/openapi.json. A non-2xx answer throws a SimClientError carrying the
 * API's `{statusCode, code, error, message, path}`.
 *
 *   SimClient ─► fetch ─► /sim/v1/... ─► JSON ─► typed result
 *                                   └──► 4xx/5xx ─► SimClientError(status, code, path)
 *   waitFor ─► GET /events?ioName= (SSE) ─► first change matching ─► value
 */
import type { FieldInput as DeviceFieldInput } from '../device/channel.js';
import type { z } from 'zod';
import type { ChannelSnapshot, DeviceChange, DeviceSnapshot } from '../device/device.js';
import type { ActiveFault, faultSpecSchema, serialFaultSchema } from '../device/faults.js';
import type { JournalEntry, JournalFilter } from '../device/journal.js';
import type { MapRow } from '../modbus/address-map.js';
import type { Profile } from '../config/profile.js';
import { SimClientError } from './errors.js';
import { waitForChange } from './wait.js';

export { SimClientError, isSimClientError } from './errors.js';

export type { ActiveFault, ChannelSnapshot, DeviceChange, DeviceSnapshot, JournalEntry, JournalFilter, MapRow, Profile };
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

export interface Health {
  status: 'ok';
  uptime: number;
  clock: 'real' | 'manual';
  lastSeq: number;
}

export interface ClockState {
  kind: 'real' | 'manual';
  now: number;
  monotonic: number;
}

export interface InternalRegister {
  type: 'bool' | 'word' | 'dword' | 'float';
  index: number;
  ioName: string;
  value: number;
}

export interface JournalPage {
  lastSeq: number;
  capacity: number;
  entries: JournalEntry[];
}

/** GET /sim/v1/journal's filters: `ioName` also takes `slot/index`. */
export type JournalQuery = JournalFilter;

export type ScenarioStatus = 'queued' | 'running' | 'passed' | 'failed' | 'aborted';

export interface ScenarioRun {
  id: string;
  status: ScenarioStatus;
  steps?: unknown[];
  [extra: string]: unknown;
}

/** Open-ended status documents: the client passes on what the API says. */
export type StatusDocument = Record<string, unknown>;

export interface WaitOptions {
  /** Give up after this long (real time); default 5000 ms. */
  timeoutMs?: number;
}

export interface SimClientOptions {
  /** Added to every request, e.g. an Authorization header when accounts are on. */
  headers?: Record<string, string>;
}

/** Every route the client calls, as the OpenAPI document spells it (checked by a test). */
export const CLIENT_ROUTES = [
  ['get', '/sim/v1/health'],
  ['get', '/sim/v1/device'],
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
  ['get', '/sim/v1/serial'],
  ['put', '/sim/v1/serial/field-devices/{name}/fault'],
  ['get', '/sim/v1/config'],
  ['get', '/sim/v1/modbus'],
  ['get', '/sim/v1/modbus/map'],
  ['get', '/sim/v1/mqtt'],
] as const satisfies readonly (readonly [string, string])[];

/** Scenario routes: added in the same release as the client; checked only where served. */
export const SCENARIO_ROUTES = [
  ['post', '/sim/v1/scenarios'],
  ['get', '/sim/v1/scenarios/{id}'],
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
  private readonly headers: Record<string, string>;

  constructor(url: string, options: SimClientOptions = {}) {
    this.url = url.replace(/\/+$/, '').replace(/\/sim\/v1$/, '');
    this.headers = options.headers ?? {};
  }

  /** One request below /sim/v1; JSON in, JSON out, SimClientError on anything but 2xx. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const request = `${method.toUpperCase()} /sim/v1${path}`;
    let res: Response;
    try {
      res = await fetch(`${this.url}/sim/v1${path}`, {
        method: method.toUpperCase(),
        // JSON even without a body: a state-changing request without it is refused as cross-site (#14 point 12).
        headers: body === undefined && method.toUpperCase() === 'GET' ? this.headers : { ...this.headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new SimClientError(`${request}: cannot reach ${this.url} (${reason})`, { status: null, code: 'CLIENT_UNREACHABLE', path: null, request, cause: error });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch (error) {
      throw new SimClientError(`${request}: ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, { status: res.status, code: 'CLIENT_BAD_RESPONSE', path: null, request, cause: error });
    }
    if (!res.ok) {
      const e = (json ?? {}) as { code?: string; message?: string; path?: string | null };
      throw new SimClientError(`${request}: ${res.status} ${e.code ?? ''}: ${e.message ?? text}`.replace(/ {2}/, ' '), {
        status: res.status,
        code: e.code ?? `HTTP_${res.status}`,
        path: e.path ?? null,
        request,
      });
    }
    return json as T;
  }

  health(): Promise<Health> {
    return this.request('get', '/health');
  }

  device(): Promise<DeviceSnapshot> {
    return this.request('get', '/device');
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

  setInternalRegister(ioName: string, value: number): Promise<InternalRegister> {
    return this.request('put', `/internal-registers/${encodeURIComponent(ioName)}`, { value });
  }

  clock(): Promise<ClockState> {
    return this.request('get', '/clock');
  }

  /** Moves a manual clock forward (409 CLOCK_NOT_MANUAL on a real one). */
  advance(ms: number): Promise<{ now: number; monotonic: number }> {
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

  serial(): Promise<StatusDocument> {
    return this.request('get', '/serial');
  }

  setFieldDeviceFault(name: string, fault: SerialFaultInput): Promise<StatusDocument> {
    return this.request('put', `/serial/field-devices/${encodeURIComponent(name)}/fault`, fault);
  }

  config(): Promise<Profile> {
    return this.request('get', '/config');
  }

  modbus(): Promise<StatusDocument> {
    return this.request('get', '/modbus');
  }

  modbusMap(): Promise<MapRow[]> {
    return this.request('get', '/modbus/map');
  }

  mqtt(): Promise<StatusDocument> {
    return this.request('get', '/mqtt');
  }

  /**
   * Starts a scenario (POST /sim/v1/scenarios, 202); wait for its end with waitForScenario.
   * Rejects with status 429, code SCENARIO_QUEUE_FULL, while limits.scenarios.maxQueued runs wait.
   */
  runScenario(doc: unknown): Promise<ScenarioRun> {
    return this.request('post', '/scenarios', doc);
  }

  scenario(id: string): Promise<ScenarioRun> {
    return this.request('get', `/scenarios/${encodeURIComponent(id)}`);
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
    return waitForChange(this, channelPath(ref), ref, attribute, predicate, wanted, options.timeoutMs ?? 5000);
  }

  /** The event stream (GET /sim/v1/events) as a fetch Response, for callers that read it. */
  async events(ioNames: readonly string[], signal: AbortSignal): Promise<Response> {
    const q = ioNames.map((n) => `ioName=${encodeURIComponent(n)}`).join('&');
    const request = `GET /sim/v1/events${q ? `?${q}` : ''}`;
    const res = await fetch(`${this.url}/sim/v1/events${q ? `?${q}` : ''}`, { headers: { ...this.headers, accept: 'text/event-stream' }, signal }).catch((error: unknown) => {
      if (signal.aborted) throw error;
      throw new SimClientError(`${request}: cannot reach ${this.url} (${(error as Error).message})`, { status: null, code: 'CLIENT_UNREACHABLE', path: null, request, cause: error });
    });
    if (!res.ok || !res.body) {
      const e = (await res.json().catch(() => ({}))) as { code?: string; message?: string; path?: string | null };
      throw new SimClientError(`${request}: ${res.status} ${e.code ?? ''}: ${e.message ?? ''}`, { status: res.status, code: e.code ?? `HTTP_${res.status}`, path: e.path ?? null, request });
    }
    return res;
  }
}
