/**
 * Profiles by name: `--profile tank-station` (every CLI command that takes a profile) and
 * `startDevice({ profile: 'tank-station' })` / `startFleet(...)` name a profile shipped in the
 * package's `profiles/` folder; anything else is a path, as before.
 *
 *   undefined ─────────────────────────────────► profiles/default.yaml
 *   "tank-station"  (no / or \, no extension) ──► profiles/tank-station.yaml, or PROFILE_READ_FAILED
 *   "./mine.yaml", "/abs/x.json", "dir/x" ─────► the path, unchanged (relative to the cwd)
 *
 * The one place the CLI and the testing fixtures resolve a profile option; the virtual field
 * devices' ready-made maps (profiles/field-devices, src/app/field-devices.ts) use the same rule.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimError } from '../errors.js';
import { formatProblem } from './load.js';

/** The package's profiles/ folder: from src/config, dist/config and the CLI bundle (dist/cli) alike. */
export const PROFILES_DIR = fileURLToPath(new URL('../../profiles/', import.meta.url));
export const DEFAULT_PROFILE = join(PROFILES_DIR, 'default.yaml');

/** A bare name (tank-station) names a shipped file; a slash or a .yaml/.yml/.json extension makes a path. */
export function isBareName(text: string): boolean {
  return !/[/\\]|\.(ya?ml|json)$/i.test(text);
}

/** The names of the profiles shipped in profiles/ (the top level: field devices and scenarios are not device profiles). */
export function shippedProfileNames(dir: string = PROFILES_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
    .map((entry) => entry.name.slice(0, -'.yaml'.length))
    .sort();
}

/**
 * The file a `--profile` / `profile:` option stands for. An unknown name throws PROFILE_READ_FAILED
 * with one problem (`NAME: (profile name): ...` listing the shipped names), which the CLI prints and
 * exits 2 for, like a missing file.
 */
export function resolveProfile(option: string | undefined, dir: string = PROFILES_DIR): string {
  if (option === undefined) return join(dir, 'default.yaml');
  if (!isBareName(option)) return option;
  const file = join(dir, `${option}.yaml`);
  if (option !== '' && !option.startsWith('.') && existsSync(file)) return file;
  const shipped = shippedProfileNames(dir);
  const message = `no profile of that name ships with iothinx-sim (${shipped.join(', ')}); name a file of your own by its path, e.g. ./${option || 'profile'}.yaml`;
  const problems = [{ file: option, path: '(profile name)', message }];
  throw new SimError('PROFILE_READ_FAILED', problems.map(formatProblem).join('\n'), { context: { problems, name: option, shipped } });
}
