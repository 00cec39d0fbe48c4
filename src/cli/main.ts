/**
 * iothinx-sim command line: start | validate | map. Exit codes: 0 ok, 1 runtime failure,
 * 2 bad input (usage or an invalid profile), with one line per problem naming file and path.
 */
import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formatProblem, loadProfile, problemsOf } from '../config/load.js';
import { writeFileAtomic } from '../config/atomic-write.js';
import { runFieldDevice } from './field-device-command.js';
import { readScenario, runScenarioCommand, submitScenario } from './scenario-command.js';
import { runCtl } from './ctl.js';
import { ConfigStore } from '../config/store.js';
import { isSimError } from '../errors.js';
import { parseMap, parseStart, USAGE, type StartOptions } from './args.js';
import { checkServices, inFile } from '../app/check.js';
import { Runner } from '../app/runner.js';
import { createLogger } from '../app/logger.js';
import { heapGrowingPercent, limitHeapGrowth } from './heap.js';
import { printMap } from './map.js';
import { fleetIssues } from '../fleet/check.js';
import { onShutdownSignal } from './shutdown.js';
import { allowedHostsFromEnv, parseWithEnv, START_ENV } from './env.js';

export const DEFAULT_PROFILE = fileURLToPath(new URL('../../profiles/default.yaml', import.meta.url));

async function start(options: StartOptions): Promise<void> {
  limitHeapGrowth(heapGrowingPercent());
  const logger = createLogger(options.logLevel);
  const signals = onShutdownSignal(logger);
  // A ready file left by an earlier run must not announce this one before it listens.
  if (options.readyFile) await rm(options.readyFile, { force: true });
  const file = options.profile ?? DEFAULT_PROFILE;
  const profile = await loadProfile(file);
  // -- scenario: read before anything starts, so a bad file is exit 2 with nothing left running.
  const scenario = options.scenario === undefined ? undefined : await readScenario(options.scenario);
  let store: ConfigStore | undefined;
  let running = profile;
  if (options.dataDir) {
    await mkdir(options.dataDir, { recursive: true });
    store = new ConfigStore(options.dataDir);
    // A saved running config wins over the profile: it is what the device ran last.
    const saved = await store.load();
    if (saved) {
      running = saved;
      logger.info({ file: store.file }, 'running the saved config from the data dir');
    }
  }
  const runningFile = running === profile ? file : (store?.file ?? file);
  // The services' own rules (address map, MQTT topics) are checked as they start, not twice.
  const emulator = await Runner.start({ ...options, profileFile: file, profile: running, store, logger, servedHosts: allowedHostsFromEnv() }).catch((error: unknown) => {
    throw inFile(runningFile, error);
  });
  // Before the ready file: a supervisor may send SIGTERM the moment it appears.
  if (!signals.ready(() => emulator.stop())) return;
  // -- scenario: checked against the running device and queued before the ready file is out, so a
  // client that waits for the file finds run s1 (the file appears before its folder is fsynced). The emulator keeps running.
  if (scenario) {
    const print = (line: string) => (options.quiet ? undefined : process.stderr.write(`${line}\n`));
    try {
      void submitScenario(emulator.emulatorNow.scenarios, scenario, print).catch((error: unknown) => logger.error({ err: error }, 'scenario run failed'));
    } catch (error) {
      await emulator.stop();
      throw error;
    }
  }
  if (options.readyFile) {
    await writeFileAtomic(options.readyFile, `${JSON.stringify({ pid: process.pid, ...emulator.addresses })}\n`);
  }
  if (!options.quiet) {
    const a = emulator.addresses;
    process.stderr.write(
      `iothinx-sim: ${running.device.name} with ${running.slots.length} modules` +
        `${a.http ? `\n  web UI and APIs  http://${a.http}/  (emulator API: /sim/v1, device API: /api)` : ''}` +
        `${a.modbus ? `\n  Modbus/TCP       ${a.modbus}` : ''}` +
        `${a.broker ? `\n  MQTT broker      mqtt://${a.broker}` : ''}\n`,
    );
  }
}

async function validate(files: string[]): Promise<number> {
  if (files.length === 0) {
    process.stderr.write(`validate: name at least one profile file\n${USAGE}\n`);
    return 2;
  }
  let failed = false;
  for (const file of files) {
    try {
      const profile = checkServices(file, await loadProfile(file));
      const fleet = profile.fleet ? fleetIssues(profile, profile.fleet) : [];
      if (fleet.length > 0) {
        failed = true;
        for (const issue of fleet) process.stderr.write(`${formatProblem({ file, ...issue })}\n`);
        continue;
      }
      process.stdout.write(`${file}: ok\n`);
    } catch (error) {
      const problems = problemsOf(error);
      if (!problems) throw error;
      failed = true;
      for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    }
  }
  return failed ? 2 : 0;
}

export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        // The environment's flags (IOTHINX_SIM_*, src/cli/env.ts) come first: the command line wins.
        await start(parseWithEnv(rest, START_ENV, parseStart));
        return undefined;
      case 'validate':
        return await validate(rest);
      case 'run-scenario':
        return await runScenarioCommand(rest, DEFAULT_PROFILE);
      case 'field-device':
        await runFieldDevice(rest);
        return undefined;
      case 'ctl':
        return await runCtl(rest);
      case 'fleet':
        // Loaded only here: the fleet brings the broker in statically, which `start` loads on demand.
        await (await import('./fleet-command.js')).runFleet(rest, DEFAULT_PROFILE);
        return undefined;
      case 'map': {
        const options = parseMap(rest);
        const file = options.profile ?? DEFAULT_PROFILE;
        printMap(checkServices(file, await loadProfile(file)), options.format);
        return 0;
      }
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    const problems = problemsOf(error);
    if (problems) {
      for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
      return 2;
    }
    if (isSimError(error, 'CLI_USAGE') || isSimError(error, 'PROFILE_INVALID') || isSimError(error, 'TLS_CERT_INVALID')) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`iothinx-sim: ${(error as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
