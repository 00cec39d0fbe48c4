/**
 * #16 on a broker nobody here wrote: 100 devices of one `iothinx-sim fleet` process connect to
 * a real mosquitto, and mosquitto's own log shows 100 distinct clients and no takeover ("already
 * connected, closing old connection"), which is what three devices started from one profile
 * used to do 51 times in 25 s. A value change on device 17 is published under device 17's name.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type StartedFleet } from '../../src/testing/index.js';

const COUNT = 100;
const WAIT_MS = 30_000;
const children: ChildProcess[] = [];
const fleets: StartedFleet[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const f of fleets.splice(0)) await f.stop();
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      await once(c, 'exit');
    }
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

/** Collects a child's output and resolves once `test(output)` holds (or fails naming `what`). */
function output(child: ChildProcess, stream: 'stdout' | 'stderr'): { text(): string; until(test: (text: string) => boolean, what: string): Promise<void> } {
  let text = '';
  const waiters = new Set<() => void>();
  child[stream]!.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const w of [...waiters]) w();
  });
  return {
    text: () => text,
    until: (test, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`waited ${WAIT_MS} ms for ${what}; output so far:\n${text.slice(-4000)}`)), WAIT_MS);
        const check = () => {
          if (!test(text)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      }),
  };
}

describe('a fleet on mosquitto', () => {
  it(`${COUNT} devices connect as ${COUNT} distinct clients with no takeover; device 17's change is published under its name`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'iothinx-fleet-mosquitto-'));
    dirs.push(dir);
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    await writeFile(conf, ['persistence false', 'allow_anonymous true', 'log_dest stderr', 'log_type all', 'connection_messages true', ...(process.getuid?.() === 0 ? ['user root'] : []), `listener ${port} 127.0.0.1`, ''].join('\n'));
    const broker = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(broker);
    const log = output(broker, 'stderr');
    await log.until((t) => t.includes(`listen socket on port ${port}`), 'mosquitto to listen');

    const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', '+/read/+/diStatus', '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(sub);
    const received = output(sub, 'stdout');
    await log.until((t) => /New client connected .* as auto-/.test(t), 'mosquitto_sub to connect');

    const fleet = await startFleet({ count: COUNT, mqtt: `mqtt://127.0.0.1:${port}`, clock: 'manual', timeoutMs: 60_000 });
    fleets.push(fleet);
    const connected = (t: string) => new Set([...t.matchAll(/New client connected from \S+ as (ioThinx_4510-\d+_\S+) /g)].map((m) => m[1])).size;
    await log.until((t) => connected(t) >= COUNT, `${COUNT} device clients in mosquitto's log`);
    // Give a takeover (and the reconnect after it) time to show.
    await sleep(2000);
    const text = log.text();
    expect(connected(text)).toBe(COUNT);
    expect(text).not.toMatch(/already connected, closing old connection/);
    expect(text.match(/New client connected from \S+ as ioThinx_4510-/g)).toHaveLength(COUNT);

    const d17 = fleet.device(17);
    await d17.client.setField('1/0', { level: 1 });
    // Every device publishes its values at start, and signals move other DIs; DI 1/0 ("Button") is 1 on device 17 only.
    const ioName = (await d17.client.channel(1, 0)).ioName;
    const ones = () => new Set([...received.text().matchAll(/^([^/\s]+)\/read\/(\S+)\/diStatus \{"value":1[,}]/gm)].filter((m) => m[2] === ioName).map((m) => m[1]));
    await received.until(() => ones().size > 0, `a diStatus 1 message from ${d17.name}`);
    await sleep(300);
    expect([...ones()]).toEqual([d17.name]);
  }, 120_000);
});
