/**
 * The scenario runs of one emulator: submitted runs queue and run one at a time in the order
 * they came (two runs driving one device clock at once would interleave their steps), and
 * listeners hear each step result and the end. The emulator API drives it as its ScenarioControl
 * (src/sim/contract.ts).
 *
 * Bounded (#14 point 8, profile `limits.scenarios`): at most `maxQueued` runs wait behind the
 * running one (a document submitted past it is refused before it is even validated, and counted
 * as `scenario_queue`), and at most `maxKept` finished runs are kept (the oldest forgotten first).
 *
 *   start(doc) ─► queue full? ─► refused (429)
 *              └► validate ─► check against the device(s) ─► queued ─► running ─► finished (kept)
 *
 * It runs on a ScenarioHost (src/sim/scenario-devices.ts): one emulator's (every step on its
 * device), or a fleet's (src/fleet/scenarios.ts: steps name their devices).
 */
import { scenarioLimitsSchema, type Limits } from '../config/limits.js';
import { Listeners, type ListenerLogger } from '../device/listeners.js';
import type { ScenarioControl, ScenarioSubmit } from './contract.js';
import { isScenarioHost, loneDevice, type ScenarioHost, type ScenarioRig, type ScenarioTarget } from './scenario-devices.js';
import { validateScenario, type ScenarioProblem } from './scenario-load.js';
import { ScenarioRun, type RunEvent, type RunResult, type RunSummary } from './scenario-runner.js';
import type { Scenario } from './scenario-schema.js';

export type ScenarioLimits = Limits['scenarios'];

/** Where a failed run and a failing run listener are logged. */
export type ScenarioLogger = ListenerLogger;

export type { ScenarioSubmit };

export class ScenarioController implements ScenarioControl {
  private readonly runs: ScenarioRun[] = [];
  private readonly listeners = new Map<string, Listeners<RunEvent>>();
  private readonly done = new Map<string, Promise<RunResult>>();
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  private readonly host: ScenarioHost;
  /** The device of a controller made from one device's rig (a fleet reaches each device's parts here); undefined on a fleet's. */
  readonly target: ScenarioTarget | undefined;

  /** `rig`: one emulator's device, clock and signals; or a host that looks devices up by name (a fleet's). */
  constructor(
    rig: ScenarioRig | ScenarioHost,
    private readonly logger?: ScenarioLogger,
    private readonly limits: ScenarioLimits = scenarioLimitsSchema.parse({}),
  ) {
    if (isScenarioHost(rig)) {
      this.host = rig;
      this.target = undefined;
    } else {
      const lone = loneDevice(rig);
      this.host = lone;
      this.target = lone.target;
    }
  }

  /** What the schema cannot know, against the device(s) now: every problem with its path, `file` naming the document. */
  check(file: string, scenario: Scenario): ScenarioProblem[] {
    return this.host.check(file, scenario);
  }

  /**
   * Validates a document (schema, then against the device(s)) and queues it; `file` names it in
   * problems. Refused, and counted, when `maxQueued` runs already wait.
   */
  start(document: unknown, file = 'scenario'): ScenarioSubmit {
    const queued = this.runs.filter((r) => r.status === 'queued').length;
    if (queued >= this.limits.maxQueued) {
      this.host.refusals.count('scenario_queue');
      return { ok: false, full: { queued, maxQueued: this.limits.maxQueued } };
    }
    const parsed = validateScenario(file, document);
    if (!parsed.ok) return parsed;
    const problems = this.host.check(file, parsed.scenario);
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, run: this.submit(parsed.scenario, parsed.inputs) };
  }

  /**
   * Queues a scenario already validated and checked; `inputs` are its steps as written, for
   * results. Not bounded by maxQueued: the command line (`start --scenario`, `run-scenario`)
   * queues what its operator named, not what a client sent.
   */
  submit(scenario: Scenario, inputs: readonly unknown[]): RunResult {
    const id = `s${this.nextId++}`;
    const run = new ScenarioRun(id, scenario, inputs, this.host, (event) => this.emit(id, event));
    this.runs.push(run);
    const result = this.queue.then(() => run.run());
    this.queue = result.catch((error: unknown) => this.logger?.error({ err: error, run: id }, 'scenario run failed'));
    this.done.set(id, result);
    return run.view();
  }

  /** Every kept run, oldest first, as a summary: step counts, not steps (GET /scenarios/{id} has those). */
  list(): RunSummary[] {
    return this.runs.map((r) => r.summary());
  }

  get(id: string): RunResult | undefined {
    return this.find(id)?.view();
  }

  /** Aborts a queued or running run; a finished one is left as it is. */
  abort(id: string): RunResult | undefined {
    const run = this.find(id);
    if (!run) return undefined;
    if (!run.finished) run.abort();
    return run.view();
  }

  /** Resolves with the final result once the run ends. */
  finished(id: string): Promise<RunResult> | undefined {
    return this.done.get(id);
  }

  /** Hears each step result and the end of one run; undefined for an unknown id. */
  subscribe(id: string, listener: (event: RunEvent) => void): (() => void) | undefined {
    if (!this.find(id)) return undefined;
    let set = this.listeners.get(id);
    if (!set) {
      set = new Listeners<RunEvent>('scenario', this.logger, () => ({ run: id }));
      this.listeners.set(id, set);
    }
    return set.add(listener);
  }

  /** Aborts every run and waits for the one running to stop (emulator shutdown). */
  async stop(): Promise<void> {
    for (const run of this.runs) if (!run.finished) run.abort();
    await this.queue;
  }

  private find(id: string): ScenarioRun | undefined {
    return this.runs.find((r) => r.id === id);
  }

  private emit(id: string, event: RunEvent): void {
    this.listeners.get(id)?.emit(event);
    if (event.type === 'end') {
      this.listeners.delete(id);
      this.trim();
    }
  }

  /** Forgets the oldest finished runs past maxKept; called when a run ends (only that adds a finished one). */
  private trim(): void {
    let finished = this.runs.filter((r) => r.finished).length;
    while (finished > this.limits.maxKept) {
      const index = this.runs.findIndex((r) => r.finished);
      const [gone] = this.runs.splice(index, 1);
      if (gone) this.done.delete(gone.id);
      finished -= 1;
    }
  }
}
