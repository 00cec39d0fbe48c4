/**
 * #16 item 6: one scenario drives a whole line. A fleet in-process on one manual clock with its
 * API on port 0: steps name their devices and change exactly those (read back over Modbus and
 * each device's /sim/v1), a waitFor waits on the named device's value, `all` and a scenario
 * default, 400 naming `steps.N.device` before anything runs, a device removed while a run waits
 * fails that step clearly; and `iothinx-sim fleet --scenario FILE` (exit 2 for a bad name).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet as fixtureFleet } from '../../src/testing/fleet.js';
import type { Fleet } from '../../src/fleet/fleet.js';
import { ApiFleets, call } from '../helpers/fleet-api.js';
import { basic } from '../helpers/http.js';
import { RawModbusClient } from '../helpers/modbus-client.js';
import { cleanupProcesses, runCli, startCliWith, tempDir } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const fleets = new ApiFleets();
const clients: RawModbusClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await fleets.stopAll();
  await cleanupProcesses();
});

const name = (i: number) => `ioThinx_4510-00${i}`;
/** A device time-out long enough that an HTTP request from the test lands first, however slow the machine. */
const LONG = 86_400_000;

const startFleet = (count: number, profileFile?: string) => fleets.start(count, { profileFile });

interface RunView {
  id: string;
  status: string;
  steps: { index: number; status: string; description: string; detail: string | null }[];
}

/** The run once it ended: its SSE stream replays what settled and ends itself after `event: end`. */
async function ended(base: string, id: string): Promise<RunView> {
  const text = await (await fetch(`${base}/scenarios/${id}/events`)).text();
  const end = text.split('\n\n').find((block) => block.startsWith('event: end'));
  expect(end).toBeDefined();
  return JSON.parse(end!.split('\n')[1]!.slice('data: '.length)) as RunView;
}

async function submit(base: string, document: unknown): Promise<RunView> {
  const posted = await call<RunView>(`${base}/scenarios`, 'POST', document);
  expect(posted.status).toBe(202);
  return posted.body;
}

/** Until step `index` of run `id` is running (the run waits in it). */
function runningStep(base: string, id: string, index: number): Promise<true> {
  return until(`step ${index} of ${id} running`, async () => ((await call<RunView>(`${base}/scenarios/${id}`)).body.steps[index]?.status === 'running' ? true : undefined));
}

async function modbusOf(fleet: Fleet, index: number): Promise<RawModbusClient> {
  const [host, port] = fleet.device(index)!.addresses.modbus!.split(':') as [string, string];
  const client = await RawModbusClient.connect(Number(port), { host });
  clients.push(client);
  return client;
}

function addressOf(fleet: Fleet, slot: number, parameter: string, channel: number): number {
  const rows = fleet.device(1)!.modbus.map().filter((r) => r.slot === slot && r.parameter === parameter);
  return rows[channel]!.address;
}

describe('fleet scenarios (/fleet/v1/scenarios)', () => {
  it('acts on exactly the devices its steps name and waits on the named device', async () => {
    const { fleet, base } = await startFleet(6);
    const run = await submit(base, {
      name: 'line',
      steps: [
        { set: { target: '1/3', level: 1 }, device: name(2) },
        { write: { target: '2/0', attribute: 'doStatus', value: 1 }, device: name(5) },
        // DO 2/0 is wired to DI 1/15 on each device (profiles/default.yaml).
        { waitFor: { target: '1/15', attribute: 'diStatus', equals: 1, timeoutMs: 1000 }, device: name(5) },
        // Device 2's DI 1/4 is set from outside while the run waits; device 3's first, which must not end the wait.
        { waitFor: { target: '1/4', attribute: 'diStatus', equals: 1, timeoutMs: LONG }, device: name(2) },
        { assert: { target: '1/3', attribute: 'diStatus', equals: 1 }, device: [name(2)] },
        { assert: { target: '1/3', attribute: 'diStatus', equals: 0 }, device: [name(1), name(3), name(4), name(5), name(6)] },
      ],
    });
    expect(run).toMatchObject({ id: 's1', status: expect.stringMatching(/^(queued|running)$/) });
    await runningStep(base, 's1', 3);
    const other = await call(`${base}/field`, 'PUT', { devices: [name(3)], slot: 1, channel: 4, input: { level: 1 } });
    expect(other.status).toBe(200);
    expect((await call<RunView>(`${base}/scenarios/s1`)).body.steps[3]!.status).toBe('running');
    expect((await call(`${base}/field`, 'PUT', { devices: [name(2)], slot: 1, channel: 4, input: { level: 1 } })).status).toBe(200);

    const done = await ended(base, 's1');
    expect(done.status).toBe('passed');
    expect(done.steps.map((s) => s.description)).toEqual([
      `set 1/3 level=1 on ${name(2)}`,
      `write 2/0 doStatus=1 on ${name(5)}`,
      `waitFor 1/15 diStatus == 1 within 1000 ms on ${name(5)}`,
      `waitFor 1/4 diStatus == 1 within ${LONG} ms on ${name(2)}`,
      `assert 1/3 diStatus == 1 on ${name(2)}`,
      `assert 1/3 diStatus == 0 on ${name(1)}, ${name(3)} and 3 more`,
    ]);
    expect(done.steps[3]!.detail).toMatch(/^diStatus = 1 after \d+ ms$/);
    expect(done.steps[5]!.detail).toBe('holds on 5 devices');

    // Read back over Modbus: DI 1/3 only on device 2, coil 2/0 only on device 5.
    const di = addressOf(fleet, 1, 'diStatus', 3);
    const coil = addressOf(fleet, 2, 'doStatus', 0);
    const seen = await Promise.all([1, 2, 3, 4, 5, 6].map(async (i) => {
      const client = await modbusOf(fleet, i);
      return [(await client.readBits(2, di, 1))[0], (await client.readBits(1, coil, 1))[0]];
    }));
    expect(seen).toEqual([[0, 0], [1, 0], [0, 0], [0, 0], [0, 1], [0, 0]]);
    // And each device's own /sim/v1: the run's steps are in the journal of the devices they acted on.
    const journal = async (i: number) => (await call<{ entries: { action: string }[] }>(`${base}/devices/${name(i)}/sim/v1/journal?kind=scenario`)).body.entries.map((e) => e.action);
    expect(await journal(2)).toEqual(expect.arrayContaining(['scenario line (s1) started', `step 0: set 1/3 level=1 on ${name(2)}`, 'scenario line (s1) ended']));
    expect(await journal(2)).not.toContain(`step 1: write 2/0 doStatus=1 on ${name(5)}`);
    expect(await journal(5)).toContain(`step 1: write 2/0 doStatus=1 on ${name(5)}`);
    expect((await call(`${base}/devices/${name(2)}/sim/v1/slots/1/channels/3`)).body).toMatchObject({ diStatus: 1 });
  });

  it('takes a scenario default device and `all`, and clears the faults it injected on each device', async () => {
    const { fleet, base } = await startFleet(3);
    await submit(base, {
      name: 'whole-line',
      device: name(1),
      steps: [
        { set: { target: '1/5', level: 1 }, device: 'all' },
        { fault: { kind: 'module-failed', slot: 3, as: 'jam' }, device: [name(2), name(3)] },
        { assert: { target: '1/5', attribute: 'diStatus', equals: 1 }, device: 'all' },
        { write: { target: '2/0', attribute: 'doStatus', value: 1 } },
        { wait: 100 },
        { clearFault: 'jam', device: name(2) },
      ],
    });
    const done = await ended(base, 's1');
    expect(done.status).toBe('passed');
    // Each device numbers its own faults: f1 on both here, said once.
    expect(done.steps[1]!.detail).toBe('fault f1 on 2 devices');
    expect(done.steps[5]!.detail).toMatch(/^cleared f\d+$/);
    expect([1, 2, 3].map((i) => fleet.device(i)!.device.channel(1, 5).read('diStatus'))).toEqual([1, 1, 1]);
    expect([1, 2, 3].map((i) => fleet.device(i)!.device.channel(2, 0).read('doStatus'))).toEqual([1, 0, 0]);
    // Device 3's fault was left to the end of the run, which clears what it injected.
    expect([1, 2, 3].map((i) => fleet.device(i)!.device.faults.active().length)).toEqual([0, 0, 0]);
  });

  it('refuses at submit, naming steps.N.device, a device the fleet does not run or a step on no device; nothing runs', async () => {
    const { base } = await startFleet(2);
    const unknown = await call(`${base}/scenarios`, 'POST', {
      name: 'typo',
      steps: [{ set: { target: '1/0', level: 1 }, device: name(1) }, { set: { target: '1/0', level: 1 }, device: 'Line9-999' }],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ statusCode: 400, code: 'HTTP_BAD_REQUEST', path: 'steps.1.device' });
    expect(unknown.body.message).toContain('steps.1.device: no device Line9-999 in the fleet');
    const inList = await call(`${base}/scenarios`, 'POST', { name: 'list', steps: [{ log: 'x' }, { assert: { target: '1/0', attribute: 'diStatus', equals: 0 }, device: [name(2), 'nope'] }] });
    expect(inList.body).toMatchObject({ statusCode: 400, path: 'steps.1.device.1' });
    const none = await call(`${base}/scenarios`, 'POST', { name: 'none', steps: [{ wait: 10 }, { set: { target: '1/0', level: 1 } }] });
    expect(none.body).toMatchObject({ statusCode: 400, path: 'steps.1.device' });
    const badTarget = await call(`${base}/scenarios`, 'POST', { name: 't', steps: [{ set: { target: '9/9', level: 1 }, device: 'all' }] });
    expect(badTarget.body).toMatchObject({ statusCode: 400, path: 'steps.0.set.target' });
    const waitOn = await call(`${base}/scenarios`, 'POST', { name: 'w', steps: [{ wait: 10, device: name(1) }] });
    expect(waitOn.body).toMatchObject({ statusCode: 400, path: 'steps.0.device' });
    // The document's bounds are the device's: steps, names.
    const tooMany = await call(`${base}/scenarios`, 'POST', { name: 'big', device: name(1), steps: Array.from({ length: 10_001 }, () => ({ log: 'x' })) });
    expect(tooMany.body).toMatchObject({ statusCode: 400, path: 'steps' });
    const longName = await call(`${base}/scenarios`, 'POST', { name: 'n', steps: [{ log: 'x', device: 'x'.repeat(65) }] });
    expect(longName.body).toMatchObject({ statusCode: 400, path: 'steps.0.device' });
    expect((await call<unknown[]>(`${base}/scenarios`)).body).toEqual([]);
    expect((await call(`${base}/scenarios/s1`)).body).toMatchObject({ statusCode: 404, code: 'SCENARIO_UNKNOWN', path: 'id' });
    expect((await call(`${base}/scenarios/s1`)).body.message).toContain('GET /fleet/v1/scenarios lists them');
  });

  it("lets a device's own /sim/v1/scenarios name only that device", async () => {
    const { base } = await startFleet(2);
    const own = `${base}/devices/${name(1)}/sim/v1/scenarios`;
    const other = await call(own, 'POST', { name: 'o', steps: [{ set: { target: '1/0', level: 1 }, device: name(2) }] });
    expect(other.body).toMatchObject({ statusCode: 400, path: 'steps.0.device' });
    expect(other.body.message).toContain(`this device is ${name(1)}`);
    const self = await call<RunView>(own, 'POST', { name: 's', device: name(1), steps: [{ set: { target: '1/0', level: 1 } }, { assert: { target: '1/0', attribute: 'diStatus', equals: 1 }, device: 'all' }] });
    expect(self.status).toBe(202);
    expect((await ended(`${base}/devices/${name(1)}/sim/v1`, self.body.id)).status).toBe('passed');
  });

  it('fails the step, saying so, when its device is removed while the run waits on it', async () => {
    const { base } = await startFleet(4);
    await submit(base, {
      name: 'removed',
      steps: [
        { waitFor: { target: '1/4', attribute: 'diStatus', equals: 1, timeoutMs: LONG }, device: name(3) },
        { set: { target: '1/4', level: 1 }, device: name(4) },
      ],
    });
    await runningStep(base, 's1', 0);
    expect((await call(`${base}/devices/${name(3)}`, 'DELETE')).status).toBe(200);
    const done = await ended(base, 's1');
    expect(done.status).toBe('failed');
    expect(done.steps[0]).toMatchObject({ status: 'failed', detail: `no device ${name(3)} in the fleet: it was removed after the scenario was submitted` });
    expect(done.steps[1]).toMatchObject({ status: 'skipped', detail: 'an earlier step failed' });
    // A new run naming it is refused at submit.
    expect((await call(`${base}/scenarios`, 'POST', { name: 'again', steps: [{ log: 'x', device: name(3) }] })).body).toMatchObject({ statusCode: 400, path: 'steps.0.device' });
  });
});

describe('fleet scenario limits', () => {
  it('refuses a run past limits.scenarios.maxQueued with 429, counted in the fleet metrics, as a device does', async () => {
    const { base } = await startFleet(1);
    const doc = { name: 'q', device: name(1), steps: [{ wait: LONG }] };
    await submit(base, doc);
    await runningStep(base, 's1', 0);
    for (let i = 0; i < 16; i++) await submit(base, doc);
    const res = await fetch(`${base}/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(doc) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ statusCode: 429, code: 'SCENARIO_QUEUE_FULL' });
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('iothinx_fleet_limit_refusals_total{limit="scenario_queue"} 1');
    expect((await call<unknown[]>(`${base}/scenarios`)).body).toHaveLength(17);
  });
});

describe('fleet scenario roles', () => {
  it('lets a user read runs and an operator submit and abort them, as on a device', async () => {
    const dir = await tempDir();
    const file = join(dir, 'accounts.yaml');
    await writeFile(file, 'http:\n  accounts:\n    enabled: true\n    users:\n      - { role: administrator, password: "Adm1n!x" }\n      - { role: operator, name: op, password: "0per!x" }\n      - { role: user, name: viewer, password: "V1ew!x" }\n');
    const { base } = await startFleet(1, file);
    const as = (user: string, password: string) => ({ authorization: basic(user, password) });
    const doc = { name: 'r', device: name(1), steps: [{ wait: LONG }] };
    expect((await call(`${base}/scenarios`, 'POST', doc)).status).toBe(401);
    expect((await call(`${base}/scenarios`, 'POST', doc, as('viewer', 'V1ew!x'))).status).toBe(403);
    expect((await call(`${base}/scenarios`, 'POST', doc, as('op', '0per!x'))).status).toBe(202);
    expect((await call<unknown[]>(`${base}/scenarios`, 'GET', undefined, as('viewer', 'V1ew!x'))).body).toHaveLength(1);
    expect((await call(`${base}/scenarios/s1`, 'DELETE', undefined, as('viewer', 'V1ew!x'))).status).toBe(403);
    expect((await call(`${base}/scenarios/s1`, 'DELETE', undefined, as('op', '0per!x'))).body).toMatchObject({ id: 's1' });
  });
});

describe('iothinx-sim fleet --scenario', () => {
  it('startFleet({scenario}) queues it in both modes and rejects an unknown device name', async () => {
    const dir = await tempDir();
    const file = join(dir, 'two.yaml');
    await writeFile(file, `name: two\nsteps:\n  - { set: { target: 1/6, level: 1 }, device: ${name(2)} }\n`);
    for (const mode of ['child', 'in-process'] as const) {
      await using fleet = await fixtureFleet({ count: 2, clock: 'manual', scenario: file, mode });
      await until(`${mode}: device 2's DI 1/6 set by the scenario`, async () => ((await fleet.device(2).client.device()).slots[1]?.channels[6]?.diStatus === 1 ? true : undefined));
      expect((await fleet.device(1).client.device()).slots[1]?.channels[6]?.diStatus).toBe(0);
      if (fleet.api) expect((await ended(fleet.api, 's1')).status).toBe('passed');
    }
    const bad = join(dir, 'unknown.yaml');
    await writeFile(bad, 'name: u\nsteps:\n  - { log: x, device: Line9-999 }\n');
    await expect(fixtureFleet({ count: 1, scenario: bad, mode: 'in-process' })).rejects.toThrow(`${bad}: steps.0.device: no device Line9-999 in the fleet`);
  });

  it('passes the example that drives a whole line, profiles/scenarios/fleet-line.yaml', async () => {
    const example = new URL('../../profiles/scenarios/fleet-line.yaml', import.meta.url).pathname;
    const started = await startCliWith(['fleet', '--count', '3', '--addressing', 'ports:0', '--mqtt', 'off', '--clock', 'manual', '--quiet', '--scenario', example]);
    const run = await ended(`http://${(started.ready as unknown as { http: string }).http}/fleet/v1`, 's1');
    expect([run.status, run.steps.every((s) => s.status === 'passed')]).toEqual(['passed', true]);
  });

  it('queues the scenario as run s1 before the ready file, and exits 2 naming steps.N.device for an unknown device', async () => {
    const dir = await tempDir();
    const file = join(dir, 'line.yaml');
    await writeFile(file, ['name: line', 'steps:', `  - { write: { target: 2/0, attribute: doStatus, value: 1 }, device: ${name(2)} }`, `  - { waitFor: { target: 1/15, attribute: diStatus, equals: 1 }, device: ${name(2)} }`, ''].join('\n'));
    const started = await startCliWith(['fleet', '--count', '3', '--addressing', 'ports:0', '--mqtt', 'off', '--clock', 'manual', '--quiet', '--scenario', file], dir);
    const ready = started.ready as unknown as { http: string };
    const base = `http://${ready.http}/fleet/v1`;
    expect((await ended(base, 's1')).status).toBe('passed');
    const doStatus = async (i: number) => (await call<{ doStatus: number }>(`${base}/devices/${name(i)}/sim/v1/slots/2/channels/0`)).body.doStatus;
    expect([await doStatus(1), await doStatus(2), await doStatus(3)]).toEqual([0, 1, 0]);
    started.child.kill('SIGTERM');
    expect(await started.exited).toEqual({ code: 0, signal: null });

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'name: bad\nsteps:\n  - { set: { target: 1/0, level: 1 }, device: Line9-999 }\n');
    const refused = await runCli(['fleet', '--count', '2', '--addressing', 'ports:0', '--mqtt', 'off', '--scenario', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${bad}: steps.0.device: no device Line9-999 in the fleet`);
  });
});
