/**
 * iothinx-sim command line: start | validate | map | fleet | run-scenario | field-device | ctl
 * (their usages: src/cli/args.ts COMMAND_USAGE; `COMMAND --help` prints one, `--version` the
 * package's). Exit codes: 0 ok, 1 runtime failure (a port in use names its service and flag), 2 bad
 * input (usage, printed with that command's usage only, or an invalid file), with one line per
 * problem naming file and path.
 */
import { mkdir, rm } from 'node:fs/promises';
import { formatProblem, loadProfile, problemsOf } from '../config/load.js';
import { resolveProfile } from '../config/profile-name.js';
import { writeFileAtomic } from '../config/atomic-write.js';
import { runFieldDevice } from './field-device-command.js';
import { readScenario, runScenarioCommand, submitScenario } from './scenario-command.js';
import { ConfigStore } from '../config/store.js';
import { isSimError } from '../errors.js';
import { isCommand, parseMap, parseStart, USAGE, usageOf, type StartOptions } from './args.js';
import { startBanner, startListeners } from './banner.js';
import { listenFailure } from './listen-error.js';
import { runValidate } from './validate.js';
import { packageVersion } from './version.js';
import { checkServices, inFile } from '../app/check.js';
import { Runner } from '../app/runner.js';
import { createLogger } from '../app/logger.js';
import { heapGrowingPercent, limitHeapGrowth } from './heap.js';
import { printMap } from './map.js';
import { onShutdownSignal } from './shutdown.js';
import { tolerateClosedPipes } from './stdio.js';
import { allowedHostsFromEnv, parseWithEnv, START_ENV } from './env.js';

async function start(options: StartOptions): Promise<void> {
  // Read now (a bad value is a usage error before anything starts), set once the device is up:
  // the limit is for the long run, and while starting, a full collection every 30% of growth
  // only delays the ready file (#19).
  const heapPercent = heapGrowingPercent();
  const logger = createLogger(options.logLevel);
  const signals = onShutdownSignal(logger);
  // A ready file left by an earlier run must not announce this one before it listens.
  if (options.readyFile) await rm(options.readyFile, { force: true });
  // --profile NAME is a shipped profile (src/config/profile-name.ts); absent, the default.
  const file = resolveProfile(options.profile);
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
    // A port in use names its service and flag (exit 1); a section a service refuses, its file and path (exit 2).
    throw listenFailure(error, startListeners(options)) ?? inFile(runningFile, error);
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
  if (!options.quiet) process.stderr.write(startBanner(running.device.name, running.slots.length, emulator.addresses));
  limitHeapGrowth(heapPercent);
}

export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  try {
    // `COMMAND --help`: that command's usage only, on stdout (ctl's own subcommands included).
    if (isCommand(command) && (rest.includes('--help') || rest.includes('-h'))) {
      process.stdout.write(`${usageOf(command)}\n`);
      return 0;
    }
    switch (command) {
      case 'start':
        // The environment's flags (IOTHINX_SIM_*, src/cli/env.ts) come first: the command line wins.
        await start(parseWithEnv(rest, START_ENV, parseStart));
        return undefined;
      case 'validate':
        return await runValidate(rest);
      case 'run-scenario':
        return await runScenarioCommand(rest);
      case 'field-device':
        await runFieldDevice(rest);
        return undefined;
      case 'ctl':
        // The installed command runs ctl from its own small bundle (src/cli/ctl-main.ts); this is the unbundled build's way.
        return await (await import('./ctl.js')).runCtl(rest);
      case 'fleet':
        // Loaded only here: the fleet brings the broker in statically, which `start` loads on demand.
        await (await import('./fleet-command.js')).runFleet(rest);
        return undefined;
      case 'map': {
        const options = parseMap(rest);
        const file = resolveProfile(options.profile);
        printMap(checkServices(file, await loadProfile(file)), options.format);
        return 0;
      }
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      case '--version':
      case '-V':
        process.stdout.write(`${packageVersion()}\n`);
        return 0;
      case undefined:
        process.stderr.write(`name a command\n${USAGE}\n`);
        return 2;
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
    if (isSimError(error, 'CLI_LISTEN_FAILED')) {
      process.stderr.write(`iothinx-sim: ${error.message}\n`);
      return 1;
    }
    if (isSimError(error, 'CLI_USAGE') || isSimError(error, 'PROFILE_INVALID') || isSimError(error, 'TLS_CERT_INVALID')) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`iothinx-sim: ${(error as Error).message}\n`);
    return 1;
  }
}

// Output piped into `head`: see src/cli/stdio.ts.
tolerateClosedPipes();

main(process.argv.slice(2)).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
