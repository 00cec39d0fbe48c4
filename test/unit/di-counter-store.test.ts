import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SAVE_EVERY_MS, startCounterRetain } from '../../src/app/di-counter-retain.js';
import { DI_COUNTERS_FILE, MAX_FILE_BYTES, readDiCounters, writeDiCounters } from '../../src/app/di-counter-store.js';
import { profileSchema, type ProfileInput } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { cleanupProcesses, tempDir } from '../helpers/process.js';

afterEach(cleanupProcesses);

const dataDir = tempDir;

/** A logger whose lines the test reads. */
function capture(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void out.push(line) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

const PROFILE: ProfileInput = {
  slots: [{ slot: 1, module: '45MR-1600', channels: [{ index: 0, mode: 'counter', counterRetain: true, counterValue: 7 }, { index: 1, mode: 'counter', counterValue: 5 }] }],
};

function build(input: ProfileInput = PROFILE) {
  const profile = profileSchema.parse(input);
  const device = new Device(profile, new ManualClock());
  return { profile, device };
}

describe('di-counters.json', () => {
  it('reads back what it wrote; a missing file is none', async () => {
    const dir = await dataDir();
    expect(await readDiCounters(dir)).toEqual({ kind: 'none' });
    await writeDiCounters(dir, { '1/0': { value: 4_294_967_295, overflow: true } });
    expect(await readDiCounters(dir)).toEqual({ kind: 'ok', counters: { '1/0': { value: 4_294_967_295, overflow: true } } });
  });

  it('calls a file that is not JSON, or not the format, bad', async () => {
    const dir = await dataDir();
    await writeFile(join(dir, DI_COUNTERS_FILE), '{"version": 1, "counters": {');
    expect((await readDiCounters(dir)).kind).toBe('bad');
    await writeFile(join(dir, DI_COUNTERS_FILE), JSON.stringify({ version: 1, counters: { '1/0': { value: -1, overflow: false } } }));
    expect((await readDiCounters(dir)).kind).toBe('bad');
  });
});

describe('counterRetain', () => {
  it('restores only retained channels that still exist, and saves the counts at stop', async () => {
    const dir = await dataDir();
    await writeDiCounters(dir, { '1/0': { value: 41, overflow: true }, '1/1': { value: 99, overflow: false }, '3/0': { value: 1, overflow: false } });
    const { profile, device } = build();
    const retain = await startCounterRetain(device, profile, dir, new ManualClock(), pino({ level: 'silent' }));
    expect(device.channel(1, 0).read('diCounterValue')).toBe(41);
    expect(device.channel(1, 0).read('diCounterOverflowFlag')).toBe(1);
    // Not retained: the profile's value.
    expect(device.channel(1, 1).read('diCounterValue')).toBe(5);
    device.channel(1, 0).applyField({ level: 1 }, 'field');
    device.channel(1, 0).write('diCounterValue', 1000, 'sim');
    await retain.stop();
    expect(JSON.parse(await readFile(join(dir, DI_COUNTERS_FILE), 'utf8'))).toEqual({ version: 1, counters: { '1/0': { value: 1000, overflow: true } } });
    device.dispose();
  });

  it('saves a changed count on the next tick of its clock, and nothing while the counts stand still', async () => {
    const dir = await dataDir();
    const { profile, device } = build();
    const clock = new ManualClock();
    const retain = await startCounterRetain(device, profile, dir, clock, pino({ level: 'silent' }));
    const saved = async () => {
      await retain.idle();
      const read = await readDiCounters(dir);
      return read.kind === 'ok' ? read.counters : null;
    };
    clock.advance(SAVE_EVERY_MS);
    expect(await saved()).toEqual({ '1/0': { value: 7, overflow: false } });
    device.channel(1, 0).write('diCounterValue', 42, 'sim');
    clock.advance(SAVE_EVERY_MS - 1);
    expect(await saved()).toEqual({ '1/0': { value: 7, overflow: false } });
    clock.advance(1);
    expect(await saved()).toEqual({ '1/0': { value: 42, overflow: false } });
    await retain.stop();
    device.dispose();
  });

  it('starts from the profile with a warning when the file is corrupt', async () => {
    const dir = await dataDir();
    await writeFile(join(dir, DI_COUNTERS_FILE), 'not json');
    const { profile, device } = build();
    const log = capture();
    const retain = await startCounterRetain(device, profile, dir, new ManualClock(), log.logger);
    expect(device.channel(1, 0).read('diCounterValue')).toBe(7);
    expect(log.lines()).toEqual([expect.objectContaining({ level: 40, msg: 'the saved DI counters cannot be read; they start from the profile' })]);
    await retain.stop();
    expect((await readDiCounters(dir)).kind).toBe('ok');
    device.dispose();
  });

  it('refuses a file larger than a full rail\'s counters take unread: a warning, and the counts start from the profile', async () => {
    const dir = await dataDir();
    const file = join(dir, DI_COUNTERS_FILE);
    // A file the format accepts, padded: read, it would restore 41; only its size refuses it.
    const valid = JSON.stringify({ version: 1, counters: { '1/0': { value: 41, overflow: false } } });
    await writeFile(file, valid + ' '.repeat(MAX_FILE_BYTES - valid.length));
    expect(await readDiCounters(dir)).toEqual({ kind: 'ok', counters: { '1/0': { value: 41, overflow: false } } });
    await writeFile(file, valid + ' '.repeat(MAX_FILE_BYTES + 1 - valid.length));
    expect(await readDiCounters(dir)).toEqual({ kind: 'bad', reason: `${MAX_FILE_BYTES + 1} bytes: more than the counters of 512 channels (a full rail) take` });
    const { profile, device } = build();
    const log = capture();
    const retain = await startCounterRetain(device, profile, dir, new ManualClock(), log.logger);
    expect(device.channel(1, 0).read('diCounterValue')).toBe(7);
    expect(log.lines()).toEqual([expect.objectContaining({ level: 40, msg: 'the saved DI counters cannot be read; they start from the profile', reason: expect.stringContaining(`${MAX_FILE_BYTES + 1} bytes`) })]);
    await retain.stop();
    device.dispose();
  });

  it('holds a full rail: 32 modules of 16 counter DIs (as many channels as a device can have) fit under the cap', async () => {
    const dir = await dataDir();
    const counters = Object.fromEntries(Array.from({ length: 32 * 16 }, (_, i) => [`${Math.floor(i / 16) + 1}/${i % 16}`, { value: 4_294_967_295, overflow: true }]));
    await writeDiCounters(dir, counters);
    expect(await readDiCounters(dir)).toEqual({ kind: 'ok', counters });
  });

  it('without a data dir says so once at info and does nothing', async () => {
    const { profile, device } = build();
    const log = capture();
    const retain = await startCounterRetain(device, profile, undefined, new ManualClock(), log.logger);
    expect(log.lines()).toEqual([expect.objectContaining({ level: 30, msg: 'counterRetain has no effect without --data-dir; the counters start from the profile' })]);
    await retain.stop();
    expect(device.channel(1, 0).read('diCounterValue')).toBe(7);
    device.dispose();
  });

  it('writes nothing for a profile without counterRetain', async () => {
    const dir = await dataDir();
    const { profile, device } = build({ slots: [{ slot: 1, module: '45MR-1600', channels: [{ index: 0, mode: 'counter' }] }] });
    await (await startCounterRetain(device, profile, dir, new ManualClock(), pino({ level: 'silent' }))).stop();
    expect(await readDiCounters(dir)).toEqual({ kind: 'none' });
    device.dispose();
  });
});
