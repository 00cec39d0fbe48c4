/**
 * startFleet(): many virtual 4510s for a test, in one `iothinx-sim fleet` child process (as CI
 * runs it) or in this process, each with its own identity, addresses and a SimClient on its
 * emulator API. Every port is 0 (the OS picks); the temp dir goes on stop.
 *
 *   const fleet = await startFleet({ count: 20, mqtt: 'embedded' });
 *   await fleet.devices[16].client.setField('1/0', { level: 1 });
 *   await fleet.stop();
 */
import { asyncDispose, hostPort, once, runDir, spawnUntilReady, type HostPort } from './child.js';
import { SimClient } from './client.js';
import { DeviceModbus, modbusFixture, type ModbusFixture } from './modbus.js';

export interface StartFleetOptions {
  /** A shipped profile's name ('tank-station'), a profile file or a document (its `fleet:` section gives identity templates); default profiles/default.yaml. */
  profile?: string | object;
  /** Devices (default 10). */
  count?: number;
  /** The first device index (default 1, or the profile's fleet.first). */
  first?: number;
  /** Per-device seeds derive from it (default 1), so a fleet replays identically. */
  seed?: number;
  /** 'off' (default), 'embedded' (one broker for the fleet, on a free port), 'profile' or a broker URL. */
  mqtt?: 'off' | 'embedded' | 'profile' | (string & {});
  clock?: 'real' | 'manual';
  /**
   * The Modbus gateway (one port, unit id u selects device first + u - 1) on a port the OS picks:
   * true turns it on, false off; absent: as the profile's fleet.gateway says (off by default).
   */
  gateway?: boolean;
  /**
   * A scenario file whose steps name fleet devices (docs/fleet.md "Scenarios"), queued as run s1
   * of `${api}/scenarios` before the fleet is handed over, as `fleet --scenario` does; a
   * problem in it (an unknown device name) rejects the start.
   */
  scenario?: string;
  /** 'child' (default): the built CLI in its own process; 'in-process': the same fleet in this one. */
  mode?: 'child' | 'in-process';
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** One device of a fleet; its Modbus helpers (ModbusFixture) use its own Modbus/TCP port, not the gateway. */
export interface FleetDevice extends ModbusFixture {
  index: number;
  name: string;
  serialNumber: string;
  mac: string;
  ip: string;
  /** This device's UI, /sim/v1 and /api: `http://127.0.0.1:PORT/fleet/v1/devices/NAME` through the fleet API (child mode), its own `http://127.0.0.1:PORT` in-process. */
  http: string;
  modbus: HostPort | null;
  snmp: HostPort | null;
  /** The unit id that selects it on the fleet's Modbus gateway, or null (gateway off). */
  unitId: number | null;
  /** The broker URL its MQTT client uses, or null when MQTT is off. */
  mqtt: string | null;
  client: SimClient;
}

export interface StartedFleet {
  devices: FleetDevice[];
  /** `http://127.0.0.1:PORT/fleet/v1`: the fleet API (child mode), or null in-process. */
  api: string | null;
  /** The fleet's embedded broker, or null. */
  broker: HostPort | null;
  /** The fleet's Modbus gateway (each device answers its `unitId` there), or null when off. */
  gateway: HostPort | null;
  /** The device with this name or index; throws if there is none. */
  device(nameOrIndex: string | number): FleetDevice;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What `iothinx-sim fleet --ready-file` writes. */
interface FleetReady {
  http?: string | null;
  broker: string | null;
  gateway: string | null;
  devices: { index: number; name: string; serialNumber: string; mac: string; ip: string; http: string | null; modbus: string | null; snmp: string | null; mqtt: string | null; unitId: number | null }[];
}

function fleetArgs(options: StartFleetOptions, profile: string): string[] {
  return [
    'fleet',
    '--profile', profile,
    '--count', String(options.count ?? 10),
    ...(options.first !== undefined ? ['--first', String(options.first)] : []),
    '--seed', String(options.seed ?? 1),
    '--addressing', 'ports:0',
    '--mqtt', options.mqtt ?? 'off',
    '--broker', '127.0.0.1:0',
    '--clock', options.clock ?? 'real',
    ...(options.gateway === undefined ? [] : ['--gateway', options.gateway ? '127.0.0.1:0' : 'off']),
    ...(options.scenario === undefined ? [] : ['--scenario', options.scenario]),
  ];
}

export async function startFleet(options: StartFleetOptions = {}): Promise<StartedFleet> {
  const { dir, profile, remove: removeDir } = await runDir('iothinx-fleet-', options.profile);
  try {
    const started = options.mode === 'in-process' ? await startInProcess(options, profile) : await spawnUntilReady<FleetReady>(fleetArgs(options, profile), dir, options);
    const modbus: DeviceModbus[] = [];
    const stop = once(async () => {
      try {
        await Promise.all(modbus.map((m) => m.close()));
        await started.stop();
      } finally {
        await removeDir();
      }
    });
    const api = started.ready.http ? `http://${started.ready.http}/fleet/v1` : null;
    // Through the fleet API when there is one (devices have no HTTP listener of their own then).
    const httpOf = (d: FleetReady['devices'][number]) => (api ? `${api}/devices/${encodeURIComponent(d.name)}` : `http://${d.http}`);
    const devices = started.ready.devices.map((d) => {
      const client = new SimClient(httpOf(d));
      const m = new DeviceModbus(client, hostPort(d.modbus), `fleet device ${d.name}`);
      modbus.push(m);
      return {
        index: d.index,
        name: d.name,
        serialNumber: d.serialNumber,
        mac: d.mac,
        ip: d.ip,
        http: httpOf(d),
        modbus: hostPort(d.modbus),
        snmp: hostPort(d.snmp),
        unitId: d.unitId,
        mqtt: d.mqtt,
        client,
        ...modbusFixture(m),
      };
    });
    const device = (key: string | number) => {
      const found = devices.find((d) => (typeof key === 'number' ? d.index === key : d.name === key));
      if (!found) throw new Error(`no fleet device ${key}; the fleet has ${devices[0]?.name ?? 'none'} .. ${devices.at(-1)?.name ?? ''}`);
      return found;
    };
    return { devices, api, device, broker: hostPort(started.ready.broker), gateway: hostPort(started.ready.gateway), stop, [asyncDispose]: stop };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

async function startInProcess(options: StartFleetOptions, profileFile: string): Promise<{ ready: FleetReady; stop(): Promise<void> }> {
  // Loaded only here: child mode needs none of the emulator in the test process.
  const [{ Fleet }, { loadProfile }, { fleetGatewaySchema, fleetSchema }, { createLogger }, { loadScenario }] = await Promise.all([
    import('../fleet/fleet.js'),
    import('../config/load.js'),
    import('../config/fleet.js'),
    import('../app/logger.js'),
    import('../sim/scenario-load.js'),
  ]);
  // Read before anything starts, as the CLI does.
  const scenario = options.scenario === undefined ? undefined : await loadScenario(options.scenario);
  if (scenario && !scenario.ok) throw new Error(scenario.problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n'));
  const profile = await loadProfile(profileFile);
  const section = profile.fleet ?? fleetSchema.parse({});
  // As the CLI's --gateway and ports:0 do: on a port the OS picks.
  const gatewayOn = options.gateway ?? section.gateway !== null;
  const gateway = gatewayOn ? { ...(section.gateway ?? fleetGatewaySchema.parse({})), host: '127.0.0.1', port: 0 } : null;
  const fleet = await Fleet.start({
    profile,
    fleet: { ...section, gateway, count: options.count ?? 10, first: options.first ?? section.first, addressing: fleetSchema.shape.addressing.parse({ mode: 'ports', base: { http: 0, modbus: 0, snmp: 0 } }) },
    profileFile,
    mqtt: options.mqtt ?? 'off',
    broker: { host: '127.0.0.1', port: 0 },
    clock: options.clock ?? 'real',
    seed: options.seed ?? 1,
    logger: createLogger(undefined),
  });
  if (scenario?.ok) {
    const problems = fleet.scenarios.check(options.scenario ?? 'scenario', scenario.scenario);
    if (problems.length > 0) {
      await fleet.stop();
      throw new Error(problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n'));
    }
    fleet.scenarios.submit(scenario.scenario, scenario.inputs);
  }
  const devices = fleet.list().map((m) => ({ index: m.index, name: m.name, serialNumber: m.serialNumber, mac: m.mac, ip: m.ip, http: m.addresses.http, modbus: m.addresses.modbus, snmp: m.addresses.snmp, mqtt: m.addresses.mqtt, unitId: m.unitId }));
  const status = fleet.gateway();
  return { ready: { broker: fleet.broker?.address ?? null, gateway: status.enabled ? status.address : null, devices }, stop: () => fleet.stop() };
}
