/**
 * Runs one scenario's steps in order on the device clock and records each in the journal
 * (kind `scenario`, source `scenario`, action = the step's description, result = passed/failed
 * and the detail).
 *
 *   step ─► set / write / signal / fault / clearFault / log   act now
 *        ─► wait / waitFor                                   let device time pass:
 *              manual clock: the runner advances it, to the next due timer at a time (1 ms
 *                            when none waits and a waitFor polls), yielding one event-loop turn
 *                            between advances so sockets (Modbus, MQTT peers) make progress
 *              real clock:   a clock timer, and the condition checked on every journal entry,
 *                            every MQTT message and every 50 ms
 *        ─► assert                                           check now
 *
 * A failed step (an assert that does not hold, a waitFor that times out, an action the device
 * refuses) fails the run and skips the rest, unless it has `continueOnFailure`. Faults the run
 * injected that are still active at its end are cleared, so a run leaves no fault behind.
 */
import type { Channel } from '../device/channel.js';
import { ManualClock, type TimerHandle } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { writeField } from '../device/field-write.js';
import type { SignalSpec } from '../device/schema.js';
import type { Clock } from '../device/clock.js';
import { resolveChannelRef } from '../config/profile.js';
import { describeStep, evaluate, mqttMessageSchema, type MqttMessage, type Window } from './scenario-conditions.js';
import { actionOf, type Condition, type Scenario, type StepAction } from './scenario-schema.js';
import type { RunEvent, RunResult, RunStatus, RunSummary, StepCounts, StepResult, StepStatus } from './contract.js';

/** The signal generators as the runner needs them; src/sim/signals.ts SignalRunner fits. */
export interface ScenarioSignals {
  attach(channel: Channel, spec: SignalSpec): void;
  detach(channel: Channel): boolean;
}

/** What a run acts on. */
export interface ScenarioRig {
  device: Device;
  clock: Clock;
  signals: ScenarioSignals;
  /** Calls the listener with each MQTT message published or received; returns the unsubscribe. Absent when MQTT is off. */
  onMqttMessage?: (listener: (message: object) => void) => () => void;
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

export class ScenarioRun {
  private state: RunStatus = 'queued';
  private startedAt: number | null = null;
  private endedAt: number | null = null;
  private readonly steps: StepResult[];
  private aborted = false;
  /** Ends a real-clock wait early on abort. */
  private wake: (() => void) | undefined;
  /** The last MQTT_KEPT messages this run saw; mqtt[0] is message number mqttBase of the run. */
  private mqtt: MqttMessage[] = [];
  private mqttBase = 0;
  private readonly mqttListeners = new Set<() => void>();
  private readonly faultIds = new Map<string, string>();
  private readonly injected = new Set<string>();
  private runWindow: Window = { journalSeq: 0, mqttIndex: 0 };

  constructor(
    readonly id: string,
    private readonly scenario: Scenario,
    inputs: readonly unknown[],
    private readonly rig: ScenarioRig,
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
    const { device, clock } = this.rig;
    if (this.aborted) return this.finish('aborted');
    this.state = 'running';
    this.startedAt = clock.now();
    // MQTT messages are kept only for a run that counts them, and only while it runs (#14 point 8).
    const countsMqtt = this.scenario.steps.some((s) => s.waitFor?.mqtt !== undefined || s.assert?.mqtt !== undefined);
    const unsubscribe = countsMqtt ? this.rig.onMqttMessage?.((message) => {
      const parsed = mqttMessageSchema.safeParse(message);
      if (!parsed.success) return;
      this.mqtt.push(parsed.data);
      // A bounded window, as the journal is a ring: a long run under a publish flood keeps the last MQTT_KEPT.
      if (this.mqtt.length > 2 * MQTT_KEPT) {
        this.mqttBase += this.mqtt.length - MQTT_KEPT;
        this.mqtt = this.mqtt.slice(-MQTT_KEPT);
      }
      for (const listener of this.mqttListeners) listener();
    }) : undefined;
    this.record(`scenario ${this.scenario.name} (${this.id}) started`, 'running', undefined);
    this.runWindow = { journalSeq: device.journal.lastSeq, mqttIndex: 0 };
    let failed = false;
    try {
      for (const result of this.steps) {
        if (this.aborted || failed) {
          this.settle(result, 'skipped', this.aborted ? 'aborted' : 'an earlier step failed', undefined);
          continue;
        }
        const step = this.scenario.steps[result.index]!;
        result.status = 'running';
        result.startedAt = clock.now();
        const action = actionOf(step);
        let outcome: Outcome;
        try {
          outcome = await this.perform(action);
        } catch (error) {
          outcome = { passed: false, detail: error instanceof Error ? error.message : String(error) };
        }
        if (this.aborted) {
          this.settle(result, 'skipped', 'aborted', action);
          continue;
        }
        this.settle(result, outcome.passed ? 'passed' : 'failed', outcome.detail, action);
        if (!outcome.passed && !step.continueOnFailure) failed = true;
      }
    } finally {
      unsubscribe?.();
      for (const id of this.injected) device.faults.clear(id);
    }
    return this.finish(this.aborted ? 'aborted' : failed ? 'failed' : 'passed');
  }

  private finish(status: RunStatus): RunResult {
    this.mqtt = []; // a kept run holds its results, not the messages it saw
    for (const result of this.steps) if (result.status === 'pending') this.settle(result, 'skipped', 'aborted', undefined);
    this.state = status;
    this.endedAt = this.rig.clock.now();
    this.record(`scenario ${this.scenario.name} (${this.id}) ended`, status, undefined);
    const view = this.view();
    this.emit({ type: 'end', run: view });
    return view;
  }

  private settle(result: StepResult, status: StepStatus, detail: string | null, action: StepAction | undefined): void {
    result.status = status;
    result.detail = detail;
    result.startedAt ??= this.rig.clock.now();
    result.endedAt = this.rig.clock.now();
    this.record(`step ${result.index}: ${result.description}`, detail === null ? status : `${status}: ${detail}`, action);
    this.emit({ type: 'step', step: { ...result } });
  }

  private record(action: string, result: string, step: StepAction | undefined): void {
    const ref = step ? targetOf(step) : undefined;
    const ioName = ref === undefined ? undefined : resolveChannelRef(this.rig.device, ref)?.ioName;
    this.rig.device.journal.record({ kind: 'scenario', source: 'scenario', peer: null, ...(ioName ? { ioName } : {}), action, result });
  }

  private channel(ref: string): Channel {
    const channel = resolveChannelRef(this.rig.device, ref);
    // checkScenario refused unknown targets before the run; a restart could still change the rail.
    if (!channel) throw new Error(`no channel ${ref}`);
    return channel;
  }

  private async perform(action: StepAction): Promise<Outcome> {
    const { device, signals } = this.rig;
    switch (action.type) {
      case 'set': {
        const { target, ...input } = action.spec;
        // The field side, as PUT /sim/v1/slots/{slot}/channels/{index} does it: a running signal
        // is detached, or it would overwrite the value at its next step (#15 item 3).
        writeField(this.channel(target), input, { source: 'scenario', signals });
        return { passed: true, detail: null };
      }
      case 'write': {
        const { target, attribute, value } = action.spec;
        const channel = this.channel(target);
        // A write as a protocol would do it; the journal's write source is `sim`, as for /sim/v1 writes.
        channel.write(attribute, value, 'scenario');
        return { passed: true, detail: `${attribute} = ${channel.read(attribute)}` };
      }
      case 'signal': {
        const channel = this.channel(action.spec.target);
        if (action.spec.signal === null) return { passed: true, detail: signals.detach(channel) ? 'detached' : 'no signal was attached' };
        signals.attach(channel, action.spec.signal);
        return { passed: true, detail: null };
      }
      case 'wait':
        await this.elapse(action.ms, undefined);
        return { passed: true, detail: null };
      case 'waitFor': {
        const spec = action.spec;
        const window = this.windowFor(spec);
        const started = this.rig.clock.monotonic();
        const held = await this.elapse(spec.timeoutMs, () => evaluate(device, spec, this.held(window), this.mqtt, 'waitFor').holds);
        const { detail } = evaluate(device, spec, this.held(window), this.mqtt, 'waitFor');
        const took = this.rig.clock.monotonic() - started;
        return held ? { passed: true, detail: `${detail} after ${took} ms` } : { passed: false, detail: `timed out after ${spec.timeoutMs} ms: ${detail}` };
      }
      case 'assert': {
        const { holds, detail } = evaluate(device, action.spec, this.held(this.windowFor(action.spec)), this.mqtt, 'assert');
        return { passed: holds, detail };
      }
      case 'fault': {
        const fault = device.faults.inject(action.spec.spec);
        this.injected.add(fault.id);
        if (action.spec.as !== undefined) this.faultIds.set(action.spec.as, fault.id);
        return { passed: true, detail: `fault ${fault.id}` };
      }
      case 'clearFault': {
        if (action.name === 'all') return { passed: true, detail: `cleared ${device.faults.clearAll()}` };
        const id = this.faultIds.get(action.name);
        // A fault with a `count` clears itself; clearing it again is not a failure.
        return { passed: true, detail: id !== undefined && device.faults.clear(id) ? `cleared ${id}` : 'no longer active' };
      }
      case 'log':
        return { passed: true, detail: null };
    }
  }

  private windowFor(condition: Condition): Window {
    return condition.window === 'step' ? { journalSeq: this.rig.device.journal.lastSeq, mqttIndex: this.mqttBase + this.mqtt.length } : this.runWindow;
  }

  /** A window (message numbers of the run) as indexes into the messages still held. */
  private held(window: Window): Window {
    return { ...window, mqttIndex: Math.max(0, window.mqttIndex - this.mqttBase) };
  }

  /**
   * Lets `ms` of device time pass, or less if `until` holds first; resolves whether it held. The
   * condition is checked before any time passes and after every advance.
   */
  private elapse(ms: number, until: (() => boolean) | undefined): Promise<boolean> {
    const clock = this.rig.clock;
    return clock instanceof ManualClock ? this.elapseManual(clock, ms, until) : this.elapseReal(ms, until);
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

  private elapseReal(ms: number, until: (() => boolean) | undefined): Promise<boolean> {
    const { clock, device } = this.rig;
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
        cleanups.push(device.journal.onEntry(check));
        this.mqttListeners.add(check);
        cleanups.push(() => this.mqttListeners.delete(check));
        handles.push(clock.setInterval(check, POLL_MS));
      }
    });
  }
}
