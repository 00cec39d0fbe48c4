import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/sim/random.js';
import { cleanupProcesses, runCli, startCli, tempDir } from '../helpers/process.js';
import { untilSettled } from '../helpers/until.js';

afterEach(cleanupProcesses);

const ARGS = ['--http', '127.0.0.1:0', '--modbus', 'off', '--mqtt', 'off', '--quiet', '--clock', 'manual'];

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...init?.headers } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function deviceName(http: string): Promise<string> {
  return ((await json(`http://${http}/sim/v1/device`)).body as { name: string }).name;
}

describe('running config in the data dir', () => {
  it('applies a PUT config by restarting on the same address, persists it, and the next start uses it', async () => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    const first = await startCli([...ARGS, '--data-dir', data], dir);
    const base = `http://${first.ready.http}/sim/v1`;
    const config = (await json(`${base}/config`)).body as { device: { name: string } };
    config.device.name = 'Renamed01';
    const reply = await json(`${base}/config`, { method: 'PUT', body: JSON.stringify(config) });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ applied: true, persisted: true, restart: true });
    await untilSettled('the restart', async () => ((await deviceName(first.ready.http!)) === 'Renamed01' ? true : undefined));
    const saved = parse(await readFile(join(data, 'running-config.yaml'), 'utf8')) as { device: { name: string } };
    expect(saved.device.name).toBe('Renamed01');
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    const second = await startCli([...ARGS, '--data-dir', data]);
    expect(await deviceName(second.ready.http!)).toBe('Renamed01');

    // Reset: back to the profile, the saved config forgotten.
    const reset = await json(`http://${second.ready.http}/sim/v1/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    await untilSettled('the reset', async () => ((await deviceName(second.ready.http!)) === 'ioThinx_4510' ? true : undefined));
    // HTTP answers before SNMP has started again (and written its boot count): wait for every service.
    await untilSettled('every service up again', async () => ((await fetch(`http://${second.ready.http}/sim/v1/health/ready`)).status === 200 ? true : undefined));
    // Only the SNMP engine id and boots stay: they must outlive config resets (docs/snmp.md).
    expect((await readdir(data)).sort()).toEqual(['snmp-engine-boots', 'snmp-engine-id']);
  });

  it('refuses a bad config with 400 naming the field, and writes nothing', async () => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    const started = await startCli([...ARGS, '--data-dir', data], dir);
    const base = `http://${started.ready.http}/sim/v1`;
    const config = (await json(`${base}/config`)).body as { slots: { channels: unknown[] }[] };
    config.slots[0]!.channels.push({ index: 9, mode: 'counter' });
    const reply = await json(`${base}/config`, { method: 'PUT', body: JSON.stringify(config) });
    expect(reply.status).toBe(400);
    expect(reply.body.path).toBe('slots.0.channels.3.mode');
    const overlap = (await json(`${base}/config`)).body as { modbus: { baseAddresses: unknown[] } };
    overlap.modbus.baseAddresses = [{ slot: 1, holding: 0 }];
    const reply2 = await json(`${base}/config`, { method: 'PUT', body: JSON.stringify(overlap) });
    expect(reply2.status).toBe(400);
    expect(reply2.body.message).toContain('overlaps');
    expect((await readdir(data)).sort()).toEqual(['snmp-engine-boots', 'snmp-engine-id']);
    expect(await deviceName(started.ready.http!)).toBe('ioThinx_4510');
  });

  it('persists a runtime change to the accessible-IP list', async () => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    const started = await startCli([...ARGS, '--data-dir', data], dir);
    const list = { enabled: false, additionalRestrictions: false, entries: [{ ip: '10.1.2.0', netmask: '255.255.255.0', active: true }] };
    const reply = await json(`http://${started.ready.http}/sim/v1/modbus/accessible-ips`, { method: 'PUT', body: JSON.stringify(list) });
    expect(reply.status).toBe(200);
    const saved = await untilSettled('the saved config', async () => {
      const doc = parse(await readFile(join(data, 'running-config.yaml'), 'utf8')) as { modbus: { accessibleIps: unknown } };
      return doc.modbus.accessibleIps;
    });
    expect(saved).toEqual(list);
  });

  it('stops with exit 2 naming the file when the saved config is corrupt, instead of resetting', async () => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    const started = await startCli([...ARGS, '--data-dir', data], dir);
    await json(`http://${started.ready.http}/sim/v1/modbus/accessible-ips`, { method: 'PUT', body: JSON.stringify({ enabled: false, entries: [] }) });
    const file = join(data, 'running-config.yaml');
    await untilSettled('the saved config', async () => ((await stat(file)).size > 0 ? true : undefined));
    started.child.kill('SIGTERM');
    await started.exited;
    await writeFile(file, 'device: { name: "two words" }\nslots: [ { slot: 1, module: 45MR-1600 }\n');
    const run = await runCli(['start', ...ARGS, '--data-dir', data]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}: line`);
    expect(await readFile(file, 'utf8')).toContain('two words');
  });
});

describe('atomic writes', () => {
  it('leaves the old or the new file, never a broken one, however a kill -9 falls', async () => {
    const dir = await tempDir();
    const target = join(dir, 'config.yaml');
    const a = `${'a: 1\n'.repeat(20_000)}end: a\n`;
    const b = `${'b: 2\n'.repeat(30_000)}end: b\n`;
    await writeFile(target, a);
    const writer = join(dir, 'writer.mjs');
    await writeFile(
      writer,
      `import { writeFileAtomic } from '${new URL('../../dist/config/atomic-write.js', import.meta.url).pathname}';
      const a = 'a: 1\\n'.repeat(20000) + 'end: a\\n';
      const b = 'b: 2\\n'.repeat(30000) + 'end: b\\n';
      process.stdout.write('go\\n');
      for (let i = 0; ; i++) await writeFileAtomic(${JSON.stringify(target)}, i % 2 ? a : b);`,
    );
    const random = mulberry32(7);
    for (let round = 0; round < 25; round++) {
      const child = spawn(process.execPath, [writer], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => child.stdout.once('data', resolve));
      // Let it write for a while: each write takes some milliseconds (fsync), the kill lands anywhere in one.
      const spins = Math.floor(random() * 40);
      for (let i = 0; i < spins; i++) await new Promise((resolve) => setImmediate(resolve));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const content = await readFile(target, 'utf8');
      expect(content === a || content === b).toBe(true);
    }
  });
});
