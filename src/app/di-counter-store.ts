/**
 * The file of retained DI counters in the data dir (`di-counters.json`): `slot/index` of each
 * channel with `counterRetain` -> its counter value and overflow flag. Written atomically, so a
 * crash leaves the last complete file; read leniently, so a bad file costs the saved counts,
 * never the start.
 */
import { join } from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../config/atomic-write.js';
import { readDataFile, type DataFileResult } from '../config/data-file.js';
import { allModels } from '../device/catalog.js';
import { slotConfigSchema } from '../device/schema.js';

export const DI_COUNTERS_FILE = 'di-counters.json';

/**
 * The most channels a device can have: every slot (the schema's highest slot number) holding the
 * model with the most channels (32 × 16). A file holds one entry per retained channel, so no file
 * this emulator wrote has more; the cap only has to keep a stray or hostile file in the data dir
 * from being read whole into memory at start.
 */
const MAX_CHANNELS = (slotConfigSchema.shape.slot.maxValue ?? 32) * Math.max(...allModels().map((m) => m.groups.reduce((n, g) => n + g.count, 0)));
/**
 * One entry's bytes at most, with room to spare: `"32/15": {"value": 4294967295, "overflow": false}`
 * is 50 characters on one line and about 80 as writeDiCounters indents it.
 */
const MAX_ENTRY_BYTES = 128;
/** The largest file read (about 64 KiB); a larger one is refused unread, as a bad file. */
export const MAX_FILE_BYTES = 64 + MAX_CHANNELS * MAX_ENTRY_BYTES;

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

export type ReadResult = DataFileResult<{ counters: SavedCounters }>;

/** The saved counters; `none` when the file does not exist, `bad` when it is too large (unread), cannot be read or parsed. */
export async function readDiCounters(dataDir: string): Promise<ReadResult> {
  const tooLarge = (size: number) => (size > MAX_FILE_BYTES ? `${size} bytes: more than the counters of ${MAX_CHANNELS} channels (a full rail) take` : null);
  const read = await readDataFile(join(dataDir, DI_COUNTERS_FILE), fileSchema, tooLarge);
  return read.kind === 'ok' ? { kind: 'ok', counters: read.data.counters } : read;
}

export async function writeDiCounters(dataDir: string, counters: SavedCounters): Promise<void> {
  await writeFileAtomic(join(dataDir, DI_COUNTERS_FILE), `${JSON.stringify({ version: 1, counters }, null, 2)}\n`);
}
