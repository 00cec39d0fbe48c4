/**
 * Runs one scenario's steps in order on the one clock and records each in the journal of the
 * device(s) it acted on (kind `scenario`, source `scenario`, action = the step's description,
 * result = passed/failed and the detail).
 *
 *   step ─► which devices: step.device ?? scenario.device ─► DeviceLookup (a lone device: itself;
 *           a fleet: by name, src/fleet/scenarios.ts); a device gone since submit fails the step
 *        ─► set / write / signal / fault / clearFault / log   act now, on each device in turn
 *        ─► wait / waitFor                                   let device time pass:
 *              manual clock: the runner advances it, to the next due timer at a time (1 ms
 *                            when none waits and a waitFor polls), yielding one event-loop turn
 *                            between advances so sockets (Modbus, MQTT peers) make progress
 *              real clock:   a clock timer, and the condition checked on every journal entry,
 *                            every MQTT message and every 50 ms
 *        ─► assert                                           check now; on several devices it must hold on each
 *
 * A failed step (an assert that does not hold, a waitFor that times out, an action a device
 * refuses) fails the run and skips the rest, unless it has `continueOnFailure`. Faults the run
 * injected that are still active at its end are cleared, so a run leaves no fault behind.
 */
import type { Channel } from '../device/channel.js';
import { ManualClock, type TimerHandle } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { writeField } from '../device/field-write.js';
import { resolveChannelRef } from '../config/profile.js';
import { describeStep, evaluate, mqttMessageSchema, type Evaluation, type MqttMessage, type Window } from './scenario-conditions.js';
import type { DeviceLookup, ScenarioTarget } from './scenario-devices.js';
import { actionOf, touchesDevice, type Condition, type Scenario, type StepAction, type StepDevices } from './scenario-schema.js';
import type { Clock } from '../device/clock.js';
import type { RunEvent, RunResult, RunStatus, RunSummary, StepCounts, StepResult, StepStatus } from './contract.js';

// Where a run finds its devices (declared with the lookup).
export type { DeviceLookup, ScenarioHost, ScenarioRig, ScenarioSignals, ScenarioTarget } from './scenario-devices.js';

/** What a run needs: the one clock and where its devices are. */
export interface RunRig {
  clock: Clock;
  lookup: DeviceLookup;
}

// A run's documents (GET /sim/v1/scenarios...) are declared in the contract.
export type { RunEvent, RunResult, RunStatus, RunSummary, StepCounts, StepResult, StepStatus };

/** Real-clock waits re-check conditions this often, for values that change without a journal entry. */
const POLL_MS = 50;
/**
 * MQTT messages a run keeps for its counts: the last this many (the journal's ring holds as many
 * entries). A run that waits a day under a publish flood holds no more (#14: every input bounded).
 */
const MQTT_KEPT = 10_000;

interface Outcome {
  passed: boolean;
  detail: string | null;
}

/** The channel a step is about, so its journal entry carries the ioName. */
function targetOf(action: StepAction): string | undefined {
  switch (action.type) {
    case 'set':
    case 'write':
    case 'signal':
      return action.spec.target;
    case 'waitFor':
    case 'assert':
      return action.spec.target ?? action.spec.journal?.ioName;
    case 'fault':
      return action.spec.spec.kind === 'channel' ? action.spec.spec.target : undefined;
    default:
      return undefined;
  }
}

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An MQTT message a run heard, with the device that published or received it. */
interface Heard {
  device: Device;
  message: MqttMessage;
}

/** Where a condition counts from: per device, the journal seq already seen; the MQTT message number of the run already seen. */
interface RunWindow {
  seq: ReadonlyMap<Device, number>;
  mqttIndex: number;
}

/** A fault the run injected, on the device it went to. */
interface Injected {
  device: Device;
  id: string;
}

/** Per-device parts a step's detail lists: a step on all of 1,000 devices says how many, and the first few. */
const DETAIL_DEVICES = 3;

function listed(parts: readonly string[]): string {
  return parts.slice(0, DETAIL_DEVICES).join('; ') + (parts.length > DETAIL_DEVICES ? `; and ${parts.length - DETAIL_DEVICES} more` : '');
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class ScenarioRun {
  private state: RunStatus = 'queued';
  private startedAt: number | null = null;
  private endedAt: number | null = null;
  private readonly steps: StepResult[];
  private aborted = false;
  /** Ends a real-clock wait early on abort. */
  private wake: (() => void) | undefined;
  /** The last MQTT_KEPT messages this run heard; mqtt[0] is message number mqttBase of the run. */
  private mqtt: Heard[] = [];
  private mqttBase = 0;
  private readonly mqttListeners = new Set<() => void>();
  private readonly faultIds = new Map<string, Injected[]>();
  private readonly injected: Injected[] = [];
  /** The devices the scenario names, as they ran at its start: its start and end are in their journals. */
  private involved: ScenarioTarget[] = [];
  /** Journal seq per device when the run started (a device first met later: when it was met). */
  private readonly runSeq = new Map<Device, number>();

  constructor(
    readonly id: string,
    private readonly scenario: Scenario,
    inputs: readonly unknown[],
    private readonly rig: RunRig,
    private readonly emit: (event: RunEvent) => void,
  ) {
    this.steps = scenario.steps.map((step, index) => ({
      index,
      step: inputs[index] ?? step,
      description: describeStep(step),
      status: 'pending',
      startedAt: null,
      endedAt: null,
      detail: null,
    }));
  }

  get status(): RunStatus {
    return this.state;
  }

  get finished(): boolean {
    return this.state !== 'queued' && this.state !== 'running';
  }

  view(): RunResult {
    return { ...this.head(), steps: this.steps.map((s) => ({ ...s })) };
  }

  summary(): RunSummary {
    const stepCounts: StepCounts = { total: this.steps.length, pending: 0, running: 0, passed: 0, failed: 0, skipped: 0 };
    for (const s of this.steps) stepCounts[s.status] += 1;
    return { ...this.head(), stepCounts };
  }

  /** What the full view and the summary share. */
  private head(): Omit<RunSummary, 'stepCounts'> {
    return {
      id: this.id,
      name: this.scenario.name,
      description: this.scenario.description ?? null,
      status: this.state,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
    };
  }

  /** Stops at the next step boundary or wait; the current and remaining steps are skipped. */
  abort(): void {
    this.aborted = true;
    this.wake?.();
  }

  async run(): Promise<RunResult> {
    const { clock, lookup } = this.rig;
    if (this.aborted) return this.finish('aborted');
    this.state = 'running';
    this.startedAt = clock.now();
    this.involved = lookup.involved(this.scenario);
    // MQTT messages are kept only for a run that counts them, and only while it runs (#14 point 8).
    const countsMqtt = this.scenario.steps.some((s) => s.waitFor?.mqtt !== undefined || s.assert?.mqtt !== undefined);
    const unsubscribes = countsMqtt ? this.involved.flatMap((target) => target.onMqttMessage?.((message) => this.hear(target.device, message)) ?? []) : [];
    this.record(this.involved, `scenario ${this.scenario.name} (${this.id}) started`, 'running', undefined);
    for (const { device } of this.involved) this.runSeq.set(device, device.journal.lastSeq);
    let failed = false;
    try {
      for (const result of this.steps) {
        const step = this.scenario.steps[result.index]!;
        if (this.aborted || failed) {
          this.settle(result, 'skipped', this.aborted ? 'aborted' : 'an earlier step failed', undefined, this.quietTargets(step.device));
          continue;
        }
        result.status = 'running';
        result.startedAt = clock.now();
        const action = actionOf(step);
        let outcome: Outcome;
        let targets: ScenarioTarget[] = [];
        try {
          // A step on a device must find it (a device removed from a fleet since submit fails the step); a wait or log need not.
          targets = touchesDevice(step) ? lookup.resolve(step.device ?? this.scenario.device) : this.quietTargets(step.device);
          outcome = await this.perform(action, step.device ?? this.scenario.device, targets);
        } catch (error) {
          outcome = { passed: false, detail: messageOf(error) };
        }
        if (this.aborted) {
          this.settle(result, 'skipped', 'aborted', action, targets);
          continue;
        }
        this.settle(result, outcome.passed ? 'passed' : 'failed', outcome.detail, action, targets);
        if (!outcome.passed && !step.continueOnFailure) failed = true;
      }
    } finally {
      for (const unsubscribe of unsubscribes) unsubscribe();
      for (const { device, id } of this.injected) device.faults.clear(id);
    }
    return this.finish(this.aborted ? 'aborted' : failed ? 'failed' : 'passed');
  }

  private hear(device: Device, message: object): void {
    const parsed = mqttMessageSchema.safeParse(message);
    if (!parsed.success) return;
    this.mqtt.push({ device, message: parsed.data });
    // A bounded window, as the journal is a ring: a long run under a publish flood keeps the last MQTT_KEPT.
    if (this.mqtt.length > 2 * MQTT_KEPT) {
      this.mqttBase += this.mqtt.length - MQTT_KEPT;
      this.mqtt = this.mqtt.slice(-MQTT_KEPT);
    }
    for (const listener of this.mqttListeners) listener();
  }

  /** The devices a step names, or none if one of them is gone (a skipped step is journaled where it can be). */
  private quietTargets(devices: StepDevices | undefined): ScenarioTarget[] {
    try {
      return this.rig.lookup.resolve(devices ?? this.scenario.device);
    } catch {
      return [];
    }
  }

  private finish(status: RunStatus): RunResult {
    this.mqtt = []; // a kept run holds its results, not the messages it saw
    for (const result of this.steps) if (result.status === 'pending') this.settle(result, 'skipped', 'aborted', undefined, []);
    this.state = status;
    this.endedAt = this.rig.clock.now();
    this.record(this.involved, `scenario ${this.scenario.name} (${this.id}) ended`, status, undefined);
    const view = this.view();
    this.emit({ type: 'end', run: view });
    return view;
  }

  private settle(result: StepResult, status: StepStatus, detail: string | null, action: StepAction | undefined, targets: readonly ScenarioTarget[]): void {
    result.status = status;
    result.detail = detail;
    result.startedAt ??= this.rig.clock.now();
    result.endedAt = this.rig.clock.now();
    // A step on no device of its own (a wait, a log) is journaled where the run's start is.
    this.record(targets.length > 0 ? targets : this.involved, `step ${result.index}: ${result.description}`, detail === null ? status : `${status}: ${detail}`, action);
    this.emit({ type: 'step', step: { ...result } });
  }

  private record(targets: readonly ScenarioTarget[], action: string, result: string, step: StepAction | undefined): void {
    const ref = step ? targetOf(step) : undefined;
    for (const { device } of targets) {
      const ioName = ref === undefined ? undefined : resolveChannelRef(device, ref)?.ioName;
      device.journal.record({ kind: 'scenario', source: 'scenario', peer: null, ...(ioName ? { ioName } : {}), action, result });
    }
  }

  private channel(device: Device, ref: string): Channel {
    const channel = resolveChannelRef(device, ref);
    // The check refused unknown targets before the run; a restart could still change the rail.
    if (!channel) throw new Error(`no channel ${ref}`);
    return channel;
  }

  /**
   * Acts on each device in turn. One device: its detail, and what it refuses fails the step. Several:
   * every device is acted on; the step fails if any refused, naming the first few.
   */
  private onEach(targets: readonly ScenarioTarget[], act: (target: ScenarioTarget) => string | null): Outcome {
    if (targets.length === 1) return { passed: true, detail: act(targets[0]!) };
    const refused: string[] = [];
    const details: { name: string; detail: string }[] = [];
    for (const target of targets) {
      try {
        const detail = act(target);
        if (detail !== null) details.push({ name: target.name, detail });
      } catch (error) {
        refused.push(`${target.name}: ${messageOf(error)}`);
      }
    }
    if (refused.length > 0) return { passed: false, detail: `${refused.length} of ${targets.length} devices refused: ${listed(refused)}` };
    // The same detail everywhere (`doStatus = 1`) is said once; different ones (fault ids) per device.
    const first = details[0]?.detail;
    if (details.length === targets.length && details.every((d) => d.detail === first)) return { passed: true, detail: `${first} on ${targets.length} devices` };
    return { passed: true, detail: details.length === 0 ? `on ${targets.length} devices` : listed(details.map((d) => `${d.name}: ${d.detail}`)) };
  }

  private async perform(action: StepAction, selection: StepDevices | undefined, targets: readonly ScenarioTarget[]): Promise<Outcome> {
    switch (action.type) {
      case 'set': {
        const { target, ...input } = action.spec;
        // The field side, as PUT /sim/v1/slots/{slot}/channels/{index} does it: a running signal
        // is detached, or it would overwrite the value at its next step (#15 item 3).
        return this.onEach(targets, ({ device, signals }) => {
          writeField(this.channel(device, target), input, { source: 'scenario', signals });
          return null;
        });
      }
      case 'write': {
        const { target, attribute, value } = action.spec;
        // A write as a protocol would do it; the journal's write source is `scenario`.
        return this.onEach(targets, ({ device }) => {
          const channel = this.channel(device, target);
          channel.write(attribute, value, 'scenario');
          return `${attribute} = ${channel.read(attribute)}`;
        });
      }
      case 'signal': {
        const { target, signal } = action.spec;
        return this.onEach(targets, ({ device, signals }) => {
          const channel = this.channel(device, target);
          if (signal === null) return signals.detach(channel) ? 'detached' : 'no signal was attached';
          signals.attach(channel, signal);
          return null;
        });
      }
      case 'wait':
        await this.elapse(action.ms, undefined, []);
        return { passed: true, detail: null };
      case 'waitFor': {
        const spec = action.spec;
        const window = this.windowFor(spec, targets);
        const started = this.rig.clock.monotonic();
        // The devices are looked up again at every check: one removed while the step waits ends the wait and fails it.
        let lost: unknown;
        const check = (): boolean => {
          try {
            return this.evaluateAll(this.rig.lookup.resolve(selection), spec, window, 'waitFor').holds;
          } catch (error) {
            lost = error;
            return true;
          }
        };
        const held = await this.elapse(spec.timeoutMs, check, targets);
        if (lost !== undefined) throw lost;
        const { detail } = this.evaluateAll(this.rig.lookup.resolve(selection), spec, window, 'waitFor');
        const took = this.rig.clock.monotonic() - started;
        return held ? { passed: true, detail: `${detail} after ${took} ms` } : { passed: false, detail: `timed out after ${spec.timeoutMs} ms: ${detail}` };
      }
      case 'assert': {
        const { holds, detail } = this.evaluateAll(targets, action.spec, this.windowFor(action.spec, targets), 'assert');
        return { passed: holds, detail };
      }
      case 'fault': {
        const { spec, as } = action.spec;
        return this.onEach(targets, ({ device }) => {
          const fault = device.faults.inject(spec);
          const injected = { device, id: fault.id };
          this.injected.push(injected);
          if (as !== undefined) this.faultIds.set(as, [...(this.faultIds.get(as) ?? []), injected]);
          return `fault ${fault.id}`;
        });
      }
      case 'clearFault': {
        const name = action.name;
        if (name === 'all') return this.onEach(targets, ({ device }) => `cleared ${device.faults.clearAll()}`);
        return this.onEach(targets, ({ device }) => {
          const ids = (this.faultIds.get(name) ?? []).filter((f) => f.device === device).map((f) => f.id);
          // A fault with a `count` clears itself; clearing it again is not a failure.
          const cleared = ids.filter((id) => device.faults.clear(id));
          return cleared.length > 0 ? `cleared ${cleared.join(', ')}` : 'no longer active';
        });
      }
      case 'log':
        return { passed: true, detail: null };
    }
  }

  /** A condition on every device a step names: it holds when it holds on each. */
  private evaluateAll(targets: readonly ScenarioTarget[], condition: Condition, window: RunWindow, mode: 'waitFor' | 'assert'): Evaluation {
    if (targets.length === 1) return this.evaluateOn(targets[0]!, condition, window, mode);
    const failing: string[] = [];
    for (const target of targets) {
      const evaluation = this.evaluateOn(target, condition, window, mode);
      if (!evaluation.holds) failing.push(`${target.name}: ${evaluation.detail}`);
    }
    if (failing.length === 0) return { holds: true, detail: `holds on ${targets.length} devices` };
    return { holds: false, detail: `${failing.length} of ${targets.length} devices: ${listed(failing)}` };
  }

  private evaluateOn(target: ScenarioTarget, condition: Condition, window: RunWindow, mode: 'waitFor' | 'assert'): Evaluation {
    const { device } = target;
    const journalSeq = window.seq.get(device) ?? this.runSeqOf(device);
    // Only an MQTT condition needs the messages: the device's own, from the window on, of those still held.
    const messages = condition.mqtt ? this.mqtt.slice(Math.max(0, window.mqttIndex - this.mqttBase)).flatMap((h) => (h.device === device ? [h.message] : [])) : [];
    const held: Window = { journalSeq, mqttIndex: 0 };
    return evaluate(device, condition, held, messages, mode);
  }

  /** Where a device's run window starts: the run's start, or when the run first met the device. */
  private runSeqOf(device: Device): number {
    let seq = this.runSeq.get(device);
    if (seq === undefined) this.runSeq.set(device, (seq = device.journal.lastSeq));
    return seq;
  }

  private windowFor(condition: Condition, targets: readonly ScenarioTarget[]): RunWindow {
    if (condition.window !== 'step') return { seq: this.runSeq, mqttIndex: 0 };
    return { seq: new Map(targets.map(({ device }) => [device, device.journal.lastSeq])), mqttIndex: this.mqttBase + this.mqtt.length };
  }

  /**
   * Lets `ms` of device time pass, or less if `until` holds first; resolves whether it held. The
   * condition is checked before any time passes and after every advance (on a real clock, also on
   * each journal entry of `targets`).
   */
  private elapse(ms: number, until: (() => boolean) | undefined, targets: readonly ScenarioTarget[]): Promise<boolean> {
    const clock = this.rig.clock;
    return clock instanceof ManualClock ? this.elapseManual(clock, ms, until) : this.elapseReal(ms, until, targets);
  }

  private async elapseManual(clock: ManualClock, ms: number, until: (() => boolean) | undefined): Promise<boolean> {
    const end = clock.monotonic() + ms;
    for (;;) {
      if (until?.()) return true;
      const left = end - clock.monotonic();
      if (left <= 0 || this.aborted) return false;
      // To the next due timer; with none, a waitFor polls in 1 ms steps (an outside peer may act) and a wait jumps.
      const next = clock.nextDueIn() ?? (until ? 1 : left);
      clock.advance(Math.min(left, next));
      await yieldTurn();
    }
  }

  private elapseReal(ms: number, until: (() => boolean) | undefined, targets: readonly ScenarioTarget[]): Promise<boolean> {
    const { clock } = this.rig;
    return new Promise<boolean>((resolve) => {
      const handles: (TimerHandle | undefined)[] = [];
      const cleanups: (() => void)[] = [];
      let done = false;
      const finish = (held: boolean) => {
        if (done) return;
        done = true;
        for (const h of handles) clock.clear(h);
        for (const c of cleanups) c();
        this.wake = undefined;
        resolve(held);
      };
      if (until?.()) {
        finish(true);
        return;
      }
      if (this.aborted) {
        finish(false);
        return;
      }
      this.wake = () => finish(false);
      handles.push(clock.setTimeout(() => finish(until?.() ?? false), ms));
      if (until) {
        const check = () => {
          if (until()) finish(true);
        };
        for (const { device } of targets) cleanups.push(device.journal.onEntry(check));
        this.mqttListeners.add(check);
        cleanups.push(() => this.mqttListeners.delete(check));
        handles.push(clock.setInterval(check, POLL_MS));
      }
    });
  }
}
