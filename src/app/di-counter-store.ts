/**
 * The file of retained DI counters in the data dir (`di-counters.json`): `slot/index` of each
 * channel with `counterRetain` -> its counter value and overflow flag. Written atomically, so a
 * crash leaves the last complete file; read leniently, so a bad file costs the saved counts,
 * never the start.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../config/atomic-write.js';
import { readDataFile } from '../config/data-file.js';

export const DI_COUNTERS_FILE = 'di-counters.json';

const savedCounterSchema = z.strictObject({
  value: z.number().int().min(0).max(0xffff_ffff),
  overflow: z.boolean(),
});
export type SavedCounter = z.infer<typeof savedCounterSchema>;

const fileSchema = z.strictObject({
  version: z.literal(1),
  counters: z.record(z.string().regex(/^\d+\/\d+$/), savedCounterSchema),
});

/** `slot/index` -> counter. */
export type SavedCounters = z.infer<typeof fileSchema>['counters'];

export type ReadResult = { kind: 'none' } | { kind: 'ok'; counters: SavedCounters } | { kind: 'bad'; reason: string };

/** The saved counters; `none` when the file does not exist, `bad` when it cannot be read or parsed. */
export async function readDiCounters(dataDir: string): Promise<ReadResult> {
  const read = await readDataFile(join(dataDir, DI_COUNTERS_FILE), fileSchema);
  return read.kind === 'ok' ? { kind: 'ok', counters: read.data.counters } : read;
}

export async function writeDiCounters(dataDir: string, counters: SavedCounters): Promise<void> {
  await writeFileAtomic(join(dataDir, DI_COUNTERS_FILE), `${JSON.stringify({ version: 1, counters }, null, 2)}\n`);
}
