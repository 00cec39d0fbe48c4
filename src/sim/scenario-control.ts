/**
 * The scenario runs of one emulator: submitted runs queue and run one at a time in the order
 * they came (two runs driving one device clock at once would interleave their steps), the
 * last HISTORY runs are kept, and listeners hear each step result and the end. Implements the
 * emulator API's ScenarioControl (src/http/options.ts) structurally, as SignalRunner does
 * SignalControl.
 */
import { checkScenario, validateScenario, type ScenarioProblem } from './scenario-load.js';
import { ScenarioRun, type RunEvent, type RunResult, type ScenarioRig } from './scenario-runner.js';
import type { Scenario } from './scenario-schema.js';

/** Runs kept for GET /sim/v1/scenarios; the oldest finished ones go first. */
export const HISTORY = 50;

export interface ScenarioLogger {
  error(obj: object, msg: string): void;
}

export type ScenarioSubmit = { ok: true; run: RunResult } | { ok: false; problems: ScenarioProblem[] };

export class ScenarioController {
  private readonly runs: ScenarioRun[] = [];
  private readonly listeners = new Map<string, Set<(event: RunEvent) => void>>();
  private readonly done = new Map<string, Promise<RunResult>>();
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  constructor(
    private readonly rig: ScenarioRig,
    private readonly logger?: ScenarioLogger,
  ) {}

  /** Validates a document (schema, then against this device) and queues it; `file` names it in problems. */
  start(document: unknown, file = 'scenario'): ScenarioSubmit {
    const parsed = validateScenario(file, document);
    if (!parsed.ok) return parsed;
    const problems = checkScenario(file, parsed.scenario, this.rig.device);
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, run: this.submit(parsed.scenario, parsed.inputs) };
  }

  /** Queues a scenario already validated and checked; `inputs` are its steps as written, for results. */
  submit(scenario: Scenario, inputs: readonly unknown[]): RunResult {
    const id = `s${this.nextId++}`;
    const run = new ScenarioRun(id, scenario, inputs, this.rig, (event) => this.emit(id, event));
    this.runs.push(run);
    this.trim();
    const result = this.queue.then(() => run.run());
    this.queue = result.catch((error: unknown) => this.logger?.error({ err: error, run: id }, 'scenario run failed'));
    this.done.set(id, result);
    return run.view();
  }

  list(): RunResult[] {
    return this.runs.map((r) => r.view());
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
    const set = this.listeners.get(id) ?? new Set();
    set.add(listener);
    this.listeners.set(id, set);
    return () => set.delete(listener);
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
    for (const listener of this.listeners.get(id) ?? []) {
      try {
        listener(event);
      } catch (error) {
        this.logger?.error({ err: error, run: id }, 'scenario listener failed');
      }
    }
    if (event.type === 'end') this.listeners.delete(id);
  }

  private trim(): void {
    while (this.runs.length > HISTORY) {
      const index = this.runs.findIndex((r) => r.finished);
      if (index < 0) return;
      const [gone] = this.runs.splice(index, 1);
      if (gone) this.done.delete(gone.id);
    }
  }
}
