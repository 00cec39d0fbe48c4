/**
 * The outbox's QoS 1/2 messages kept in the data dir (`mqtt-queue.json`), so that an emulator
 * restart (SIGTERM and a new process, or the in-process restart of PUT /sim/v1/config and reset)
 * sends what the broker had not acknowledged, first and in order (issue #20, docs/mqtt.md).
 *
 *   start ─► read the file ─► bad? warn, ignore ─► ok: push every message into the empty outbox
 *                                                   (oldest first; more than queue.max: the oldest
 *                                                   are dropped and counted, as in any overflow)
 *   every SAVE_EVERY_MS (ioClock): outbox.revision moved? ─► ConfigWriter ─► other entries than
 *                                  on disk? ─► write temp, fsync, rename
 *   stop (after the connection closed) ─► one last write of what is still unacknowledged
 *
 * The publish path only bumps a counter (Outbox.revision); the snapshot, its JSON and the write
 * happen here, at most once a second, with one write in flight and one pending. A kill -9 loses
 * at most the last second's changes: messages published in it are lost, messages acknowledged in
 * it are sent again (at least once; ASSUMPTION, docs/mqtt.md).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import * as z from 'zod';
import { writeFileAtomic } from '../config/atomic-write.js';
import { readDataFile, type DataFileResult } from '../config/data-file.js';
import { ConfigWriter } from '../config/writer.js';
import type { Clock } from '../device/clock.js';
import type { Outbox, OutEntry } from './queue.js';

export const MQTT_QUEUE_FILE = 'mqtt-queue.json';
export const SAVE_EVERY_MS = 1000;

/**
 * Bounds of one saved message. The device makes both: a topic is at most ~110 characters
 * (device name ≤ 16, `/read/`, ioName ≤ 65, a parameter name) and a payload ~70
 * (`{"value":n,"ts":"…"}`), so these are never reached by its own messages; they bound a file
 * someone else wrote.
 */
export const MAX_TOPIC_CHARS = 256;
export const MAX_PAYLOAD_CHARS = 256;
/** A saved line's bytes at most: both strings at 4 UTF-8 bytes a character (escapes included), and the keys. */
const MAX_LINE_BYTES = 4 * (MAX_TOPIC_CHARS + MAX_PAYLOAD_CHARS) + 64;

const savedMessageSchema = z.strictObject({
  topic: z.string().min(1).max(MAX_TOPIC_CHARS),
  payload: z.string().max(MAX_PAYLOAD_CHARS),
  // QoS 0 is at most once: never kept (docs/mqtt.md).
  qos: z.literal([1, 2]),
  retain: z.boolean(),
});
export type SavedMessage = z.infer<typeof savedMessageSchema>;

const fileSchema = z.strictObject({
  version: z.literal(1),
  messages: z.array(savedMessageSchema),
});

export type ReadResult = DataFileResult<{ messages: SavedMessage[] }>;

/** The largest file a queue of `max` messages makes; a larger one is not read. */
export function maxFileBytes(max: number): number {
  return 64 + max * MAX_LINE_BYTES;
}

/** The saved messages, oldest first; `none` without a file, `bad` when it is too large, not JSON or not this schema. */
export async function readQueue(dataDir: string, max: number): Promise<ReadResult> {
  const tooLarge = (size: number) => (size > maxFileBytes(max) ? `${size} bytes: more than a queue of ${max} messages (mqtt.queue.max) can hold` : null);
  const read = await readDataFile(join(dataDir, MQTT_QUEUE_FILE), fileSchema, tooLarge);
  return read.kind === 'ok' ? { kind: 'ok', messages: read.data.messages } : read;
}

/** One JSON line per message, each made once per entry (an outage's queue is saved again every second). */
const lines = new WeakMap<OutEntry, string>();

function line(entry: OutEntry): string {
  let text = lines.get(entry);
  if (text === undefined) {
    const { topic, payload, qos, retain } = entry.message;
    text = JSON.stringify({ topic, payload, qos, retain });
    lines.set(entry, text);
  }
  return text;
}

/** The file's text for these entries: valid JSON, one message a line. */
export function queueText(entries: readonly OutEntry[]): string {
  const body = entries.map(line).join(',\n');
  return `{"version":1,"messages":[${body ? `\n${body}\n` : ''}]}\n`;
}

export interface QueueRetain {
  /** Messages put back into the outbox from the file at this start. */
  readonly restored: number;
  /** Resolves once every save handed to the writer so far is on disk (or failed). */
  idle(): Promise<void>;
  /** Stops the timer and writes what is still unacknowledged. */
  stop(): Promise<void>;
}

/**
 * What the writer holds: the entries on disk and, to compare, their `contents` (null: unknown, e.g.
 * an unreadable file). Which outbox revision they were taken at is not kept: `contents` already
 * tells whether a write is needed; the revision only spares the tick a snapshot (`asked`).
 */
interface Saved {
  contents: string | null;
  entries: readonly OutEntry[];
}

/** `asked` when no save of the outbox as it is stands: the next tick takes a snapshot. */
const UNSAVED = -1;

/**
 * Names a set of entries by its size and newest id. Ids only grow and entries only leave (acks,
 * drops), so two snapshots with the same size and newest id hold the same entries: a queue that
 * filled and drained between two ticks (a connected broker, the usual case) is not written again.
 */
function contents(entries: readonly OutEntry[]): string {
  return `${entries.length}:${entries.at(-1)?.id ?? ''}`;
}

/**
 * Restores the saved messages into `outbox` (which must be empty and not yet sending) and keeps
 * the file up to date on `clock` (the emulator's ioClock: a save is I/O, in real time). Never
 * throws: a bad file is a warning, a failing disk is warned once.
 */
export async function retainQueue(outbox: Outbox, max: number, dataDir: string, clock: Clock, logger: Logger): Promise<QueueRetain> {
  const file = join(dataDir, MQTT_QUEUE_FILE);
  const saved = await readQueue(dataDir, max);
  let restored = 0;
  // The file matches the outbox only when it was read and fit whole; otherwise the first save replaces it.
  let onDisk = UNSAVED;
  let onDiskContents: string | null = null;
  if (saved.kind === 'bad') {
    logger.warn({ file, reason: saved.reason }, 'the saved MQTT queue cannot be read; it is ignored and replaced at the next save');
  } else if (saved.kind === 'none') {
    onDisk = outbox.revision;
    onDiskContents = contents([]);
  } else {
    const dropped = outbox.dropped;
    for (const message of saved.messages) outbox.push(message);
    restored = saved.messages.length;
    const over = outbox.dropped - dropped;
    if (over === 0) {
      onDisk = outbox.revision;
      onDiskContents = contents(outbox.persistent());
    }
    if (restored > 0) logger.info({ file, restored, dropped: over }, 'restored unsent MQTT messages; they are sent first');
  }

  let failing = false;
  const writer = new ConfigWriter<Saved>(
    { contents: onDiskContents, entries: [] },
    {
      persist: async (state) => {
        if (state.contents === writer.state.contents) return;
        await writeFileAtomic(file, queueText(state.entries));
        failing = false;
      },
      // A disk that stays full or read-only: warned once, then at debug until a write succeeds.
      onWriteFailed: (error) => {
        logger[failing ? 'debug' : 'warn']({ err: error, file }, 'could not save the MQTT queue');
        failing = true;
      },
    },
  );
  /** The outbox revision a submitted save will write (or has written); UNSAVED after a failed write. */
  let asked = onDisk;
  const save = (): Promise<unknown> => {
    if (outbox.revision === asked) return writer.idle();
    asked = outbox.revision;
    return writer
      // Taken when the write starts, not when it was asked for: the newest queue goes to disk.
      .submit(() => {
        asked = outbox.revision;
        const entries = outbox.persistent();
        return { contents: contents(entries), entries };
      })
      .catch(() => {
        // Not on disk: the next tick tries again (and writes nothing if a later save put the same entries there).
        asked = UNSAVED;
      });
  };
  const timer = clock.setInterval(() => void save(), SAVE_EVERY_MS);
  return {
    restored,
    idle: () => writer.idle(),
    stop: async () => {
      clock.clear(timer);
      await writer.idle();
      await save();
    },
  };
}
