/**
 * JSON Merge Patch (RFC 7396) for PATCH /sim/v1/config: a patch object's members replace the
 * target's, `null` removes a member (its default then applies when the result is validated as a
 * profile), nested objects merge, and anything else (arrays included) replaces whole.
 */
import { SimError } from '../errors.js';

/** Deeper than any profile; bounds the recursion on a hostile body. */
export const MAX_PATCH_DEPTH = 32;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** RFC 7396 §2 MergePatch(Target, Patch); returns a new value and leaves both arguments as they were. */
export function mergePatch(target: unknown, patch: unknown, depth = 0, path: string[] = []): unknown {
  if (!isObject(patch)) return patch;
  if (depth >= MAX_PATCH_DEPTH) {
    throw new SimError('HTTP_BAD_REQUEST', `the merge patch nests deeper than ${MAX_PATCH_DEPTH} levels`, { context: { path: path.join('.') || null } });
  }
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value, depth + 1, [...path, key]);
  }
  return result;
}
