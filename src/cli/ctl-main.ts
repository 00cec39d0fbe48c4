/**
 * `iothinx-sim ctl ...` as a bundle of its own (dist/cli/ctl.cjs, build/bundle.mjs): the launcher
 * (build/launcher.cjs) runs it for `ctl` without reading the emulator's bundle, so a shell script's
 * call costs little more than `node -e 0` (bench/startup.mjs, #19). It behaves as main.ts does for
 * ctl: `--help`/`-h` anywhere prints ctl's usage (stdout, exit 0), and an unexpected failure is one
 * `iothinx-sim: MESSAGE` line, exit 1. Keep its imports small: the bundle holds all they reach.
 */
import { usageOf } from './args.js';
import { runCtl } from './ctl.js';
import { tolerateClosedPipes } from './stdio.js';

async function ctlMain(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usageOf('ctl')}\n`);
    return 0;
  }
  try {
    return await runCtl(argv);
  } catch (error) {
    process.stderr.write(`iothinx-sim: ${(error as Error).message}\n`);
    return 1;
  }
}

tolerateClosedPipes();
// argv: node, the launcher, "ctl", then ctl's own arguments.
void ctlMain(process.argv.slice(3)).then((code) => {
  process.exitCode = code;
});
