/**
 * Reads a state file of the data dir (DI counters, the MQTT queue) leniently: a missing file is
 * `none`, and one that cannot be read, is too large, is not JSON or not the schema is `bad` with
 * the reason, so a bad file costs the saved state and a warning, never the start.
 */
import { readFile, stat } from 'node:fs/promises';
import * as z from 'zod';

/**
 * What a reader of one state file answers: `none`, `bad` with the reason, or `ok` with the fields
 * `T` names. Each file's reader says what it read in its own words (`{ messages }`, `{ counters }`)
 * without declaring `none` and `bad` again.
 */
export type DataFileResult<T extends object> = { kind: 'none' } | ({ kind: 'ok' } & T) | { kind: 'bad'; reason: string };

/** What readDataFile answers: the parsed document as `data`. */
export type DataFileRead<T> = DataFileResult<{ data: T }>;

/** `tooLarge(size)` gives the reason a file of `size` bytes is refused unread, or null to read it. */
export async function readDataFile<S extends z.ZodType>(path: string, schema: S, tooLarge?: (size: number) => string | null): Promise<DataFileRead<z.infer<S>>> {
  let text: string;
  try {
    const refused = tooLarge?.((await stat(path)).size);
    if (refused) return { kind: 'bad', reason: refused };
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'bad', reason: (error as Error).message };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: 'bad', reason: `not JSON: ${(error as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { kind: 'bad', reason: z.prettifyError(parsed.error) };
  return { kind: 'ok', data: parsed.data };
}
