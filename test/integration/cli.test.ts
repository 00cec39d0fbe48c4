import { readdir, readFile, writeFile } from 'node:fs/promises';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runCli, startCli, tempDir } from '../helpers/process.js';

afterEach(cleanupProcesses);

const BASE = ['--http', '127.0.0.1:0', '--https', '127.0.0.1:0', '--modbus', 'off', '--mqtt', 'off', '--quiet'];

describe('iothinx-sim start', () => {
  it('writes the ready file with real addresses, serves the API, and exits 0 on SIGTERM', async () => {
    const dir = await tempDir();
    const started = await startCli(BASE, dir);
    expect(started.ready).toEqual({ pid: started.child.pid, http: expect.stringMatching(/^127\.0\.0\.1:\d+$/), https: null, modbus: null, mqtt: null, broker: null, snmp: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    const health = await fetch(`http://${started.ready.http}/sim/v1/health`);
    expect(health.status).toBe(200);
    const device = (await (await fetch(`http://${started.ready.http}/sim/v1/device`)).json()) as { name: string; slots: unknown[] };
    expect(device.name).toBe('ioThinx_4510');
    expect(device.slots.length).toBe(9);
    // Atomic write: only the ready file, no temp file left beside it.
    expect(await readdir(dir)).toEqual(['ready.json']);
    started.child.kill('SIGTERM');
    expect(await started.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 0 on SIGINT', async () => {
    const started = await startCli(BASE);
    started.child.kill('SIGINT');
    expect(await started.exited).toEqual({ code: 0, signal: null });
  });

  it('loads another profile', async () => {
    const started = await startCli([...BASE, '--profile', 'profiles/tank-station.yaml']);
    const device = (await (await fetch(`http://${started.ready.http}/sim/v1/device`)).json()) as { name: string };
    expect(device.name).toBe('TankStation01');
  });

  it('exits 2 naming the file and path when the profile is invalid', async () => {
    const dir = await tempDir();
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'slots:\n  - { slot: 1, module: 45MR-9999 }\n');
    const run = await runCli(['start', ...BASE, '--profile', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}: slots.0.module: unknown module 45MR-9999`);
  });

  it('exits 2 naming the file and path when a service refuses its section (base addresses overlap)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'overlap.yaml');
    await writeFile(file, 'slots:\n  - { slot: 1, module: 45MR-1600 }\nmodbus: { baseAddresses: [ { slot: 1, holding: 0 } ] }\n');
    const run = await runCli(['start', ...BASE, '--profile', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}: modbus\\.baseAddresses\\.0\\.holding: .*overlaps`, 'm'));
  });

  it('exits 2 on a bad flag, naming it', async () => {
    const run = await runCli(['start', '--clock', 'sundial']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--clock: expected real or manual, got "sundial"');
    const run2 = await runCli(['start', '--http', 'nowhere']);
    expect(run2.code).toBe(2);
    expect(run2.stderr).toContain('--http: expected HOST:PORT');
    const run3 = await runCli(['start', '--bogus']);
    expect(run3.code).toBe(2);
    expect(run3.stderr).toContain("Unknown option '--bogus'");
  });

  it('exits 2 on a bad IOTHINX_SIM_HEAP_GROWING_PERCENT, naming it, before anything listens', async () => {
    for (const value of ['abc', '-1', '401', '2.5']) {
      const run = await runCli(['start', ...BASE], 15_000, { IOTHINX_SIM_HEAP_GROWING_PERCENT: value });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`IOTHINX_SIM_HEAP_GROWING_PERCENT: expected an integer 0..400 (percent; 0 = V8's own heuristic), got "${value}"`);
    }
  });

  it('exits 2 when the profile file does not exist', async () => {
    const run = await runCli(['start', ...BASE, '--profile', '/nonexistent/p.yaml']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('/nonexistent/p.yaml: (file): no such file');
  });

  it('exits 1 with a clear message when the port is taken', async () => {
    const first = await startCli(BASE);
    const run = await runCli(['start', '--http', first.ready.http!, '--modbus', 'off', '--mqtt', 'off', '--quiet']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/EADDRINUSE|in use/);
  });
});

describe('iothinx-sim start with HTTPS', () => {
  it('serves the APIs over TLS with a self-signed certificate kept in the data dir', async () => {
    const dir = await tempDir();
    const profile = join(dir, 'p.yaml');
    await writeFile(profile, 'slots:\n  - { slot: 1, module: 45MR-1600 }\nhttp: { https: { enabled: true } }\n');
    const data = join(dir, 'data');
    const started = await startCli([...BASE, '--profile', profile, '--data-dir', data]);
    expect(started.ready.https).toMatch(/^127\.0\.0\.1:\d+$/);
    const ca = await readFile(join(data, 'tls', 'cert.pem'), 'utf8');
    const status = await new Promise<number>((resolve, reject) => {
      const [host, port] = started.ready.https!.split(':');
      httpsGet({ host, port: Number(port), path: '/sim/v1/health', ca, minVersion: 'TLSv1.2' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
    started.child.kill('SIGTERM');
    await started.exited;
    const again = await startCli([...BASE, '--profile', profile, '--data-dir', data]);
    expect(again.ready.https).not.toBeNull();
    expect(await readFile(join(data, 'tls', 'cert.pem'), 'utf8')).toBe(ca);
  });

  it('exits 2 naming the file when a configured certificate is missing', async () => {
    const dir = await tempDir();
    const profile = join(dir, 'p.yaml');
    await writeFile(profile, 'slots:\n  - { slot: 1, module: 45MR-1600 }\nhttp: { https: { enabled: true, cert: missing.pem, key: missing.key } }\n');
    const run = await runCli(['start', ...BASE, '--profile', profile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(join(dir, 'missing.pem'));
  });
});

describe('iothinx-sim validate', () => {
  it('exits 0 for every shipped profile', async () => {
    const files = (await readdir('profiles')).filter((f) => f.endsWith('.yaml')).map((f) => join('profiles', f));
    const run = await runCli(['validate', ...files]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const f of files) expect(run.stdout).toContain(`${f}: ok`);
  });

  it('refuses SNMP trap entries that watch nothing on the rail, naming the entry', async () => {
    const dir = await tempDir();
    const file = join(dir, 'traps.yaml');
    await writeFile(
      file,
      ['slots:', '  - { slot: 1, module: 45MR-2600 }', 'snmp:', '  enabled: true', '  traps:', '    - { source: 9/9, manager: "127.0.0.1:162" }', '    - { source: 1/0, attribute: nope, manager: "127.0.0.1:162" }', '    - { source: 1/0, manager: "127.0.0.1:162" }', ''].join('\n'),
    );
    const run = await runCli(['validate', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      `${file}: snmp.traps.0.source: no channel or internal register 9/9 (slot/index, an ioName, or BIR-00 ...)`,
      expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: snmp\\.traps\\.1\\.attribute: 45MR-2600-0@DO-00 has no attribute nope`)),
    ]);
  });

  it('exits 2 with one line per problem, naming file and path', async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    await writeFile(
      file,
      [
        'device: { name: "has space" }',
        'slots:',
        '  - slot: 1',
        '    module: 45MR-1600',
        '    channels:',
        '      - { index: 7, mode: counter }',
        '      - { index: 3, physical: 4 }',
      ].join('\n'),
    );
    const run = await runCli(['validate', file, 'profiles/default.yaml']);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toContain(`${file}: device.name: no spaces and none of / # + (it becomes an MQTT topic level)`);
    expect(lines.some((l) => l.startsWith(`${file}: slots.0.channels.0.mode: only DI channels 0..3`))).toBe(true);
    expect(lines).toContain(`${file}: slots.0.channels.1.physical: physical does not apply to a DI channel`);
    expect(run.stdout).toContain('profiles/default.yaml: ok');
  });

  it('reports a YAML syntax error with its line', async () => {
    const dir = await tempDir();
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'slots:\n  - { slot: 1, module: 45MR-1600\n');
    const run = await runCli(['validate', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}: line \\d+: `));
  });

  it('exits 2 with usage when no file is named', async () => {
    const run = await runCli(['validate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage:');
  });
});
