/**
 * Node-RED with node-red-contrib-modbus, both from the npm registry, running the example flow
 * (examples/node-red/flow.json) against the emulator, as a 4510 user's flow would run (#18 item 3).
 *
 *   npm install (once; a cache dir keyed by the versions) ─┐
 *   startDevice (child, embedded broker, manual clock) ────┼─► flows.json: the example with the
 *                                                          │   device's Modbus and broker ports
 *   node node-red/red.js --userDir D --port 0 ◄────────────┘
 *     └─ "Server now running at http://127.0.0.1:PORT" ─► GET /iothinx/state (the flow's endpoint)
 *
 * The flow reads DI-03 (FC2) and AI-01 (FC4, float32) over Modbus/TCP, writes DO-00 (FC5) over
 * Modbus/TCP, follows every diStatus over MQTT and writes DO-02 over MQTT; its GET /iothinx/state
 * answers the last values it read and wrote, and POST /iothinx/do and /iothinx/mqtt-do make it
 * write. The versions are pinned: node-red-contrib-modbus 5.45.2 and later fetch their
 * modbus-serial fork from a registry other than npm's, and need Node 22 from 5.60; 5.23.3 takes
 * modbus-serial from npm. Node-RED 5 needs Node 22.9; 4.1.15 runs on Node 20. `--ignore-scripts`:
 * the only install scripts are serialport's (its prebuilt binaries load without them; the flow
 * uses none of it) and the contrib package's thank-you note, so nothing is compiled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevice, type StartedDevice } from '../../src/testing/index.js';
import { stopChild } from '../helpers/pty.js';
import { until } from '../helpers/until.js';

const NODE_RED = '4.1.15';
const CONTRIB_MODBUS = '5.23.3';
const FLOW = new URL('../../examples/node-red/flow.json', import.meta.url);
/** The default profile's device name, which the flow's topics carry. */
const DEVICE = 'ioThinx_4510';
const INSTALL_MS = 300_000;
const WAIT_MS = 15_000;

interface FlowNode {
  id: string;
  type: string;
  [key: string]: unknown;
}

interface FlowState {
  modbus: { di03: number | null; ai01: number | null; do00Written: boolean | null };
  mqtt: { values: Record<string, number>; do02Written: number | null };
}

let device: StartedDevice | undefined;
let nodeRed: ChildProcess | undefined;
let userDir: string | undefined;
let nodeRedUrl = '';
let nodeRedOutput = '';

/**
 * node_modules with Node-RED and the contrib package, installed once into a directory named by the
 * versions and reused after. It is installed beside and renamed into place when complete, so an
 * interrupted install is never taken for a finished one.
 */
async function installNodeRed(): Promise<string> {
  const root = join(tmpdir(), 'iothinx-sim-node-red');
  const dir = join(root, `node-red-${NODE_RED}_contrib-modbus-${CONTRIB_MODBUS}`);
  if (existsSync(join(dir, 'node_modules', 'node-red', 'red.js'))) return dir;
  await mkdir(root, { recursive: true });
  const staging = await mkdtemp(join(root, 'staging-'));
  try {
    const manifest = { name: 'iothinx-sim-node-red', private: true, dependencies: { 'node-red': NODE_RED, 'node-red-contrib-modbus': CONTRIB_MODBUS } };
    await writeFile(join(staging, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const started = Date.now();
    const npm = spawn('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--omit=dev', '--loglevel=error'], { cwd: staging, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    npm.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const [code] = (await once(npm, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`npm install node-red@${NODE_RED} node-red-contrib-modbus@${CONTRIB_MODBUS} failed (exit ${code}):\n${output}`);
    console.log(`node-red: installed node-red@${NODE_RED} and node-red-contrib-modbus@${CONTRIB_MODBUS} in ${((Date.now() - started) / 1000).toFixed(1)} s into ${dir}`);
    try {
      await rename(staging, dir);
    } catch (error) {
      // Another run finished the same install first; use its copy.
      if (!existsSync(join(dir, 'node_modules', 'node-red', 'red.js'))) throw error;
    }
    return dir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The example flow with the device's Modbus/TCP and broker addresses in place of the defaults. */
async function flowFor(started: StartedDevice): Promise<FlowNode[]> {
  const flow = JSON.parse(await readFile(FLOW, 'utf8')) as FlowNode[];
  const modbus = started.modbus;
  const broker = started.broker;
  if (!modbus || !broker) throw new Error('the device started without Modbus/TCP or its embedded broker');
  const clients = flow.filter((n) => n.type === 'modbus-client');
  const brokers = flow.filter((n) => n.type === 'mqtt-broker');
  // The example must point at the default profile's addresses (npm start's banner).
  expect(clients.map((n) => [n.tcpHost, n.tcpPort])).toEqual([['127.0.0.1', '5020']]);
  expect(brokers.map((n) => [n.broker, n.port])).toEqual([['127.0.0.1', '1883']]);
  for (const n of clients) Object.assign(n, { tcpHost: modbus.host, tcpPort: String(modbus.port) });
  for (const n of brokers) Object.assign(n, { broker: broker.host, port: String(broker.port) });
  return flow;
}

const SETTINGS = `module.exports = {
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: false,
  httpAdminRoot: false,
  disableEditor: true,
  lang: 'en-US',
  telemetry: { enabled: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  // info, for the "Server now running at" line that names the port (--port 0).
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`;

/** Starts Node-RED on a free port and resolves with its base URL. */
async function startNodeRed(installDir: string, dir: string): Promise<string> {
  const child = spawn(process.execPath, [join(installDir, 'node_modules', 'node-red', 'red.js'), '--userDir', dir, '--settings', join(dir, 'settings.js'), '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  nodeRed = child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not say where it listens in ${WAIT_MS} ms:\n${nodeRedOutput}`)), WAIT_MS);
    const onData = (chunk: Buffer) => {
      nodeRedOutput += chunk.toString();
      const match = /Server now running at (http:\/\/127\.0\.0\.1:\d+)/.exec(nodeRedOutput);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Node-RED exited (${code ?? signal}) before it listened:\n${nodeRedOutput}`));
    });
  });
}

async function stopNodeRed(): Promise<void> {
  const child = nodeRed;
  nodeRed = undefined;
  if (child) await stopChild(child);
}

async function state(): Promise<FlowState | undefined> {
  const response = await fetch(`${nodeRedUrl}/iothinx/state`).catch(() => undefined);
  if (!response?.ok) return undefined;
  return (await response.json()) as FlowState;
}

/** Polls the flow's state until `pick` gives a value; fails naming what it waited for and the last state. */
async function untilState<T>(what: string, pick: (s: FlowState) => T | undefined): Promise<T> {
  let last: FlowState | undefined;
  try {
    return await until(what, async () => {
      last = await state();
      return last ? pick(last) : undefined;
    }, WAIT_MS);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the flow's last state: ${JSON.stringify(last)}`, { cause: error });
  }
}

async function post(path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${nodeRedUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return response.json();
}

beforeAll(async () => {
  const installDir = await installNodeRed();
  device = await startDevice({ mqtt: 'embedded', clock: 'manual' });
  userDir = await mkdtemp(join(tmpdir(), 'iothinx-node-red-'));
  await symlink(join(installDir, 'node_modules'), join(userDir, 'node_modules'), 'dir');
  await writeFile(join(userDir, 'flows.json'), JSON.stringify(await flowFor(device), null, 2));
  await writeFile(join(userDir, 'settings.js'), SETTINGS);
  const started = Date.now();
  nodeRedUrl = await startNodeRed(installDir, userDir);
  // The flow is up once its endpoint answers and both protocols have brought a value in.
  await untilState('the flow to read over Modbus/TCP and MQTT', (s) => (s.modbus.di03 !== null && s.modbus.ai01 !== null && Object.keys(s.mqtt.values).length > 0 ? s : undefined));
  console.log(`node-red: started and reading in ${Date.now() - started} ms`);
}, INSTALL_MS + 60_000);

afterAll(async () => {
  try {
    await stopNodeRed();
  } finally {
    await device?.stop();
    if (userDir && !process.env.IOTHINX_KEEP_TEMP) await rm(userDir, { recursive: true, force: true });
  }
});

describe(`Node-RED ${NODE_RED} with node-red-contrib-modbus ${CONTRIB_MODBUS} running examples/node-red/flow.json`, () => {
  it('reads the DI level the test set over Modbus/TCP (modbus-read, FC2)', async () => {
    const client = device!.client;
    await client.setField('1/3', { level: 1 });
    expect(await client.read('1/3', 'diStatus')).toBe(1);
    await untilState('DI-03 = 1 over Modbus', (s) => (s.modbus.di03 === 1 ? true : undefined));
    await client.setField('1/3', { level: 0 });
    await untilState('DI-03 = 0 over Modbus', (s) => (s.modbus.di03 === 0 ? true : undefined));
  });

  it('reads the AI value the device reports over Modbus/TCP (modbus-getter, FC4, float32)', async () => {
    const client = device!.client;
    await client.setField('4/1', { physical: 13.37 });
    const reported = Number(await client.read('4/1', 'aiValueScaled'));
    expect(reported).toBeCloseTo(13.37, 5);
    // A float32 on the wire: equal to the device's value to float32 precision.
    const read = await untilState(`AI-01 = ${reported} over Modbus`, (s) => (s.modbus.ai01 !== null && Math.abs(s.modbus.ai01 - reported) < 1e-5 ? s.modbus.ai01 : undefined));
    expect(read).toBe(Math.fround(reported));
  });

  it('switches DO-00 over Modbus/TCP (modbus-write, FC5)', async () => {
    const client = device!.client;
    expect(await client.read('2/0', 'doStatus')).toBe(0);
    expect(await post('/iothinx/do', { value: 1 })).toEqual({ accepted: true, value: 1 });
    await client.waitFor('2/0', 'doStatus', 1, { timeoutMs: WAIT_MS });
    const writes = await client.journal({ kind: 'write', source: 'modbus', ioName: '2/0', attribute: 'doStatus' });
    expect(writes.length).toBeGreaterThanOrEqual(1);
    await untilState('the flow to see its Modbus write answered', (s) => (s.modbus.do00Written === true ? true : undefined));
  });

  it('receives the DI value the device publishes over MQTT (mqtt in)', async () => {
    const client = device!.client;
    const { ioName } = await client.channel(1, 4);
    const topic = `${DEVICE}/read/${ioName}/diStatus`;
    await client.setField('1/4', { level: 1 });
    const value = await untilState(`${topic} = 1 over MQTT`, (s) => (s.mqtt.values[topic] === 1 ? 1 : undefined));
    expect(value).toBe(await client.read('1/4', 'diStatus'));
    // DO-00, switched over Modbus above, is wired to DI-15 in the default profile.
    const { ioName: di15 } = await client.channel(1, 15);
    await untilState(`${DEVICE}/read/${di15}/diStatus = 1 over MQTT`, (s) => (s.mqtt.values[`${DEVICE}/read/${di15}/diStatus`] === 1 ? true : undefined));
  });

  it('switches DO-02 over MQTT (mqtt out)', async () => {
    const client = device!.client;
    expect(await client.read('2/2', 'doStatus')).toBe(0);
    expect(await post('/iothinx/mqtt-do', { value: 1 })).toEqual({ published: true, value: 1 });
    await client.waitFor('2/2', 'doStatus', 1, { timeoutMs: WAIT_MS });
    const writes = await client.journal({ kind: 'write', source: 'mqtt', ioName: '2/2', attribute: 'doStatus' });
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(await post('/iothinx/mqtt-do', { value: 0 })).toEqual({ published: true, value: 0 });
    await client.waitFor('2/2', 'doStatus', 0, { timeoutMs: WAIT_MS });
  });
});
