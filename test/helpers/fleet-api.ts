/**
 * In-process fleets for the fleet API tests: devices reached through the one API listener (a free
 * port), no MQTT, Modbus on free ports; and a JSON call that sends what the API's guards ask for.
 */
import { pino } from 'pino';
import { fleetSchema, type FleetInput } from '../../src/config/fleet.js';
import { loadProfile } from '../../src/config/load.js';
import { Fleet } from '../../src/fleet/fleet.js';

export const DEFAULT_PROFILE = new URL('../../profiles/default.yaml', import.meta.url).pathname;
const logger = pino({ level: 'silent' });

export interface ApiFleetOptions {
  /** Merged over the test fleet section: Modbus on free ports, no SNMP. */
  input?: FleetInput;
  clock?: 'manual' | 'real';
  profileFile?: string;
}

/** Starts fleets and stops every one it started (call stopAll in afterEach). */
export class ApiFleets {
  private readonly running: Fleet[] = [];

  async start(count: number, options: ApiFleetOptions = {}): Promise<{ fleet: Fleet; base: string }> {
    const profileFile = options.profileFile ?? DEFAULT_PROFILE;
    const profile = await loadProfile(profileFile);
    const fleet = fleetSchema.parse({ count, addressing: { mode: 'ports', base: { modbus: 0, snmp: null } }, ...options.input });
    const started = await Fleet.start({
      profile,
      fleet,
      profileFile,
      mqtt: 'off',
      broker: null,
      clock: options.clock ?? 'manual',
      seed: 1,
      logger,
      http: { host: '127.0.0.1', port: 0 },
    });
    this.running.push(started);
    return { fleet: started, base: `http://${started.httpAddress}/fleet/v1` };
  }

  async stopAll(): Promise<void> {
    for (const f of this.running.splice(0)) await f.stop();
  }
}

export interface Reply<T> {
  status: number;
  body: T;
}

/** A request to the fleet API: the body as JSON, or as text when it is not JSON. */
export async function call<T = Record<string, unknown>>(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const res = await fetch(url, {
    method,
    // A change needs a JSON Content-Type even without a body (the cross-site guard, src/http/guard.ts).
    headers: method === 'GET' ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text) as T };
}
