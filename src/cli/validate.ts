/**
 * `iothinx-sim validate [--kind K] FILE...`: each file checked against the schema of its kind,
 * every problem at once as `file: path: message`; exit 0, or 2 if any file has a problem.
 *
 *   FILE ─► YAML/JSON ─► kind: --kind, else its top-level keys
 *             steps:                 ─► scenario     (src/sim/scenario-load.ts; targets are checked when it runs)
 *             points:                ─► field device (src/sim/field-device.ts)
 *             slots:, device:, ...   ─► profile      (src/config/load.ts, then the services' and the fleet's rules)
 *   NAME (no / nor extension)         ─► a shipped file of the --kind (src/config/profile-name.ts):
 *             --kind field-device    ─► profiles/field-devices/NAME.yaml
 *             --kind scenario        ─► profiles/scenarios/NAME.yaml
 *             else                   ─► profiles/NAME.yaml (a profile)
 *             none of them           ─► "FILE: (root): not a profile, a scenario or a field device file ..."
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatProblem, loadProfile, problemsOf, readYaml, type ProfileProblem } from '../config/load.js';
import { profileSchema } from '../config/profile.js';
import { isBareName, KIND_WORDS, resolveShipped, SHIPPED_FOLDERS, type ShippedKind } from '../config/profile-name.js';
import { checkServices } from '../app/check.js';
import { fleetIssues } from '../fleet/check.js';
import { loadFieldDeviceFile } from '../sim/field-device.js';
import { loadScenario } from '../sim/scenario-load.js';
import { usageError } from './args.js';

/** The kinds of file `validate` knows are the kinds that ship by name (src/config/profile-name.ts). */
type FileKind = ShippedKind;
const FILE_KINDS = Object.keys(SHIPPED_FOLDERS) as FileKind[];
const PROFILE_KEYS = new Set(Object.keys(profileSchema.shape));

const EXPECTED = 'not a profile (slots:, device: ...), a scenario (steps:) or a field device definition (points:); name its kind with --kind profile|scenario|field-device';

/** The kind a document's top-level keys say, or null. */
export function kindOf(document: unknown): FileKind | null {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return null;
  const keys = Object.keys(document);
  if (keys.includes('steps')) return 'scenario';
  if (keys.includes('points')) return 'field-device';
  return keys.some((k) => PROFILE_KEYS.has(k)) ? 'profile' : null;
}

/** The problems of one file, and the kind it was taken for (null: none could be told). */
async function check(named: string, forced: FileKind | undefined): Promise<{ file: string; kind: FileKind | null; problems: ProfileProblem[] }> {
  // A bare name (tank-station, or vfd with --kind field-device) is a shipped file of its kind (src/config/profile-name.ts).
  let file = named;
  let kind = forced ?? null;
  if (isBareName(named)) {
    kind ??= 'profile';
    try {
      file = resolveShipped(kind, named);
    } catch (error) {
      const problems = problemsOf(error);
      if (!problems) throw error;
      return { file, kind, problems };
    }
  }
  if (!kind) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { file, kind: null, problems: [{ file, path: '(file)', message: code === 'ENOENT' ? 'no such file' : (error as Error).message }] };
    }
    const doc = readYaml(file, text);
    if (!doc.ok) return { file, kind: null, problems: [doc.problem] };
    kind = kindOf(doc.value);
    if (!kind) return { file, kind: null, problems: [{ file, path: '(root)', message: EXPECTED }] };
  }
  try {
    if (kind === 'scenario') {
      const parsed = await loadScenario(file);
      return { file, kind, problems: parsed.ok ? [] : parsed.problems };
    }
    if (kind === 'field-device') {
      loadFieldDeviceFile(file);
      return { file, kind, problems: [] };
    }
    const profile = checkServices(file, await loadProfile(file));
    return { file, kind, problems: profile.fleet ? fleetIssues(profile, profile.fleet).map((issue) => ({ file, ...issue })) : [] };
  } catch (error) {
    const problems = problemsOf(error);
    if (!problems) throw error;
    return { file, kind, problems };
  }
}

export async function runValidate(argv: string[]): Promise<number> {
  const fail = (message: string) => usageError('validate', message);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: true, options: { kind: { type: 'string' } } });
  } catch (error) {
    throw fail((error as Error).message);
  }
  const forced = parsed.values.kind;
  if (forced !== undefined && !(FILE_KINDS as readonly string[]).includes(forced)) throw fail(`--kind: expected ${FILE_KINDS.join(', ')}, got "${forced}"`);
  const files = parsed.positionals;
  if (files.length === 0) throw fail('validate: name at least one file (a profile, a scenario or a field device definition)');
  let failed = false;
  for (const named of files) {
    const { file, kind, problems } = await check(named, forced as FileKind | undefined);
    if (problems.length === 0) {
      process.stdout.write(`${file}: ok (${KIND_WORDS[kind!]})\n`);
      continue;
    }
    failed = true;
    // stderr: one line per problem (the contract); stdout: which kind the file was checked as.
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stdout.write(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}${kind ? ` (${KIND_WORDS[kind]})` : ''}\n`);
  }
  return failed ? 2 : 0;
}
