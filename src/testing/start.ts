/**
 * startDevice(): one emulator on free ports for a test, in a child process (the built CLI, as
 * CI runs it) or in this process (faster, same code), with a SimClient on its API. Works with
 * any test framework: it only returns a handle to stop.
 *
 *   child:      spawn node dist/cli/iothinx-sim.cjs start --ready-file F ─► F appears ─► handle
 *                        └─ exits first ─► reject with its stderr
 *   in-process: Runner.start (dist/app/runner.js) ─► handle
 *
 * Every port is 0 (the OS picks); the temp dir (ready file, inline profile) goes on stop.
 */
import { mkdir } from 'node:fs/promises';
import { asyncDispose, hostPort, once, runDir, spawnUntilReady, type HostPort } from './child.js';

export type { HostPort };
import { MQTT_URL } from '../config/mqtt-url.js';
import { SimClient } from './client.js';
import { SimClientError } from './errors.js';
import { DeviceModbus, modbusFixture, type ModbusFixture } from './modbus.js';

export interface StartDeviceOptions {
  /** A shipped profile's name ('tank-station'), a profile file, or a profile document (written to a temp file). Default: profiles/default.yaml. */
  profile?: string | object;
  /** 'child' (default): the built CLI in its own process; 'in-process': the same emulator in this one. */
  mode?: 'child' | 'in-process';
  /** Default 'real'; 'manual' lets the test move time with client.advance(ms). */
  clock?: 'real' | 'manual';
  seed?: number;
  /** 'off' (default), 'embedded' (a broker on a free port), 'profile' (as the profile says) or a broker URL. */
  mqtt?: 'off' | 'embedded' | 'profile' | (string & {});
  /** Modbus/TCP on a free port (default true). */
  modbus?: boolean;
  /** HTTPS on a free port, when the profile enables it (default false). */
  https?: boolean;
  /** Keeps the running config here across restarts (--data-dir). */
  dataDir?: string;
  /** Extra environment of the child (child mode). */
  env?: Record<string, string | undefined>;
  /** The emulator's log level (stderr); default quiet (warn). */
  logLevel?: string;
  /** How long to wait for the device to listen; default 20 000 ms. */
  timeoutMs?: number;
}

/** The handle: addresses, the emulator API client and the Modbus helpers (ModbusFixture, src/testing/modbus.ts). */
export interface StartedDevice extends ModbusFixture {
  /** `http://127.0.0.1:PORT`: the web UI, /sim/v1 and /api. */
  http: string;
  /** `https://127.0.0.1:PORT`, or null unless `https` was asked for and the profile enables it. */
  https: string | null;
  modbus: HostPort | null;
  /** The broker URL the device's MQTT client uses, or null when MQTT is off. */
  mqtt: string | null;
  /** The embedded broker, or null. */
  broker: HostPort | null;
  /** The child's pid, or this process's in in-process mode. */
  pid: number;
  client: SimClient;
  /** Closes the Modbus clients it handed out, then stops the device (SIGTERM to the child, or the in-process emulator); safe to call twice. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Ready {
  pid: number;
  http: string | null;
  https: string | null;
  modbus: string | null;
  mqtt: string | null;
  broker: string | null;
}

export async function startDevice(options: StartDeviceOptions = {}): Promise<StartedDevice> {
  const { dir, profile, remove: removeDir } = await runDir('iothinx-device-', options.profile);
  try {
    const started = options.mode === 'in-process' ? await startInProcess(options, profile) : await spawnUntilReady<Ready>(['start', ...startArgs(options, profile)], dir, options);
    const r = started.ready;
    if (!r.http) {
      await started.stop();
      throw new SimClientError('the device started without HTTP', { status: null, code: 'CLIENT_START_FAILED', path: null, request: null });
    }
    const client = new SimClient(`http://${r.http}`);
    const modbus = new DeviceModbus(client, hostPort(r.modbus), 'the device');
    const stop = once(async () => {
      try {
        await modbus.close();
        await started.stop();
      } finally {
        await removeDir();
      }
    });
    return {
      http: `http://${r.http}`,
      https: r.https ? `https://${r.https}` : null,
      modbus: hostPort(r.modbus),
      mqtt: r.mqtt,
      broker: hostPort(r.broker),
      pid: r.pid,
      client,
      ...modbusFixture(modbus),
      stop,
      [asyncDispose]: stop,
    };
  } catch (error) {
    await removeDir();
    throw error;
  }
}

interface Running {
  ready: Ready;
  stop(): Promise<void>;
}

const FREE = { host: '127.0.0.1', port: 0 };

/** The one source of both modes' settings: every service on a free port, the options' choices. */
function settings(options: StartDeviceOptions) {
  const mqtt = options.mqtt ?? 'off';
  if (mqtt !== 'off' && mqtt !== 'profile' && !MQTT_URL.test(mqtt)) {
    throw new SimClientError(`mqtt: expected 'off', 'embedded', 'profile' or a mqtt(s)/ws(s) URL, got "${mqtt}"`, { status: null, code: 'CLIENT_START_FAILED', path: null, request: null });
  }
  return {
    http: FREE,
    https: options.https ? FREE : null,
    modbus: options.modbus === false ? null : FREE,
    mqtt,
    broker: FREE,
    snmp: FREE,
    clock: options.clock ?? 'real',
    seed: options.seed ?? 1,
  } as const;
}

/** The same settings as `start` flags (child mode). */
function startArgs(options: StartDeviceOptions, profile: string): string[] {
  const s = settings(options);
  const address = (a: { host: string; port: number } | null) => (a ? `${a.host}:${a.port}` : 'off');
  return [
    '--profile', profile,
    '--http', address(s.http),
    '--https', address(s.https),
    '--modbus', address(s.modbus),
    '--mqtt', s.mqtt,
    '--broker', address(s.broker),
    '--snmp', address(s.snmp),
    '--clock', s.clock,
    '--seed', String(s.seed),
    ...(options.dataDir ? ['--data-dir', options.dataDir] : []),
    ...(options.logLevel ? ['--log-level', options.logLevel] : []),
  ];
}

async function startInProcess(options: StartDeviceOptions, profileFile: string): Promise<Running> {
  // Loaded only here: child mode needs none of the emulator in the test process.
  const [{ Runner }, { loadProfile }, { ConfigStore }, { createLogger }] = await Promise.all([
    import('../app/runner.js'),
    import('../config/load.js'),
    import('../config/store.js'),
    import('../app/logger.js'),
  ]);
  // The same addresses and settings as child mode's flags (startArgs).
  const logger = createLogger(options.logLevel);
  const profile = await loadProfile(profileFile);
  let store: InstanceType<typeof ConfigStore> | undefined;
  let running = profile;
  if (options.dataDir) {
    await mkdir(options.dataDir, { recursive: true });
    store = new ConfigStore(options.dataDir);
    running = (await store.load()) ?? profile;
  }
  const runner = await Runner.start({
    profileFile,
    profile: running,
    store,
    logger,
    dataDir: options.dataDir,
    ...settings(options),
  });
  return { ready: { pid: process.pid, ...runner.addresses }, stop: () => runner.stop() };
}
