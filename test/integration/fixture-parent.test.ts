/**
 * #18 item 5: a test process killed with SIGKILL leaves no emulator behind and no temp folder.
 * A small script plays the test process: it starts a device and a fleet through the built
 * fixture (dist/testing), prints their pids, and is killed with SIGKILL; each child notices the
 * end of its parent pipe (IOTHINX_SIM_PARENT_FD), stops and removes its run dir
 * (IOTHINX_SIM_REMOVE_ON_EXIT). The script's TMPDIR is a folder of this test, so "no temp folder
 * left" is "that folder is empty".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, cleanupProcesses } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const TESTING = new URL('../../dist/testing/index.js', import.meta.url).href;
/**
 * Running, not a zombie: an emulator whose parent was killed is re-parented to PID 1, and where
 * PID 1 does not reap (a container's npm without --init) it stays a zombie after it exited.
 */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) S ...": the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

const leftover: number[] = [];
const scripts: ChildProcess[] = [];
afterEach(async () => {
  // A failed assertion must not leave the test process or the emulators running either.
  for (const script of scripts.splice(0)) if (script.exitCode === null && script.signalCode === null) script.kill('SIGKILL');
  for (const pid of leftover.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await cleanupProcesses();
});

describe('the fixture when its test process is killed', () => {
  it('SIGKILL of the test process: the device and the fleet exit and their temp dirs go', { timeout: 60_000 }, async () => {
    const dir = await tempDir();
    const tmp = join(dir, 'tmp');
    await mkdir(tmp);
    const script = join(dir, 'test-process.mjs');
    await writeFile(
      script,
      [
        `import { startDevice, startFleet } from ${JSON.stringify(TESTING)};`,
        `const device = await startDevice({ profile: { slots: [{ slot: 1, module: '45MR-1600' }] } });`,
        `const fleet = await startFleet({ count: 2 });`,
        // The fleet's pid: its ready file, read before this process dies.
        `const { readdirSync, readFileSync } = await import('node:fs');`,
        `const fleetDir = readdirSync(process.env.TMPDIR).find((d) => d.startsWith('iothinx-fleet-'));`,
        `const fleetPid = JSON.parse(readFileSync(process.env.TMPDIR + '/' + fleetDir + '/ready.json', 'utf8')).pid;`,
        `console.log(JSON.stringify({ device: device.pid, fleet: fleetPid, fleetApi: fleet.api }));`,
        `setInterval(() => {}, 1000);`,
      ].join('\n'),
    );
    const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } });
    scripts.push(parent);
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout! }).once('line', resolve);
      parent.once('exit', (code) => reject(new Error(`the test process exited (${code}) before it started its emulators`)));
    });
    const pids = JSON.parse(line) as { device: number; fleet: number; fleetApi: string };
    leftover.push(pids.device, pids.fleet);
    expect(alive(pids.device) && alive(pids.fleet)).toBe(true);
    expect((await readdir(tmp)).length).toBe(2);
    // The fleet answers before the kill: the pids are its.
    expect((await fetch(`${pids.fleetApi}/devices`)).status).toBe(200);

    parent.kill('SIGKILL');
    await until('the emulators to exit', () => (!alive(pids.device) && !alive(pids.fleet) ? true : undefined), 10_000);
    await until('their temp dirs to go', async () => ((await readdir(tmp)).length === 0 ? true : undefined), 5_000);
  });

  it('a test process that exits without stop(): the device is killed and its temp dir removed', { timeout: 30_000 }, async () => {
    const dir = await tempDir();
    const tmp = join(dir, 'tmp');
    await mkdir(tmp);
    const script = join(dir, 'forgetful.mjs');
    await writeFile(
      script,
      [
        `import { startDevice } from ${JSON.stringify(TESTING)};`,
        `const device = await startDevice({ profile: { slots: [{ slot: 1, module: '45MR-1600' }] } });`,
        `console.log(JSON.stringify({ device: device.pid }));`,
        `process.exit(0);`,
      ].join('\n'),
    );
    const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TMPDIR: tmp } });
    scripts.push(parent);
    let out = '';
    parent.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => parent.once('exit', resolve));
    expect(code).toBe(0);
    const { device } = JSON.parse(out) as { device: number };
    leftover.push(device);
    await until('the device to exit', () => (!alive(device) ? true : undefined), 10_000);
    expect(await readdir(tmp)).toEqual([]);
  });
});
