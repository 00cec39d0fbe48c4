/**
 * Reads and validates profile files. Every problem comes back at once, each as
 * `file: path.to.field: message`, so `iothinx-sim validate` prints one line per problem.
 */
import { readFile } from 'node:fs/promises';
import { CORE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import type * as z from 'zod';
import { SimError } from '../errors.js';
import { profileSchema, type Profile } from './profile.js';

export interface ProfileProblem {
  file: string;
  path: string;
  message: string;
}

export function formatProblem(p: ProfileProblem): string {
  return `${p.file}: ${p.path}: ${p.message}`;
}

export function zodProblems(file: string, error: z.ZodError): ProfileProblem[] {
  return error.issues.map((issue) => ({ file, path: issue.path.length ? issue.path.join('.') : '(root)', message: issue.message }));
}

export type YamlRead = { ok: true; value: unknown } | { ok: false; problem: ProfileProblem };

/**
 * One YAML (or JSON: JSON is YAML) document as plain data, for every file people write: profiles,
 * scenarios, field-device files. An empty document is `{}`; a syntax error, a duplicate key or a
 * second document is a problem on its line. CORE_SCHEMA: YAML 1.2's core types only (no
 * timestamps, no !!binary, no merge keys), so `2024-01-01` stays a string.
 *
 * js-yaml, not the `yaml` package it replaced: on the 3.4 kB default profile js-yaml took 5 ms
 * for a cold parse and 0.8 ms warm against 47 ms and 10.6 ms, the largest single cost of a start
 * (#19); the two agreed on every shipped file.
 */
export function readYaml(file: string, text: string): YamlRead {
  try {
    return { ok: true, value: loadYaml(text, { filename: file, schema: CORE_SCHEMA }) ?? {} };
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const line = (error.mark as { line?: number } | undefined)?.line;
    return { ok: false, problem: { file, path: line === undefined ? '(file)' : `line ${line + 1}`, message: error.reason } };
  }
}

/** Parses YAML or JSON text (JSON is YAML) and validates it; throws PROFILE_* with `context.problems`. */
export function parseProfile(file: string, text: string): Profile {
  const doc = readYaml(file, text);
  if (!doc.ok) throw new SimError('PROFILE_READ_FAILED', formatProblem(doc.problem), { context: { problems: [doc.problem] } });
  // jitless: zod otherwise generates and compiles a parser per object schema on its first parse,
  // twice the CPU of checking this one document directly (20-50 ms of a start, #19).
  const result = profileSchema.safeParse(doc.value, { jitless: true });
  if (!result.success) {
    const problems = zodProblems(file, result.error);
    throw new SimError('PROFILE_INVALID', problems.map(formatProblem).join('\n'), { context: { problems } });
  }
  return result.data;
}

export async function loadProfile(file: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const problems = [{ file, path: '(file)', message: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message }];
    throw new SimError('PROFILE_READ_FAILED', problems.map(formatProblem).join('\n'), { cause: error, context: { problems } });
  }
  return parseProfile(file, text);
}

export function problemsOf(error: unknown): ProfileProblem[] | undefined {
  if (error instanceof SimError && Array.isArray(error.context.problems)) return error.context.problems as ProfileProblem[];
  return undefined;
}
