/**
 * Scenarios (issue #9): the document's schema and its checks against a device, and the runner on
 * a manual clock (waits, waitFor, asserts, journal and MQTT conditions, faults by name,
 * continueOnFailure, abort) with the same journal on every run.
 */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseProfile } from '../../src/config/load.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { ScenarioController } from '../../src/sim/scenario-control.js';
import { topicMatches } from '../../src/sim/scenario-conditions.js';
import { checkScenario, parseScenario, validateScenario } from '../../src/sim/scenario-load.js';
import type { RunResult } from '../../src/sim/scenario-runner.js';
import { SignalRunner } from '../../src/sim/signals.js';
import { connectWiring } from '../../src/sim/wiring.js';
import { resolveChannelRef } from '../../src/config/profile.js';

interface ScenarioRigOf {
  device: Device;
  clock: ManualClock;
  signals: SignalRunner;
  scenarios: ScenarioController;
  mqtt: (message: object) => void;
}

/** A fresh device of a profile file on a manual clock, with signals and a scenario controller. */
async function scenarioRig(file = 'profiles/default.yaml', seed = 1): Promise<ScenarioRigOf> {
  const profile = parseProfile(file, await readFile(file, 'utf8'));
  const clock = new ManualClock();
  const device = new Device(profile, clock);
  const signals = new SignalRunner(clock, seed);
  for (const module of profile.slots) for (const ch of module.channels) if (ch.signal) signals.attach(device.channel(module.slot, ch.index), ch.signal);
  const disconnect = connectWiring(
    device,
    profile.wiring.map((w) => ({ from: resolveChannelRef(device, w.from)!, to: resolveChannelRef(device, w.to)!, invert: w.invert })),
  );
  const listeners = new Set<(message: object) => void>();
  const scenarios = new ScenarioController({
    device,
    clock,
    signals,
    onMqttMessage: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  onTestFinished(async () => {
    await scenarios.stop();
    disconnect();
    signals.dispose();
    device.dispose();
  });
  return { device, clock, signals, scenarios, mqtt: (message) => listeners.forEach((l) => l(message)) };
}

async function run(r: ScenarioRigOf, document: unknown): Promise<RunResult> {
  const submitted = r.scenarios.start(document, 'test.yaml');
  if (!submitted.ok) throw new Error('problems' in submitted ? submitted.problems.map((p) => `${p.path}: ${p.message}`).join('\n') : 'queue full');
  return (await r.scenarios.finished(submitted.run.id))!;
}

const statuses = (result: RunResult) => result.steps.map((s) => s.status);

describe('scenario documents', () => {
  it('names the path of every problem, as file: path: message', () => {
    const parsed = parseScenario(
      'bad.yaml',
      `name: x
steps:
  - wait: -5
  - set: { target: 1/0 }
  - waitFor: { target: 1/0, attribute: diStatus }
  - assert: { journal: { kind: nope } }
  - fault: { kind: modbus-slow, delayMs: 0, as: slow }
  - { wait: 1, log: two actions }
  - {}
  - write: { target: 2/0, attribute: doStatus, value: 1, extra: 1 }
`,
    );
    expect(parsed.ok).toBe(false);
    const paths = parsed.ok ? [] : parsed.problems.map((p) => p.path);
    expect(paths).toEqual(['steps.0.wait', 'steps.1.set', 'steps.2.waitFor', 'steps.3.assert.journal.kind', 'steps.4.fault.delayMs', 'steps.5', 'steps.6', 'steps.7.write']);
    expect(parsed.ok ? '' : parsed.problems[0]!.file).toBe('bad.yaml');
  });

  it('reports YAML syntax errors by line', () => {
    const parsed = parseScenario('bad.yaml', 'name: x\nsteps: [\n');
    expect(parsed.ok ? [] : parsed.problems.map((p) => p.path)).toEqual([expect.stringMatching(/^line \d+$/)]);
  });

  it('checks targets, attributes and fault names against the device', async () => {
    const r = await scenarioRig();
    const parsed = validateScenario('s.yaml', {
      name: 'x',
      steps: [
        { set: { target: '9/0', level: 1 } },
        { write: { target: '2/0', attribute: 'nope', value: 1 } },
        { assert: { journal: { ioName: '1/99' } } },
        { fault: { kind: 'module-failed', slot: 12 } },
        { clearFault: 'later' },
        { fault: { kind: 'modbus-drop', as: 'later' } },
        { clearFault: 'later' },
        { clearFault: 'all' },
      ],
    });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(checkScenario('s.yaml', parsed.scenario, r.device).map((p) => p.path)).toEqual([
      'steps.0.set.target',
      'steps.1.write.attribute',
      'steps.2.assert.journal.ioName',
      'steps.3.fault.slot',
      'steps.4.clearFault',
    ]);
  });

  it('validates every example in profiles/scenarios', async () => {
    const dir = 'profiles/scenarios';
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(parseScenario(f, await readFile(`${dir}/${f}`, 'utf8'))).toMatchObject({ ok: true });
  });

  it('matches MQTT topic filters with + and #', () => {
    expect(topicMatches('ioThinx_4510/read/#', 'ioThinx_4510/read/DI-00/diStatus')).toBe(true);
    expect(topicMatches('a/#', 'a')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+/c', 'a/b/d')).toBe(false);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
  });
});

describe('scenario runner on a manual clock', () => {
  it('advances the clock by a wait and records every step in the journal', async () => {
    const r = await scenarioRig();
    const t0 = r.clock.monotonic();
    const result = await run(r, { name: 'w', steps: [{ set: { target: '1/1', level: 1 } }, { wait: 1500 }, { log: 'done' }] });
    expect(result.status).toBe('passed');
    expect(r.clock.monotonic() - t0).toBe(1500);
    expect(result.steps[1]).toMatchObject({ status: 'passed', endedAt: result.steps[1]!.startedAt! + 1500 });
    const entries = r.device.journal.query({ kind: 'scenario' });
    expect(entries.map((e) => [e.action, e.result])).toEqual([
      ['scenario w (s1) started', 'running'],
      ['step 0: set 1/1 level=1', 'passed'],
      ['step 1: wait 1500 ms', 'passed'],
      ['step 2: log done', 'passed'],
      ['scenario w (s1) ended', 'passed'],
    ]);
    expect(entries[1]).toMatchObject({ source: 'scenario', ioName: r.device.channel(1, 1).ioName });
  });

  it('waitFor passes when the condition holds, advancing only as far as needed', async () => {
    const r = await scenarioRig();
    // DO-01 of slot 2 pulses 500 ms on, 500 ms off (profiles/default.yaml: widths of 1000 x 0.5 ms).
    const result = await run(r, {
      name: 'pulse',
      steps: [
        { write: { target: '2/1', attribute: 'doPulseStatus', value: 1 } },
        { waitFor: { target: '2/1', attribute: 'doStatus', equals: 0, timeoutMs: 5000 } },
      ],
    });
    expect(result.status).toBe('passed');
    expect(result.steps[1]!.detail).toBe('doStatus = 0 after 500 ms');
  });

  it('a waitFor that times out fails the run and skips the rest', async () => {
    const r = await scenarioRig();
    const t0 = r.clock.monotonic();
    const result = await run(r, {
      name: 't',
      steps: [{ waitFor: { target: '2/0', attribute: 'doStatus', equals: 1, timeoutMs: 300 } }, { log: 'never' }],
    });
    expect(result.status).toBe('failed');
    expect(statuses(result)).toEqual(['failed', 'skipped']);
    expect(result.steps[0]!.detail).toBe('timed out after 300 ms: doStatus = 0, expected == 1');
    expect(r.clock.monotonic() - t0).toBe(300);
    expect(r.device.journal.query({ kind: 'scenario' }).map((e) => e.result)).toContain('skipped: an earlier step failed');
  });

  it('a failed assert skips the rest; continueOnFailure goes on and does not fail the run', async () => {
    const r = await scenarioRig();
    const failing = { assert: { target: '4/1', attribute: 'aiValueScaled', approx: 99, tolerance: 0.5 } };
    const stopped = await run(r, { name: 'a', steps: [failing, { log: 'after' }] });
    expect(stopped.status).toBe('failed');
    expect(statuses(stopped)).toEqual(['failed', 'skipped']);
    const soft = await run(r, { name: 'b', steps: [{ ...failing, continueOnFailure: true }, { log: 'after' }] });
    expect(soft.status).toBe('passed');
    expect(statuses(soft)).toEqual(['failed', 'passed']);
  });

  it('a step the device refuses fails with its message', async () => {
    const r = await scenarioRig();
    const result = await run(r, { name: 'r', steps: [{ write: { target: '1/1', attribute: 'diStatus', value: 1 } }] });
    expect(result.status).toBe('failed');
    expect(result.steps[0]!.detail).toMatch(/read-only/);
  });

  it('counts journal entries: exactly in assert, at least in waitFor, within min/max', async () => {
    const r = await scenarioRig();
    const filter = { kind: 'write', source: 'scenario', ioName: '2/3', attribute: 'doStatus' };
    const result = await run(r, {
      name: 'j',
      steps: [
        { write: { target: '2/3', attribute: 'doStatus', value: 1 } },
        { assert: { journal: filter, count: 1 } },
        { write: { target: '2/3', attribute: 'doStatus', value: 0 } },
        { assert: { journal: filter, count: 1 }, continueOnFailure: true },
        { assert: { journal: { ...filter, value: 0 }, count: 1 } },
        { assert: { journal: filter, min: 2, max: 2 } },
        { waitFor: { journal: filter, count: 1, timeoutMs: 0 } },
        { assert: { journal: filter, count: 0, window: 'step' } },
      ],
    });
    expect(statuses(result)).toEqual(['passed', 'passed', 'passed', 'failed', 'passed', 'passed', 'passed', 'passed']);
    expect(result.steps[3]!.detail).toBe('2 journal entries, expected exactly 1');
  });

  it('waits for an MQTT message matching a topic filter', async () => {
    const r = await scenarioRig();
    const submitted = r.scenarios.start({ name: 'm', steps: [{ waitFor: { mqtt: { topic: 'ioThinx_4510/read/+/doStatus', value: 1 }, timeoutMs: 1000 } }] });
    expect(submitted.ok).toBe(true);
    if (!submitted.ok) return;
    // Messages arrive while the runner yields between advances, as a socket's would.
    await new Promise((resolve) => setImmediate(resolve));
    r.mqtt({ direction: 'out', topic: 'ioThinx_4510/read/DO-00/doStatus', payload: '{"value":0}' });
    r.mqtt({ direction: 'out', topic: 'ioThinx_4510/read/DO-00/doStatus', payload: '{"value":1}' });
    const result = (await r.scenarios.finished(submitted.run.id))!;
    expect(result.status).toBe('passed');
    expect(result.steps[0]!.detail).toMatch(/^1 MQTT message on ioThinx_4510\/read\/\+\/doStatus after \d+ ms$/);
  });

  it('#14: a run keeps a bounded window of the MQTT messages it hears, and still counts in it', async () => {
    const r = await scenarioRig();
    const submitted = r.scenarios.start({
      name: 'flood',
      steps: [
        { waitFor: { mqtt: { topic: 'x/done' }, timeoutMs: 1000 } },
        { assert: { mqtt: { topic: 'x/flood' }, min: 10_000, max: 20_000 } },
      ],
    });
    expect(submitted.ok).toBe(true);
    if (!submitted.ok) return;
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 25_000; i++) r.mqtt({ direction: 'out', topic: 'x/flood', payload: `{"value":${i}}` });
    r.mqtt({ direction: 'out', topic: 'x/done', payload: '{"value":1}' });
    const result = (await r.scenarios.finished(submitted.run.id))!;
    expect(statuses(result)).toEqual(['passed', 'passed']);
  });

  it('injects faults, clears them by name or all, and clears what is left at the end', async () => {
    const r = await scenarioRig();
    const result = await run(r, {
      name: 'f',
      steps: [
        { fault: { kind: 'channel', target: '4/0', input: { burnout: true }, as: 'wire' } },
        { assert: { target: '4/0', attribute: 'aiStatus', equals: 1 } },
        { clearFault: 'wire' },
        { assert: { target: '4/0', attribute: 'aiStatus', equals: 0 } },
        { fault: { kind: 'modbus-slow', delayMs: 200, as: 'slow' } },
        { fault: { kind: 'module-failed', slot: 3 } },
        { clearFault: 'slow' },
        { assert: { journal: { kind: 'fault' }, count: 5 } },
      ],
    });
    expect(result.status).toBe('passed');
    expect(result.steps[2]!.detail).toBe('cleared f1');
    // module-failed was left active by the scenario: cleared at the end.
    expect(r.device.faults.active()).toEqual([]);
  });

  it('attaches and detaches signals', async () => {
    const r = await scenarioRig();
    const fromSignal = { journal: { kind: 'change', source: 'signal', ioName: '1/1' } };
    const result = await run(r, {
      name: 's',
      steps: [
        { signal: { target: '1/1', signal: { kind: 'square', periodMs: 1000 } } },
        { waitFor: { target: '1/1', attribute: 'diStatus', equals: 1, timeoutMs: 1000 } },
        { waitFor: { target: '1/1', attribute: 'diStatus', equals: 0, timeoutMs: 1000 } },
        { signal: { target: '1/1', signal: null } },
        { wait: 3000 },
        { assert: { ...fromSignal, min: 2 } },
      ],
    });
    expect(result.status).toBe('passed');
    expect(result.steps[3]!.detail).toBe('detached');
  });

  it('#15: a set step detaches a running signal, as PUT /sim/v1/slots/{slot}/channels/{index} does', async () => {
    const r = await scenarioRig();
    // 4/0 runs a randomWalk from the profile; a set must take over, not be overwritten at the next sample.
    expect(r.signals.get(r.device.channel(4, 0))).toBeDefined();
    const result = await run(r, {
      name: 'take over',
      steps: [
        { set: { target: '4/0', physical: 7.5 } },
        { wait: 5000 },
        { assert: { target: '4/0', attribute: 'aiValueScaled', approx: 21.875, tolerance: 0.001 } },
        { assert: { journal: { kind: 'change', source: 'signal', ioName: '4/0' }, window: 'step', count: 0 } },
      ],
    });
    expect(result.status, JSON.stringify(result.steps)).toBe('passed');
    expect(r.signals.get(r.device.channel(4, 0))).toBeUndefined();
  });

  it('#15: a set step refuses an input the channel type does not take, naming it, and leaves the signal running', async () => {
    const r = await scenarioRig();
    const result = await run(r, { name: 'wrong', steps: [{ set: { target: '4/0', level: 1 } }] });
    expect(result.status).toBe('failed');
    expect(result.steps[0]!.detail).toMatch(/AI channel: level does not apply \(it takes physical, burnout\)/);
    expect(r.signals.get(r.device.channel(4, 0))).toBeDefined();
  });

  it('#15: fieldPower is a field input of set steps and channel faults; the fault puts it back on clear', async () => {
    const r = await scenarioRig('profiles/packaging-line.yaml');
    const fp = r.device.channel(1, 0);
    const result = await run(r, {
      name: 'power',
      steps: [
        { set: { target: '1/0', fieldPower: 0 } },
        { assert: { target: '1/0', attribute: 'fpStatus', equals: 1 } },
        { set: { target: '1/0', fieldPower: 1 } },
        { fault: { kind: 'channel', target: '1/0', input: { fieldPower: 0 }, as: 'cut' } },
        { assert: { target: '1/0', attribute: 'fpStatus', equals: 1 } },
        { clearFault: 'cut' },
        { assert: { target: '1/0', attribute: 'fpStatus', equals: 0 } },
      ],
    });
    expect(result.status, JSON.stringify(result.steps)).toBe('passed');
    expect(fp.field()).toMatchObject({ fieldPower: 1 });
  });

  it('runs queue one at a time; abort skips the remaining steps', async () => {
    const r = await scenarioRig();
    const first = r.scenarios.start({ name: 'one', steps: [{ wait: 100000 }, { log: 'x' }] });
    const second = r.scenarios.start({ name: 'two', steps: [{ log: 'y' }] });
    if (!first.ok || !second.ok) throw new Error('not started');
    expect(r.scenarios.get(second.run.id)!.status).toBe('queued');
    await new Promise((resolve) => setImmediate(resolve));
    r.scenarios.abort(first.run.id);
    const one = (await r.scenarios.finished(first.run.id))!;
    expect(one.status).toBe('aborted');
    expect(statuses(one)).toEqual(['skipped', 'skipped']);
    expect((await r.scenarios.finished(second.run.id))!.status).toBe('passed');
    expect(r.scenarios.list().map((v) => v.id)).toEqual(['s1', 's2']);
  });

  it('#14.8: past maxQueued waiting runs start() refuses and counts; only maxKept finished runs are kept', async () => {
    const r = await scenarioRig();
    const scenarios = new ScenarioController({ device: r.device, clock: r.clock, signals: r.signals }, undefined, { maxQueued: 2, maxKept: 3 });
    onTestFinished(() => scenarios.stop());
    const blocker = scenarios.start({ name: 'blocker', steps: [{ waitFor: { target: '1/1', attribute: 'diStatus', equals: 1, timeoutMs: 86_400_000 } }] });
    await new Promise((resolve) => setImmediate(resolve));
    const queued = [scenarios.start({ name: 'q1', steps: [{ log: 'a' }] }), scenarios.start({ name: 'q2', steps: [{ log: 'b' }] })];
    expect([blocker.ok, ...queued.map((q) => q.ok)]).toEqual([true, true, true]);
    expect(scenarios.start({ name: 'q3', steps: [{ log: 'c' }] })).toEqual({ ok: false, full: { queued: 2, maxQueued: 2 } });
    expect(scenarios.start('not even a document')).toMatchObject({ ok: false, full: { queued: 2 } }); // refused before it is validated
    expect(r.device.refusals.get('scenario_queue')).toBe(2);
    expect(scenarios.list().map((v) => [v.id, v.status, v.stepCounts.total])).toEqual([
      ['s1', 'running', 1],
      ['s2', 'queued', 1],
      ['s3', 'queued', 1],
    ]);
    scenarios.abort('s1');
    await scenarios.finished('s3');
    for (const name of ['q4', 'q5']) {
      const run = scenarios.start({ name, steps: [{ log: name }] });
      if (run.ok) await scenarios.finished(run.run.id);
    }
    expect(scenarios.list().map((v) => v.id)).toEqual(['s3', 's4', 's5']);
    expect(scenarios.get('s1')).toBeUndefined();
  });

  it('gives the same journal on two fresh devices with the same seed', async () => {
    const journals = [];
    for (let i = 0; i < 2; i++) {
      const r = await scenarioRig('profiles/tank-station.yaml', 7);
      const text = await readFile('profiles/scenarios/tank-station-selftest.yaml', 'utf8');
      const parsed = parseScenario('tank-station-selftest.yaml', text);
      if (!parsed.ok) throw new Error('invalid');
      const view = r.scenarios.submit(parsed.scenario, parsed.inputs);
      expect((await r.scenarios.finished(view.id))!.status).toBe('passed');
      // Let the random walk and ramp run on too, so the seed matters.
      await run(r, { name: 'more', steps: [{ wait: 20000 }] });
      journals.push(r.device.journal.query());
    }
    expect(journals[0]!.length).toBeGreaterThan(50);
    expect(journals[1]).toEqual(journals[0]);
  });
});
