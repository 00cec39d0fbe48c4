/**
 * `iothinx-sim --version`: the package's version, read from its package.json at run time (one
 * small file; nothing of the emulator is loaded for it). The same relative path holds for the
 * bundle (dist/cli/bundle.cjs, whose import.meta.url the launcher passes in) and for the
 * unbundled build (dist/cli/version.js).
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';

const packageJson = z.object({ name: z.string(), version: z.string() });

export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return packageJson.parse(JSON.parse(text)).version;
}
