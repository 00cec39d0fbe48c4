// Builds the C reference peers in bench/c/ into bench/.build/ with the system cc (and libmodbus
// where they use it), turning a missing compiler or libmodbus-dev into an error that says how to
// install them.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const benchDir = new URL('..', import.meta.url).pathname;
export const buildDir = join(benchDir, '.build');
export const PEERS_HINT = 'install the interop peers with scripts/install-peers.sh';

export function libmodbusFlags() {
  const r = spawnSync('pkg-config', ['--cflags', '--libs', 'libmodbus'], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.trim().split(/\s+/);
  // No pkg-config (or no libmodbus.pc): Debian's libmodbus-dev puts its files here.
  return ['-I/usr/include/modbus', '-lmodbus'];
}

/** Compiles bench/c/NAME.c to bench/.build/NAME and returns that path. */
export function compile(name, flags) {
  mkdirSync(buildDir, { recursive: true });
  const out = join(buildDir, name);
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, join(benchDir, 'c', `${name}.c`), ...flags], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run the C compiler cc (${r.error.message}); ${PEERS_HINT} and make sure cc is on PATH`);
  if (r.status !== 0) {
    const missingLib = /modbus\.h|-lmodbus/.test(r.stderr);
    throw new Error(
      missingLib
        ? `libmodbus-dev is missing, so bench/c/${name}.c does not build; ${PEERS_HINT}\n${r.stderr.trim()}`
        : `cc failed on bench/c/${name}.c:\n${r.stderr.trim()}`,
    );
  }
  return out;
}
