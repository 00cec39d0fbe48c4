/**
 * `iothinx-sim fleet`: many devices from one profile in one process (src/fleet/fleet.ts,
 * docs/fleet.md). The profile's `fleet:` section sets count, first index, identity templates,
 * addressing and journal size; flags override the common ones. The ready file lists every device
 * with its identity and addresses, and `http`, where the fleet API listens (null with --http off),
 * and `gateway`, where the Modbus gateway listens (null when off; each device's `unitId` selects it there).
 */
import { rm } from 'node:fs/promises';
import { Fleet, StartAborted } from '../fleet/fleet.js';
import { createLogger } from '../app/logger.js';
import { writeFileAtomic } from '../config/atomic-write.js';
import { fleetGatewaySchema, fleetSchema, type Fleet as FleetSection } from '../config/fleet.js';
import { loadProfile } from '../config/load.js';
import { resolveProfile } from '../config/profile-name.js';
import { SimError } from '../errors.js';
import { listenFailure, refused, type BindFailure, type Listener } from './listen-error.js';
import { type ListenAddress, parseAddress, parseClock, parseFlags, parseInteger, parseMqtt, SEED_RANGE, usageError } from './args.js';
import { inFile } from '../app/check.js';
import { firstIndexFrom } from './fleet-first.js';
import { DEFAULT_FLEET_HEAP_GROWING_PERCENT, heapGrowingPercent, limitHeapGrowth } from './heap.js';
import { readScenario, submitScenario } from './scenario-command.js';
import { onShutdownSignal } from './shutdown.js';
import { allowedHostsFromEnv, FLEET_ENV, parseWithEnv } from './env.js';

/** Where the fleet API listens unless --http says otherwise. */
const DEFAULT_FLEET_HTTP = '127.0.0.1:8080';

function usage(message: string): SimError {
  return usageError('fleet', message);
}

function integer(flag: string, text: string, min: number, max: number): number {
  return parseInteger(flag, text, min, max, usage);
}

function parseFleetFlags(argv: string[]) {
  return parseFlags(
    argv,
    {
      profile: { type: 'string' },
      count: { type: 'string' },
      first: { type: 'string' },
      seed: { type: 'string', default: '1' },
      addressing: { type: 'string' },
      http: { type: 'string' },
      'device-http': { type: 'boolean', default: false },
      host: { type: 'string' },
      gateway: { type: 'string' },
      mqtt: { type: 'string', default: 'profile' },
      broker: { type: 'string', default: '127.0.0.1:1883' },
      clock: { type: 'string', default: 'real' },
      scenario: { type: 'string' },
      'ready-file': { type: 'string' },
      'log-level': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    usage,
  );
}

export async function runFleet(argv: string[]): Promise<void> {
  // The environment's flags (IOTHINX_SIM_*, src/cli/env.ts) come first: the command line wins.
  const values = parseWithEnv(argv, FLEET_ENV, (all) => parseFleetFlags(all));
  // Before anything starts (the profile read included): a container's PID 1 drops a signal it has no handler for.
  const logger = createLogger(values['log-level']);
  const signals = onShutdownSignal(logger);
  const clock = parseClock(values.clock, usage);
  const mqtt = parseMqtt(values.mqtt, usage);
  const seed = integer('--seed', values.seed, ...SEED_RANGE);
  // 2x while the devices start, 1.3x once they run (src/cli/heap.ts); the variable sets both.
  const steadyHeapGrowth = heapGrowingPercent();
  limitHeapGrowth(heapGrowingPercent(process.env, DEFAULT_FLEET_HEAP_GROWING_PERCENT));

  const file = resolveProfile(values.profile);
  const profile = await loadProfile(file);
  // IOTHINX_SIM_ALLOWED_HOSTS (a compose service name, say): names the fleet API and every device are served under.
  const servedHosts = allowedHostsFromEnv();
  const section: FleetSection = profile.fleet ?? fleetSchema.parse({});
  // Without the fleet API a device must have its own listener to be reached over HTTP.
  const deviceHttp = values['device-http'] || values.http === 'off';
  const count = values.count !== undefined ? integer('--count', values.count, 1, 10_000) : section.count;
  const first = firstIndexFrom({ flag: values.first, env: process.env, count, fail: usage });
  const fleet: FleetSection = {
    ...section,
    count,
    ...(first !== undefined ? { first } : {}),
    addressing: hostFlag(values.host, values.addressing !== undefined ? addressingFlag(values.addressing, deviceHttp) : section.addressing),
    gateway: gatewayFlag(values.gateway, section.gateway, values.addressing === 'ports:0'),
  };
  // -- scenario: read before anything starts, so a bad file is exit 2 with nothing left running.
  const scenario = values.scenario === undefined ? undefined : await readScenario(values.scenario);
  const readyFile = values['ready-file'];
  if (readyFile) await rm(readyFile, { force: true });
  // ports:0 means every port the fleet opens is the OS's pick, the fleet API's included.
  const http = parseAddress('http', values.http ?? (values.addressing === 'ports:0' ? '127.0.0.1:0' : DEFAULT_FLEET_HTTP), usage);
  const broker = parseAddress('broker', values.broker, usage);
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const started = await Fleet.start({ profile, fleet, profileFile: file, mqtt, broker, clock, seed, logger, http, abort: signals.abort, servedHosts, release: released }).catch(
    (error: unknown) => {
      // SIGTERM while the devices started: those that had started are stopped; a clean exit.
      if (error instanceof StartAborted) process.exit(0);
      // A port in use names its listener and the flag that moves it (exit 1).
      throw listenFailure(error, fleetListeners(http, fleet.gateway, broker, mqtt), deviceClash) ?? inFile(file, error);
    },
  );
  if (!signals.ready(() => started.stop())) return;
  // -- scenario: checked against the running devices and queued before the ready file is out, so
  // a client that waits for the file finds run s1 at /fleet/v1/scenarios/s1. The fleet keeps running.
  if (scenario) {
    const print = (line: string) => (values.quiet ? undefined : process.stderr.write(`${line}\n`));
    try {
      void submitScenario(started.scenarios, scenario, print).catch((error: unknown) => logger.error({ err: error }, 'fleet scenario run failed'));
    } catch (error) {
      await started.stop();
      throw error;
    }
  }
  const devices = started.list().map((m) => ({ index: m.index, name: m.name, serialNumber: m.serialNumber, mac: m.mac, ip: m.ip, ...m.addresses, unitId: m.unitId }));
  const gateway = started.gateway();
  const gatewayAddress = gateway.enabled ? gateway.address : null;
  if (readyFile) await writeFileAtomic(readyFile, `${JSON.stringify({ pid: process.pid, http: started.httpAddress, broker: started.broker?.address ?? null, gateway: gatewayAddress, devices })}\n`);
  if (!values.quiet) {
    const first = devices[0]!;
    const last = devices.at(-1)!;
    process.stderr.write(
      `iothinx-sim fleet: ${devices.length} devices, ${first.name} (Modbus ${first.modbus ?? 'off'}, HTTP ${first.http ?? 'off'}) .. ${last.name} (Modbus ${last.modbus ?? 'off'}, HTTP ${last.http ?? 'off'})` +
        `${started.httpAddress ? `\n  fleet API    http://${started.httpAddress}/fleet/v1/devices` : ''}` +
        `${gatewayAddress ? `\n  Modbus gateway ${gatewayAddress} (unit id u = device ${fleet.first} + u - 1)` : ''}` +
        `${started.broker ? `\n  MQTT broker  mqtt://${started.broker.address}` : ''}\n`,
    );
  }
  // Signals and the first publications begin now that a client waiting for the file can connect.
  release();
  // Back to the steady heap growth once those are out, the start's last burst (~160 messages a
  // device: 9.6 s at 1.3x, 6.3 s at 2x for 1,000 devices, bench/fleet.mjs), or after a minute.
  const atTheLatest = setTimeout(() => limitHeapGrowth(steadyHeapGrowth), FIRST_PUBLICATIONS_MAX_MS).unref();
  void started.whenFirstPublicationsOut().then(() => {
    clearTimeout(atTheLatest);
    limitHeapGrowth(steadyHeapGrowth);
  });
}

/** The longest a fleet keeps its start's heap growth after ready (its broker may be away). */
const FIRST_PUBLICATIONS_MAX_MS = 60_000;

/** The fleet's own listeners, for a bind failure's message (src/cli/listen-error.ts). */
function fleetListeners(http: ListenAddress | null, gateway: FleetSection['gateway'], broker: ListenAddress | null, mqtt: string): Listener[] {
  return [
    { service: 'fleet API (HTTP)', flag: '--http', address: http },
    { service: 'Modbus gateway', flag: '--gateway', address: gateway ? { host: gateway.host, port: gateway.port } : null },
    { service: 'MQTT broker (embedded)', flag: '--broker', address: mqtt === 'off' ? null : broker },
  ];
}

/** Any other port is a device's (fleet.addressing: Modbus 10000+k, SNMP 30000+k, HTTP 20000+k). */
function deviceClash(failure: BindFailure): string {
  return `a fleet device's ${failure.udp ? 'SNMP' : 'Modbus/TCP or HTTP'} listener: ${refused(failure)}; choose other ports with --addressing ports:0 (the OS picks) or the profile's fleet.addressing.base`;
}

/** --host: where every device listens in `ports` addressing (0.0.0.0 in a container); loopback mode gives each device its own address. */
function hostFlag(host: string | undefined, addressing: FleetSection['addressing']): FleetSection['addressing'] {
  if (host === undefined) return addressing;
  if (addressing.mode !== 'ports') throw usage('--host: only with ports addressing (loopback gives each device an address of its own)');
  if (host === '') throw usage('--host: expected a host name or address');
  return { ...addressing, host };
}

/**
 * --gateway HOST:PORT turns the gateway on there (the section's other settings kept), `off` turns
 * it off; absent: the section's, on a port the OS picks under `--addressing ports:0`.
 */
function gatewayFlag(text: string | undefined, section: FleetSection['gateway'], anyPort: boolean): FleetSection['gateway'] {
  if (text === undefined) return section && anyPort ? { ...section, port: 0 } : section;
  const listen = parseAddress('gateway', text, usage);
  return listen === null ? null : { ...(section ?? fleetGatewaySchema.parse({})), ...listen };
}

/**
 * `ports:0`: every port the OS's pick. A device's own HTTP listener only with --device-http or
 * without the fleet API: an express app per device is two thirds of a device's start (measured:
 * 10.9 ms a device with it, 3.5 without), and the fleet API serves each device's app lazily.
 */
function addressingFlag(text: string, deviceHttp: boolean): FleetSection['addressing'] {
  if (text === 'ports') return fleetSchema.shape.addressing.parse({ mode: 'ports', ...(deviceHttp ? { base: { http: 20_000 } } : {}) });
  if (text === 'ports:0') return fleetSchema.shape.addressing.parse({ mode: 'ports', base: { modbus: 0, snmp: 0, ...(deviceHttp ? { http: 0 } : {}) } });
  if (text === 'loopback') return fleetSchema.shape.addressing.parse({ mode: 'loopback' });
  throw usage(`--addressing: expected ports, ports:0 or loopback, got "${text}"`);
}
