/**
 * Reads and validates profile files. Every problem comes back at once, each as
 * `file: path.to.field: message`, so `iothinx-sim validate` prints one line per problem.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
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

/** Parses YAML or JSON text (JSON is YAML) and validates it; throws PROFILE_* with `context.problems`. */
export function parseProfile(file: string, text: string): Profile {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => ({ file, path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] ?? e.message }));
    throw new SimError('PROFILE_READ_FAILED', problems.map(formatProblem).join('\n'), { context: { problems } });
  }
  // jitless: zod otherwise generates and compiles a parser per object schema on its first parse,
  // twice the CPU of checking this one document directly (20-50 ms of a start, #19).
  const result = profileSchema.safeParse(doc.toJS() ?? {}, { jitless: true });
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
