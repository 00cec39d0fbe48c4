import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/config/store.js';
import { ManualClock } from '../../src/device/clock.js';
import { Outbox, type OutMessage } from '../../src/mqtt/queue.js';
import { maxFileBytes, MQTT_QUEUE_FILE, queueText, readQueue, retainQueue, SAVE_EVERY_MS } from '../../src/mqtt/queue-store.js';
import { cleanupProcesses, tempDir } from '../helpers/process.js';

afterEach(cleanupProcesses);

const dataDir = tempDir;

/** A logger whose lines the test reads. */
function capture(): { logger: Logger; lines: () => { level: number; msg: string; file?: string; restored?: number; dropped?: number }[] } {
  const out: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void out.push(line) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

function message(n: number, qos: 0 | 1 | 2 = 1): OutMessage {
  return { topic: `ioThinx_4510/read/45MR-2600-0@DO-0${n % 10}/doStatus`, payload: `{"value":${n}}`, qos, retain: n % 2 === 0 };
}

async function saved(dir: string): Promise<unknown> {
  return JSON.parse(await readFile(join(dir, MQTT_QUEUE_FILE), 'utf8'));
}

describe('Outbox: what a restart must not lose', () => {
  it('keeps QoS 1/2 entries in order until acknowledged; QoS 0 is neither kept nor counted as a change', () => {
    const outbox = new Outbox(10);
    outbox.push(message(1));
    outbox.push(message(2, 0));
    outbox.push(message(3, 2));
    expect(outbox.persistent().map((e) => e.message)).toEqual([message(1), message(3, 2)]);
    const revision = outbox.revision;
    // Sent (in flight) is still kept until the broker acknowledges it.
    const [first, qos0] = [outbox.next()!, outbox.next()!];
    expect(outbox.persistent()[0]).toBe(first);
    outbox.ack(qos0.id);
    outbox.push(message(4, 0));
    expect(outbox.revision).toBe(revision);
    outbox.ack(first.id);
    expect(outbox.revision).toBe(revision + 1);
    expect(outbox.persistent().map((e) => e.message)).toEqual([message(3, 2)]);
  });
});

describe('mqtt-queue.json', () => {
  it('round-trips the messages in order, one a line', async () => {
    const dir = await dataDir();
    const outbox = new Outbox(10);
    for (let n = 1; n <= 3; n++) outbox.push(message(n, n === 2 ? 2 : 1));
    const text = queueText(outbox.persistent());
    expect(text.split('\n')).toHaveLength(6);
    await writeFile(join(dir, MQTT_QUEUE_FILE), text);
    expect(await readQueue(dir, 10)).toEqual({ kind: 'ok', messages: [message(1), message(2, 2), message(3)] });
    expect(queueText([])).toBe('{"version":1,"messages":[]}\n');
  });

  it('refuses a corrupt file, a foreign one, a QoS 0 entry and one too large for queue.max', async () => {
    const dir = await dataDir();
    const file = join(dir, MQTT_QUEUE_FILE);
    expect(await readQueue(dir, 10)).toEqual({ kind: 'none' });
    await writeFile(file, '{"version":1,"messa');
    expect(await readQueue(dir, 10)).toMatchObject({ kind: 'bad', reason: expect.stringContaining('not JSON') });
    await writeFile(file, JSON.stringify({ version: 2, messages: [] }));
    expect(await readQueue(dir, 10)).toMatchObject({ kind: 'bad', reason: expect.stringContaining('version') });
    await writeFile(file, JSON.stringify({ version: 1, messages: [{ ...message(1), qos: 0 }] }));
    expect(await readQueue(dir, 10)).toMatchObject({ kind: 'bad', reason: expect.stringContaining('qos') });
    await writeFile(file, JSON.stringify({ version: 1, messages: [{ ...message(1), payload: 'x'.repeat(257) }] }));
    expect(await readQueue(dir, 10)).toMatchObject({ kind: 'bad', reason: expect.stringContaining('payload') });
    await writeFile(file, ' '.repeat(maxFileBytes(2) + 1));
    expect(await readQueue(dir, 2)).toMatchObject({ kind: 'bad', reason: expect.stringContaining('mqtt.queue.max') });
  });

  it('its temp file is one ConfigStore.load removes after a killed write', async () => {
    const dir = await dataDir();
    // The name src/config/atomic-write.ts gives it: .NAME.PID.TIME.RANDOM.tmp
    await writeFile(join(dir, `.${MQTT_QUEUE_FILE}.4242.1767225600000.k3j4h5.tmp`), '{"version":1,');
    await writeFile(join(dir, MQTT_QUEUE_FILE), queueText([]));
    expect(await new ConfigStore(dir).load()).toBeUndefined();
    expect(await readdir(dir)).toEqual([MQTT_QUEUE_FILE]);
  });
});

describe('retainQueue', () => {
  it('saves at most once a second on its clock, only when what it keeps changed, and at stop', async () => {
    const dir = await dataDir();
    const clock = new ManualClock();
    const outbox = new Outbox(10);
    const retain = await retainQueue(outbox, 10, dir, clock, capture().logger);
    expect(retain.restored).toBe(0);
    outbox.push(message(1));
    outbox.push(message(2, 0));
    outbox.push(message(3));
    clock.advance(SAVE_EVERY_MS - 1);
    await retain.idle();
    expect(await readdir(dir)).toEqual([]);
    clock.advance(1);
    await retain.idle();
    expect(await saved(dir)).toEqual({ version: 1, messages: [message(1), message(3)] });
    // Nothing moved: the next tick writes nothing (the removed file stays away).
    await rm(join(dir, MQTT_QUEUE_FILE));
    clock.advance(SAVE_EVERY_MS);
    await retain.idle();
    expect(await readdir(dir)).toEqual([]);
    // A QoS 0 publication is no change either.
    outbox.push(message(4, 0));
    clock.advance(SAVE_EVERY_MS);
    await retain.idle();
    expect(await readdir(dir)).toEqual([]);
    // Nor a message queued and acknowledged between two ticks (a connected broker): the file
    // would hold what it holds.
    outbox.push(message(5));
    const five = outbox.persistent().at(-1)!;
    outbox.ack(five.id);
    clock.advance(SAVE_EVERY_MS);
    await retain.idle();
    expect(await readdir(dir)).toEqual([]);
    outbox.ack(outbox.persistent()[0]!.id);
    await retain.stop();
    expect(await saved(dir)).toEqual({ version: 1, messages: [message(3)] });
  });

  it('never keeps more than queue.max: the oldest are dropped and counted, in memory and on disk', async () => {
    const dir = await dataDir();
    const clock = new ManualClock();
    const outbox = new Outbox(3);
    const retain = await retainQueue(outbox, 3, dir, clock, capture().logger);
    for (let n = 1; n <= 5; n++) outbox.push(message(n));
    await retain.stop();
    expect(outbox.dropped).toBe(2);
    expect(await saved(dir)).toEqual({ version: 1, messages: [message(3), message(4), message(5)] });
    expect((await readFile(join(dir, MQTT_QUEUE_FILE))).length).toBeLessThanOrEqual(maxFileBytes(3));
  });

  it('restores the saved messages first, in order; a smaller queue.max keeps the newest and rewrites the file', async () => {
    const dir = await dataDir();
    const five = [1, 2, 3, 4, 5].map((n) => message(n, n === 4 ? 2 : 1));
    await writeFile(join(dir, MQTT_QUEUE_FILE), JSON.stringify({ version: 1, messages: five }));
    const clock = new ManualClock();
    const outbox = new Outbox(3);
    const { logger, lines } = capture();
    const retain = await retainQueue(outbox, 3, dir, clock, logger);
    expect(retain.restored).toBe(5);
    expect(outbox.dropped).toBe(2);
    outbox.push(message(6));
    expect(outbox.persistent().map((e) => e.message)).toEqual([five[3], five[4], message(6)]);
    expect(lines()).toContainEqual(expect.objectContaining({ msg: 'restored unsent MQTT messages; they are sent first', file: join(dir, MQTT_QUEUE_FILE), restored: 5, dropped: 2 }));
    clock.advance(SAVE_EVERY_MS);
    await retain.idle();
    expect(await saved(dir)).toEqual({ version: 1, messages: [five[3], five[4], message(6)] });
    await retain.stop();
  });

  it('warns about a corrupt file, naming it, starts empty and replaces it at the next save', async () => {
    const dir = await dataDir();
    const file = join(dir, MQTT_QUEUE_FILE);
    await writeFile(file, 'not a queue');
    const clock = new ManualClock();
    const outbox = new Outbox(10);
    const { logger, lines } = capture();
    const retain = await retainQueue(outbox, 10, dir, clock, logger);
    expect(retain.restored).toBe(0);
    expect(outbox.size).toBe(0);
    expect(lines()).toContainEqual(expect.objectContaining({ level: 40, file, msg: 'the saved MQTT queue cannot be read; it is ignored and replaced at the next save' }));
    clock.advance(SAVE_EVERY_MS);
    await retain.idle();
    expect(await saved(dir)).toEqual({ version: 1, messages: [] });
    await retain.stop();
  });

  it('warns once about a disk that cannot be written, and catches up when it can', async () => {
    const dir = await dataDir();
    const gone = join(dir, 'gone');
    const clock = new ManualClock();
    const outbox = new Outbox(10);
    const { logger, lines } = capture();
    const retain = await retainQueue(outbox, 10, gone, clock, logger);
    for (let n = 1; n <= 3; n++) {
      outbox.push(message(n));
      clock.advance(SAVE_EVERY_MS);
      await retain.idle();
    }
    expect(lines().filter((l) => l.msg === 'could not save the MQTT queue')).toHaveLength(1);
    await mkdir(gone);
    await retain.stop();
    expect(await saved(gone)).toEqual({ version: 1, messages: [message(1), message(2), message(3)] });
  });

  it('tries a failed save again at the next tick though nothing moved since, and then writes nothing more', async () => {
    const dir = await dataDir();
    const gone = join(dir, 'gone');
    const clock = new ManualClock();
    const outbox = new Outbox(10);
    const retain = await retainQueue(outbox, 10, gone, clock, capture().logger);
    outbox.push(message(1));
    clock.advance(SAVE_EVERY_MS);
    await retain.idle();
    await mkdir(gone);
    clock.advance(SAVE_EVERY_MS);
    await retain.idle();
    expect(await saved(gone)).toEqual({ version: 1, messages: [message(1)] });
    await rm(join(gone, MQTT_QUEUE_FILE));
    clock.advance(SAVE_EVERY_MS);
    await retain.idle();
    await retain.stop();
    expect(await readdir(gone)).toEqual([]);
  });
});
