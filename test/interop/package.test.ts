/**
 * #18 item 1: the package as a user gets it. `npm pack` (the build already done), the tarball
 * installed into an empty project (its dependencies come from the npm registry), then from that
 * project: the fixture, `npx iothinx-sim start`, the exported profiles and MIBs, `--version`.
 *
 *   repo ──npm pack──► TMP/iothinx-sim-V.tgz ──npm install──► TMP/project/node_modules/iothinx-sim
 *                                                               │
 *        fixture.mjs (import 'iothinx-sim/testing') ◄───────────┤
 *        npx iothinx-sim start|map|--version ◄──────────────────┘
 *
 * Every process started here is in its own process group and is killed (the group) after the
 * tests and when this process exits; the temp dir goes too (kept with IOTHINX_KEEP_TEMP=1).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const run = promisify(execFile);

let root = '';
let project = '';
const groups = new Set<ChildProcess>();

function killGroups(): void {
  for (const child of groups) {
    try {
      // The group: npx's child (the emulator) and the emulator's own children die with it.
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  groups.clear();
}
process.once('exit', killGroups);

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the project, in a process group of its own; resolves when it exits. */
function spawnIn(command: string, args: string[], timeoutMs = 60_000): { child: ChildProcess; exited: Promise<Exit>; stderr: () => string } {
  const child = spawn(command, args, { cwd: project, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_yes: 'false' } });
  groups.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exit>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroups();
      reject(new Error(`${command} ${args.join(' ')} did not exit in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      groups.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exited, stderr: () => stderr };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'iothinx-package-'));
  project = join(root, 'project');
  // --ignore-scripts: `prepare` would build again; the tier runs after `npm run build`.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], { cwd: ROOT, maxBuffer: 64 << 20 });
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  const files = new Set(info.files.map((f) => f.path));
  for (const file of ['dist/cli/iothinx-sim.cjs', 'dist/cli/bundle.cjs', 'dist/cli/ctl.cjs', 'dist/testing/index.js', 'dist/testing/index.d.ts', 'dist/testing/modbus.js', 'dist/testing/modbus.d.ts', 'profiles/tank-station.yaml', 'profiles/field-devices/vfd.yaml', 'mibs/MOXA-IOTHINX4510-MIB.txt', 'mibs/SNMPv2-SMI.txt', 'web/index.html', 'LICENSE', 'CHANGELOG.md', 'README.md']) {
    expect(files, `the tarball has ${file}`).toContain(file);
  }
  expect([...files].filter((f) => /^(src|test|bench|examples|scripts|build)\//.test(f) || f.startsWith('mibs/') && f.endsWith('.mjs'))).toEqual([]);

  await mkdir(project);
  await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'uses-iothinx-sim', private: true, type: 'module' }, null, 2)}\n`);
  const started = performance.now();
  // --prefer-offline: the npm cache answers what it has (about half the time of a cold install).
  const install = spawnIn('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(root, info.filename)], INSTALL_TIMEOUT_MS);
  const installed = await install.exited;
  expect(installed.code, installed.stderr).toBe(0);
  process.stdout.write(`package.test: tarball ${info.filename}, ${files.size} files; npm install took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}, INSTALL_TIMEOUT_MS + 60_000);

afterAll(async () => {
  killGroups();
  if (root && !process.env.IOTHINX_KEEP_TEMP) await rm(root, { recursive: true, force: true });
});

describe('the packed tarball installed into an empty project (#18)', () => {
  it('the fixture: startDevice({ profile: "tank-station" }) from iothinx-sim/testing, its Modbus client (modbus-serial), and an unknown name', async () => {
    await writeFile(
      join(project, 'fixture.mjs'),
      `import { startDevice } from 'iothinx-sim/testing';
const device = await startDevice({ profile: 'tank-station', modbus: true });
let out;
try {
  const snapshot = await device.client.device();
  out = { name: snapshot.name, slots: snapshot.slots.length, levelLow: await device.client.read('1/1', 'diStatus'), pid: device.pid };
  // The Modbus helpers load modbus-serial on first use: a read (FC 2) and a write (FC 5) round trip.
  out.levelLowModbus = await device.readAttribute('1/1', 'diStatus');
  await device.writeAttribute('2/0', 'relayStatus', 1);
  out.pump = { api: await device.client.read('2/0', 'relayStatus'), modbus: await device.readAttribute('2/0', 'relayStatus') };
  const client = await device.modbusClient();
  out.clientOpen = client.isOpen;
  await device.stop();
  out.clientOpenAfterStop = client.isOpen;
} finally {
  await device.stop();
}
const unknown = await startDevice({ profile: 'tank-statoin' }).then(() => null, (error) => ({ code: error.code, message: error.message }));
console.log(JSON.stringify({ ...out, unknown }));
`,
    );
    const { exited } = spawnIn(process.execPath, ['fixture.mjs']);
    const result = await exited;
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout) as { name: string; slots: number; levelLow: number; pid: number; unknown: { code: string; message: string } };
    // LevelLow (DI 1 of slot 1) is wired at level 1 in profiles/tank-station.yaml; Pump1 is relay 0 of slot 2.
    expect(out).toMatchObject({ name: 'TankStation01', levelLow: 1, levelLowModbus: 1, pump: { api: 1, modbus: 1 }, clientOpen: true, clientOpenAfterStop: false });
    expect(out.slots).toBeGreaterThan(1);
    expect(out.unknown.code).toBe('CLIENT_START_FAILED');
    expect(out.unknown.message).toMatch(/^tank-statoin: \(profile name\): .*\(default, packaging-line, rtu-gateway, tank-station\)/);
    // The emulator child it started is gone.
    expect(() => process.kill(out.pid, 0)).toThrow();
  });

  it('npx iothinx-sim start --profile tank-station: ready file, GET /sim/v1/device, ctl get (its own bundle, #19), SIGTERM', async () => {
    const readyFile = join(root, 'ready.json');
    const started = spawnIn('npx', ['--no', '--', 'iothinx-sim', 'start', '--profile', 'tank-station', '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--snmp', '127.0.0.1:0', '--ready-file', readyFile]);
    let code: number | null | undefined;
    void started.exited.then(
      (e) => (code = e.code),
      () => (code = null),
    );
    const ready = await until('the ready file', async () => {
      if (code !== undefined) throw new Error(`npx iothinx-sim start exited ${code} before it was ready: ${started.stderr()}`);
      return existsSync(readyFile) ? (JSON.parse(await readFile(readyFile, 'utf8')) as { pid: number; http: string; modbus: string }) : undefined;
    }, 30_000);
    const response = await fetch(`http://${ready.http}/sim/v1/device`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { name: string }).name).toBe('TankStation01');
    // LevelLow (DI 1 of slot 1) is wired at level 1 in profiles/tank-station.yaml.
    const ctl = await spawnIn('npx', ['--no', '--', 'iothinx-sim', 'ctl', '--url', `http://${ready.http}`, 'get', '1/1', 'diStatus']).exited;
    expect(ctl, ctl.stderr).toMatchObject({ code: 0, stdout: '1\n' });
    // The emulator's own pid (from the ready file), not npx's: npm exec need not pass the signal on.
    process.kill(ready.pid, 'SIGTERM');
    const exit = await started.exited;
    expect(exit.code, exit.stderr).toBe(0);
    expect(() => process.kill(ready.pid, 0)).toThrow();
  });

  it('ships mibs/ and exports ./profiles/* and ./mibs/*', async () => {
    const installed = join(project, 'node_modules', 'iothinx-sim');
    expect(readdirSync(join(installed, 'mibs')).sort()).toEqual(['MOXA-IOTHINX4510-MIB.txt', 'README.md', 'SNMPv2-CONF.txt', 'SNMPv2-MIB.txt', 'SNMPv2-SMI.txt', 'SNMPv2-TC.txt']);
    const script = `const r = require('node:module').createRequire(process.cwd() + '/');
console.log(JSON.stringify([r.resolve('iothinx-sim/profiles/default.yaml'), r.resolve('iothinx-sim/mibs/MOXA-IOTHINX4510-MIB.txt'), r.resolve('iothinx-sim/package.json')]));`;
    const { exited } = spawnIn(process.execPath, ['-e', script]);
    const result = await exited;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([join(installed, 'profiles/default.yaml'), join(installed, 'mibs/MOXA-IOTHINX4510-MIB.txt'), join(installed, 'package.json')]);
  });

  it('npx iothinx-sim --version prints the package version; map --profile NAME, and an unknown name exits 2', async () => {
    const version = await spawnIn('npx', ['--no', '--', 'iothinx-sim', '--version']).exited;
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(new RegExp(`(^|\\s)${VERSION.replaceAll('.', '\\.')}$`));
    const map = await spawnIn('npx', ['--no', '--', 'iothinx-sim', 'map', '--profile', 'tank-station', '--format', 'json']).exited;
    expect(map.code, map.stderr).toBe(0);
    const unknown = await spawnIn('npx', ['--no', '--', 'iothinx-sim', 'map', '--profile', 'tank-statoin']).exited;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('tank-statoin: (profile name): no profile of that name ships with iothinx-sim (default, packaging-line, rtu-gateway, tank-station)');
  });
});
