/**
 * Shipped files by name: `--profile tank-station` (every CLI command that takes a profile) and
 * `startDevice({ profile: 'tank-station' })` / `startFleet(...)` name a profile shipped in the
 * package's `profiles/` folder; `validate --kind scenario|field-device NAME` a scenario or a field
 * device definition shipped beside them; anything else is a path, as before.
 *
 *   undefined ─────────────────────────────────► profiles/default.yaml
 *   "tank-station"  (no / or \, no extension) ──► profiles/tank-station.yaml, or PROFILE_READ_FAILED
 *     of kind scenario ─────────────────────────► profiles/scenarios/NAME.yaml
 *     of kind field-device ─────────────────────► profiles/field-devices/NAME.yaml
 *   "./mine.yaml", "/abs/x.json", "dir/x" ─────► the path, unchanged (relative to the cwd)
 *
 * The one place the CLI and the testing fixtures resolve a bare name; the virtual field devices'
 * ready-made maps (profiles/field-devices, src/app/field-devices.ts) use the same rule and folder.
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

/** The kinds of file that ship by name, and the folder of profiles/ each is in. */
export const SHIPPED_FOLDERS = { profile: '.', scenario: 'scenarios', 'field-device': 'field-devices' } as const;
export type ShippedKind = keyof typeof SHIPPED_FOLDERS;

/** Each kind as messages name it. */
export const KIND_WORDS: Record<ShippedKind, string> = { profile: 'profile', scenario: 'scenario', 'field-device': 'field device' };

/** The folder the shipped files of a kind are in (with a trailing separator, as PROFILES_DIR). */
export function shippedDir(kind: ShippedKind, dir: string = PROFILES_DIR): string {
  return join(dir, SHIPPED_FOLDERS[kind], '/');
}

/** The names of the files of a kind shipped in profiles/ (for profiles the top level only: field devices and scenarios are not device profiles). */
export function shippedNames(kind: ShippedKind, dir: string = PROFILES_DIR): string[] {
  return readdirSync(shippedDir(kind, dir), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.yaml'))
    .map((entry) => entry.name.slice(0, -'.yaml'.length))
    .sort();
}

/**
 * The file a bare name of a kind stands for (a path is returned unchanged). An unknown name throws
 * PROFILE_READ_FAILED with one problem (`NAME: (KIND name): ...` listing the shipped names of that
 * kind), which the CLI prints and exits 2 for, like a missing file.
 */
export function resolveShipped(kind: ShippedKind, name: string, dir: string = PROFILES_DIR): string {
  if (!isBareName(name)) return name;
  const file = join(shippedDir(kind, dir), `${name}.yaml`);
  if (name !== '' && !name.startsWith('.') && existsSync(file)) return file;
  const shipped = shippedNames(kind, dir);
  const word = KIND_WORDS[kind];
  const message = `no ${word} of that name ships with iothinx-sim (${shipped.join(', ')}); name a file of your own by its path, e.g. ./${name || kind}.yaml`;
  const problems = [{ file: name, path: `(${word} name)`, message }];
  throw new SimError('PROFILE_READ_FAILED', problems.map(formatProblem).join('\n'), { context: { problems, name, kind, shipped } });
}

/** The file a `--profile` / `profile:` option stands for: none is the default profile, a bare name a shipped one (resolveShipped). */
export function resolveProfile(option: string | undefined, dir: string = PROFILES_DIR): string {
  if (option === undefined) return join(dir, 'default.yaml');
  return resolveShipped('profile', option, dir);
}
