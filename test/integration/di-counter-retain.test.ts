import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runCli, startCli, tempDir } from '../helpers/process.js';
import { untilSettled } from '../helpers/until.js';

afterEach(cleanupProcesses);

const ARGS = ['--http', '127.0.0.1:0', '--modbus', 'off', '--mqtt', 'off', '--quiet', '--clock', 'manual'];

/** DI-00 counts and is retained; DI-01 counts from its profile value at every start. */
const PROFILE = [
  'slots:',
  '  - slot: 1',
  '    module: 45MR-1600',
  '    channels:',
  '      - { index: 0, mode: counter, counterValue: 7, counterRetain: true }',
  '      - { index: 1, mode: counter, counterValue: 5 }',
  '',
].join('\n');

async function setup(): Promise<{ dir: string; data: string; profile: string }> {
  const dir = await tempDir();
  const profile = join(dir, 'counters.yaml');
  await writeFile(profile, PROFILE);
  return { dir, data: join(dir, 'data'), profile };
}

async function put(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Rising edges on the field side, through the simulation API. */
async function pulses(http: string, index: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    for (const level of [1, 0]) expect((await put(`http://${http}/sim/v1/slots/1/channels/${index}`, { level })).status).toBe(200);
  }
}

async function counter(http: string, index: number): Promise<number> {
  const res = await fetch(`http://${http}/sim/v1/slots/1/channels/${index}`);
  return ((await res.json()) as { diCounterValue: number }).diCounterValue;
}

describe('counterRetain: DI counters across a restart', () => {
  it('keeps a retained counter across SIGTERM and a new process on the same data dir; the other starts from the profile', async () => {
    const { dir, data, profile } = await setup();
    const first = await startCli([...ARGS, '--profile', profile, '--data-dir', data], dir);
    const http = first.ready.http!;
    await pulses(http, 0, 3);
    await pulses(http, 1, 2);
    expect([await counter(http, 0), await counter(http, 1)]).toEqual([10, 7]);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(JSON.parse(await readFile(join(data, 'di-counters.json'), 'utf8'))).toEqual({ version: 1, counters: { '1/0': { value: 10, overflow: false } } });

    // Its own ready file: the first one's is still in `dir`.
    const second = await startCli([...ARGS, '--profile', profile, '--data-dir', data]);
    expect([await counter(second.ready.http!, 0), await counter(second.ready.http!, 1)]).toEqual([10, 5]);
    // A client's preset is a change like a count, and is saved within a second without a stop.
    expect((await put(`http://${second.ready.http}/sim/v1/slots/1/channels/0/attributes/diCounterValue`, { value: 1234 })).status).toBe(200);
    await untilSettled('the periodic save', async () => {
      const saved = JSON.parse(await readFile(join(data, 'di-counters.json'), 'utf8')) as { counters: Record<string, { value: number }> };
      return saved.counters['1/0']?.value === 1234 ? true : undefined;
    });
  });

  it('keeps it across the in-process restart of PUT /sim/v1/config', async () => {
    const { dir, data, profile } = await setup();
    const started = await startCli([...ARGS, '--profile', profile, '--data-dir', data], dir);
    const http = started.ready.http!;
    await pulses(http, 0, 4);
    const config = (await (await fetch(`http://${http}/sim/v1/config`)).json()) as { device: { name: string } };
    config.device.name = 'Restarted';
    expect((await put(`http://${http}/sim/v1/config`, config)).status).toBe(200);
    await untilSettled('the restart', async () => {
      const device = (await (await fetch(`http://${http}/sim/v1/device`)).json()) as { name: string };
      return device.name === 'Restarted' ? true : undefined;
    });
    expect([await counter(http, 0), await counter(http, 1)]).toEqual([11, 5]);
  });

  it('starts from the profile, with a warning, when the saved file is corrupt', async () => {
    const { dir, data, profile } = await setup();
    const first = await startCli([...ARGS, '--profile', profile, '--data-dir', data], dir);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    await writeFile(join(data, 'di-counters.json'), '{"version": 1, "coun');
    // Its own ready file: the first one's is still in `dir`.
    const second = await startCli([...ARGS, '--profile', profile, '--data-dir', data]);
    expect(await counter(second.ready.http!, 0)).toBe(7);
    expect(second.stderr()).toContain('the saved DI counters cannot be read; they start from the profile');
  });

  it('validate refuses counterRetain on a channel that cannot count, naming the path (exit 2)', async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    await writeFile(file, ['slots:', '  - slot: 1', '    module: 45MR-1600', '    channels:', '      - { index: 4, counterRetain: true }', ''].join('\n'));
    const run = await runCli(['validate', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`${file}: slots.0.channels.0.counterRetain: counterRetain applies only to counter-capable channels`);
  });
});
