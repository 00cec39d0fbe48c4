/**
 * Scenarios end to end (issue #9): POST /sim/v1/scenarios on a running CLI, the run's SSE
 * stream, abort, and `iothinx-sim run-scenario` exit codes, including the shipped examples.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runCli, startCli, tempDir } from '../helpers/process.js';

afterEach(cleanupProcesses);

const BASE = ['--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'off', '--quiet', '--clock', 'manual'];

interface RunView {
  id: string;
  status: string;
  steps: { index: number; status: string; detail: string | null; description: string }[];
}

async function post(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/scenarios`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

/** Reads a whole SSE response (the scenario stream ends itself after `event: end`). */
async function readEvents(url: string): Promise<{ event: string; data: unknown }[]> {
  const res = await fetch(url);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) as unknown };
    });
}

describe('/sim/v1/scenarios', () => {
  it('runs a posted scenario, reports it, streams its steps and records it in the journal', async () => {
    const started = await startCli(BASE);
    const base = `http://${started.ready.http}/sim/v1`;
    const res = await post(base, {
      name: 'do-wiring',
      steps: [
        { write: { target: '2/0', attribute: 'doStatus', value: 1 } },
        { waitFor: { target: '1/15', attribute: 'diStatus', equals: 1, timeoutMs: 100 } },
        { wait: 250 },
        { assert: { target: '2/0', attribute: 'doStatus', equals: 0 }, continueOnFailure: true },
        { log: 'done' },
      ],
    });
    expect(res.status).toBe(202);
    const submitted = (await res.json()) as RunView;
    expect(submitted.id).toBe('s1');
    const events = await readEvents(`${base}/scenarios/s1/events`);
    expect(events.map((e) => e.event)).toEqual(['step', 'step', 'step', 'step', 'step', 'end']);
    expect(events.at(-1)!.data).toMatchObject({ id: 's1', status: 'passed' });
    const run = (await (await fetch(`${base}/scenarios/s1`)).json()) as RunView;
    expect(run.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'passed', 'failed', 'passed']);
    expect(run.steps[3]!.detail).toBe('doStatus = 1, expected == 0');
    const list = (await (await fetch(`${base}/scenarios`)).json()) as RunView[];
    expect(list.map((r) => r.id)).toEqual(['s1']);
    const journal = (await (await fetch(`${base}/journal?kind=scenario`)).json()) as { entries: { source: string; action: string; result: string }[] };
    expect(journal.entries.map((e) => e.action)).toContain('step 4: log done');
    expect(journal.entries.every((e) => e.source === 'scenario')).toBe(true);
  });

  it('refuses a bad document with 400 naming the path, and an unknown run with 404', async () => {
    const started = await startCli(BASE);
    const base = `http://${started.ready.http}/sim/v1`;
    const bad = await post(base, { name: 'x', steps: [{ wait: 10 }, { waitFor: { target: '1/0', attribute: 'diStatus', equals: 1, timeoutMs: -1 } }] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'HTTP_BAD_REQUEST', path: 'steps.1.waitFor.timeoutMs' });
    const unknown = await post(base, { name: 'x', steps: [{ set: { target: '9/9', level: 1 } }] });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ path: 'steps.0.set.target' });
    expect((await fetch(`${base}/scenarios/s9`)).status).toBe(404);
  });

  it('aborts a running scenario; its stream ends with status aborted', async () => {
    const started = await startCli(BASE);
    const base = `http://${started.ready.http}/sim/v1`;
    // Polling in 1 ms steps for a day of device time: runs until aborted.
    const res = await post(base, { name: 'long', steps: [{ waitFor: { target: '1/1', attribute: 'diStatus', equals: 1, timeoutMs: 86_400_000 } }, { log: 'never' }] });
    expect(res.status).toBe(202);
    const events = readEvents(`${base}/scenarios/s1/events`);
    const aborted = await fetch(`${base}/scenarios/s1`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect(aborted.status).toBe(200);
    const all = await events;
    expect(all.at(-1)).toMatchObject({ event: 'end', data: { status: 'aborted' } });
    const run = (await (await fetch(`${base}/scenarios/s1`)).json()) as RunView;
    expect(run.steps.map((s) => s.status)).toEqual(['skipped', 'skipped']);
  });

  it('#14.8: past maxQueued waiting runs a submission is 429 and counted; the list is small and keeps maxKept finished runs', async () => {
    const started = await startCli(BASE);
    const base = `http://${started.ready.http}/sim/v1`;
    // Polling in 1 ms steps for a day of device time: runs until aborted, and every later run queues behind it.
    const blocker = { name: 'blocker', steps: [{ waitFor: { target: '1/1', attribute: 'diStatus', equals: 1, timeoutMs: 86_400_000 } }] };
    expect((await post(base, blocker)).status).toBe(202);
    // Documents of 1000 steps (~200 KB each), as the attack's 400 were.
    const big = { name: 'big', steps: Array.from({ length: 1000 }, (_, i) => ({ log: `step ${i} ${'x'.repeat(150)}` })) };
    const replies = await Promise.all(Array.from({ length: 40 }, () => post(base, big)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(16); // limits.scenarios.maxQueued
    expect(statuses.filter((s) => s === 429)).toHaveLength(24);
    const bodies = await Promise.all(replies.map(async (r) => (await r.json()) as { code?: string; message?: string }));
    const refused = bodies.filter((b) => b.code === 'SCENARIO_QUEUE_FULL');
    expect(refused).toHaveLength(24);
    expect(refused[0]!.message).toMatch(/16 scenario runs already wait/);
    expect(replies.find((r) => r.status === 429)!.headers.get('retry-after')).toBe('1');
    const metrics = await (await fetch(`http://${started.ready.http}/metrics`)).text();
    expect(metrics).toMatch(/^iothinx_limit_refusals_total\{limit="scenario_queue"\} 24$/m);

    // The list: one summary per run (step counts, no steps), whatever the documents' size.
    const listRes = await fetch(`${base}/scenarios`);
    const listText = await listRes.text();
    expect(listRes.status).toBe(200);
    expect(listText.length).toBeLessThan(17 * 400);
    const list = JSON.parse(listText) as { id: string; status: string; steps?: unknown; stepCounts: Record<string, number> }[];
    expect(list).toHaveLength(17);
    expect(list[0]).toMatchObject({ id: 's1', status: 'running', stepCounts: { total: 1, running: 1 } });
    expect(list[1]).toMatchObject({ status: 'queued', stepCounts: { total: 1000, pending: 1000, passed: 0 } });
    expect(list.every((r) => r.steps === undefined)).toBe(true);
    expect(((await (await fetch(`${base}/scenarios/s2`)).json()) as RunView).steps).toHaveLength(1000);

    // Let them run: abort the blocker, follow the last queued run to its end.
    await fetch(`${base}/scenarios/s1`, { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect((await readEvents(`${base}/scenarios/s17/events`)).at(-1)).toMatchObject({ event: 'end', data: { status: 'passed' } });
    // 17 finished + 20 more: only the last maxKept (32) finished runs are kept.
    for (let i = 0; i < 20; i++) expect((await post(base, { name: `quick-${i}`, steps: [{ log: 'x' }] })).status).toBe(202);
    expect((await readEvents(`${base}/scenarios/s37/events`)).at(-1)).toMatchObject({ event: 'end', data: { status: 'passed' } });
    const kept = (await (await fetch(`${base}/scenarios`)).json()) as { id: string }[];
    expect(kept.map((r) => r.id)).toEqual(Array.from({ length: 32 }, (_, i) => `s${i + 6}`));
    expect((await fetch(`${base}/scenarios/s5`)).status).toBe(404);
  });

  it('start --scenario runs it once the emulator is ready', async () => {
    const started = await startCli([...BASE, '--profile', 'profiles/tank-station.yaml', '--scenario', 'profiles/scenarios/tank-station-selftest.yaml']);
    const base = `http://${started.ready.http}/sim/v1`;
    const events = await readEvents(`${base}/scenarios/s1/events`);
    expect(events.at(-1)).toMatchObject({ event: 'end', data: { status: 'passed' } });
  });
});

describe('iothinx-sim run-scenario', () => {
  it.each([
    ['profiles/scenarios/tank-station-selftest.yaml', 'profiles/tank-station.yaml'],
    ['profiles/scenarios/default-io-selftest.yaml', 'profiles/default.yaml'],
  ])('passes the self-contained example %s (exit 0)', async (file, profile) => {
    const run = await runCli(['run-scenario', file, '--profile', profile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^✓ 0 /);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^✓ .*: passed \(\d+\/\d+ steps passed, \d+ ms device time\)$/);
  });

  it('exits 1 when a step fails, marking the failed and skipped steps', async () => {
    const run = await runCli(['run-scenario', 'profiles/scenarios/tank-high-level-pump-off.yaml', '--profile', 'profiles/tank-station.yaml']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ 7 waitFor journal .* \(timed out after 2000 ms: 0 journal entries, expected at least 1\)$/m);
    expect(run.stdout).toMatch(/^- 8 assert/m);
  });

  it('exits 2 naming the file and path of every problem', async () => {
    const dir = await tempDir();
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nsteps:\n  - wait: -1\n  - clearFault: nope\n');
    const run = await runCli(['run-scenario', file]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([`${file}: steps.0.wait: Too small: expected number to be >=0`]);
    const unknown = join(dir, 'unknown.yaml');
    await writeFile(unknown, 'name: bad\nsteps:\n  - set: { target: 9/0, level: 1 }\n  - clearFault: nope\n');
    const second = await runCli(['run-scenario', unknown]);
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split('\n')).toEqual([
      `${unknown}: steps.0.set.target: no channel 9/0 (slot/index or an ioName)`,
      `${unknown}: steps.1.clearFault: no earlier fault step is named nope (fault: {as: nope}), and it is not "all"`,
    ]);
    expect((await runCli(['run-scenario', join(dir, 'missing.yaml')])).code).toBe(2);
  });
});
