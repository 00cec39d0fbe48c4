/**
 * #17: SIGTERM while a command is still starting. In a container the emulator is PID 1, and a
 * signal PID 1 has no handler for is dropped: `docker stop` during start-up was ignored until the
 * runtime's SIGKILL. The handlers now go in before anything starts; a signal that comes while a
 * fleet starts stops it part-way (no more devices start, those started stop), exit 0, and no
 * ready file announces it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, tempDir } from '../helpers/process.js';
import { until } from '../helpers/until.js';

/**
 * A base port with `count` free ports after it (Modbus of device k listens on base + k): every one
 * is tried. Drawn below Linux's ephemeral range (32768-60999 by default), so that no other test's
 * outgoing connection can take one of them between this check and the fleet's bind.
 */
async function freeBase(count: number): Promise<number> {
  const bind = (port: number) =>
    new Promise<net.Server | null>((resolve) => {
      const s = net.createServer().once('error', () => resolve(null));
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - count));
    const held = await Promise.all(Array.from({ length: count }, (_, k) => bind(base + k)));
    await Promise.all(held.map((s) => s && new Promise((resolve) => s.close(resolve))));
    if (held.every(Boolean)) return base;
  }
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const children: ChildProcess[] = [];
afterEach(() => {
  // A failed assertion must not leave a 1,000-device fleet running.
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('SIGTERM during start-up', () => {
  it('a fleet signalled while its devices start stops part-way: exit 0 within the deadline, no ready file', async () => {
    const dir = await tempDir();
    const readyFile = join(dir, 'ready.json');
    const count = 1000;
    const base = await freeBase(count);
    const profile = join(dir, 'fleet.yaml');
    const defaults = await readFile(new URL('../../profiles/default.yaml', import.meta.url), 'utf8');
    await writeFile(profile, `${defaults}\nfleet: { addressing: { mode: ports, base: { modbus: ${base}, snmp: null } } }\n`);
    const child = spawn(process.execPath, [CLI, 'fleet', '--profile', profile, '--count', String(count), '--mqtt', 'off', '--http', '127.0.0.1:0', '--log-level', 'info', '--ready-file', readyFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    // Device k listens on base + k: device 1 listening means the fleet is starting.
    await until('device 1 listening', async () => ((await accepts(base)) ? true : undefined));
    expect(existsSync(readyFile)).toBe(false);
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('"starting":true');
    expect(existsSync(readyFile)).toBe(false);
  });
});
