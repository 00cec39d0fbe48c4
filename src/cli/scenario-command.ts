/**
 * Scenarios from the command line: `iothinx-sim run-scenario FILE` (a fresh emulator, the run,
 * one line per step, exit 0 passed / 1 failed / 2 invalid), `start --scenario FILE` (one run
 * once the emulator is ready; the emulator keeps running after it) and `fleet --scenario FILE`
 * (the same on the fleet's runs, whose steps name their devices).
 */
import { rm } from 'node:fs/promises';
import { writeFileAtomic } from '../config/atomic-write.js';
import { loadProfile } from '../config/load.js';
import { resolveProfile } from '../config/profile-name.js';
import { SimError } from '../errors.js';
import { loadScenario, type ScenarioProblem } from '../sim/scenario-load.js';
import type { ScenarioController } from '../sim/scenario-control.js';
import type { RunResult, StepResult } from '../sim/scenario-runner.js';
import type { Scenario } from '../sim/scenario-schema.js';
import { parseRunScenario } from './args.js';
import { inFile } from '../app/check.js';
import { createLogger } from '../app/logger.js';
import { Runner } from '../app/runner.js';

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
  /** The steps as written, for results. */
  inputs: unknown[];
}

/** main prints `context.problems` one per line and exits 2. */
function invalid(problems: ScenarioProblem[]): SimError {
  return new SimError('CLI_USAGE', problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n'), { context: { problems } });
}

export async function readScenario(file: string): Promise<LoadedScenario> {
  const parsed = await loadScenario(file);
  if (!parsed.ok) throw invalid(parsed.problems);
  return { file, scenario: parsed.scenario, inputs: parsed.inputs };
}

/**
 * Checks the scenario against the running device (or the fleet: `fleet --scenario`) and queues
 * it; throws the problems (exit 2).
 */
export function submitScenario(scenarios: ScenarioController, loaded: LoadedScenario, print: (line: string) => void): Promise<RunResult> {
  const problems = scenarios.check(loaded.file, loaded.scenario);
  if (problems.length > 0) throw invalid(problems);
  const { id } = scenarios.submit(loaded.scenario, loaded.inputs);
  scenarios.subscribe(id, (event) => {
    if (event.type === 'step') print(stepLine(event.step));
  });
  const done = scenarios.finished(id);
  if (!done) throw new SimError('HTTP_INTERNAL', `scenario run ${id} was not queued`);
  return done.then((run) => {
    const passed = run.steps.filter((s) => s.status === 'passed').length;
    const took = run.startedAt !== null && run.endedAt !== null ? `, ${run.endedAt - run.startedAt} ms device time` : '';
    print(`${run.status === 'passed' ? '✓' : '✗'} ${run.name}: ${run.status} (${passed}/${run.steps.length} steps passed${took})`);
    return run;
  });
}

const MARK: Record<StepResult['status'], string> = { passed: '✓', failed: '✗', skipped: '-', pending: ' ', running: ' ' };

export function stepLine(step: StepResult): string {
  return `${MARK[step.status]} ${step.index} ${step.description}${step.detail === null ? '' : ` (${step.detail})`}`;
}

/** `iothinx-sim run-scenario FILE [options]`; resolves to the exit code. */
export async function runScenarioCommand(argv: string[]): Promise<number> {
  const { file, options } = parseRunScenario(argv);
  const loaded = await readScenario(file);
  const logger = createLogger(options.logLevel);
  if (options.readyFile) await rm(options.readyFile, { force: true });
  const profileFile = resolveProfile(options.profile);
  const profile = await loadProfile(profileFile);
  const runner = await Runner.start({ ...options, profileFile, profile, store: undefined, logger }).catch((error: unknown) => {
    throw inFile(profileFile, error);
  });
  // The real clock's timers are unref'd; with every service off nothing else would keep the process up.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const emulator = runner.emulatorNow;
  const abort = () => emulator.scenarios.list().forEach((r) => emulator.scenarios.abort(r.id));
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    if (options.readyFile) await writeFileAtomic(options.readyFile, `${JSON.stringify({ pid: process.pid, ...runner.addresses })}\n`);
    const run = await submitScenario(emulator.scenarios, loaded, (line) => process.stdout.write(`${line}\n`));
    return run.status === 'passed' ? 0 : 1;
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
    clearInterval(keepAlive);
    await runner.stop();
  }
}
