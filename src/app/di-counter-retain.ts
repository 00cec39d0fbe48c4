/**
 * Keeps the DI counters a profile marks `counterRetain` across restarts (a new process on the
 * same data dir, or the in-process restart of a new config). At start the saved counts replace
 * the profile's counterValue; while running, a timer every second hands the counts to a
 * ConfigWriter, which writes them when they differ from what is on disk (one write in flight,
 * one pending; counting itself stays a field increment, nothing on its path); at stop the last
 * counts are written. The real device's behaviour is not documented: this is an ASSUMPTION
 * (docs/profiles.md).
 */
import type { Logger } from 'pino';
import { ConfigWriter } from '../config/writer.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { DiChannel } from '../device/di.js';
import type { DeviceSpec } from '../device/schema.js';
import { readDiCounters, writeDiCounters, type SavedCounters } from './di-counter-store.js';

export const SAVE_EVERY_MS = 1000;

export interface CounterRetain {
  /** Resolves once every save handed to the writer so far is on disk (or failed). */
  idle(): Promise<void>;
  /** Writes the last counts and stops the timer. */
  stop(): Promise<void>;
}

const NOTHING: CounterRetain = { idle: () => Promise.resolve(), stop: () => Promise.resolve() };

/** The counter-capable DI channels the spec marks counterRetain, by `slot/index`. */
function retainedChannels(device: Device, spec: Pick<DeviceSpec, 'slots'>): Map<string, DiChannel> {
  const channels = new Map<string, DiChannel>();
  for (const slot of spec.slots) {
    for (const ch of slot.channels) {
      if (ch.counterRetain !== true) continue;
      const channel = device.findChannelRef(`${slot.slot}/${ch.index}`);
      if (channel instanceof DiChannel && channel.counterCapable) channels.set(`${slot.slot}/${ch.index}`, channel);
    }
  }
  return channels;
}

function snapshot(channels: Map<string, DiChannel>): SavedCounters {
  const counters: SavedCounters = {};
  for (const [key, channel] of channels) counters[key] = channel.counterState();
  return counters;
}

/**
 * Applies the saved counts and starts saving on `clock` (the emulator passes its ioClock: a save
 * is I/O, in real time); never throws (a bad file is a warning).
 */
export async function startCounterRetain(device: Device, spec: Pick<DeviceSpec, 'slots'>, dataDir: string | undefined, clock: Clock, logger: Logger): Promise<CounterRetain> {
  const channels = retainedChannels(device, spec);
  if (channels.size === 0) return NOTHING;
  if (!dataDir) {
    logger.info({ channels: [...channels.keys()] }, 'counterRetain has no effect without --data-dir; the counters start from the profile');
    return NOTHING;
  }
  const saved = await readDiCounters(dataDir);
  if (saved.kind === 'bad') logger.warn({ reason: saved.reason }, 'the saved DI counters cannot be read; they start from the profile');
  if (saved.kind === 'ok') {
    // A key whose channel is gone or no longer retained is left out: the next write drops it.
    for (const [key, counter] of Object.entries(saved.counters)) channels.get(key)?.restoreCounter(counter.value, counter.overflow);
  }

  // The writer's state is what the file holds (null: nothing readable there yet).
  let failing = false;
  const writer = new ConfigWriter<SavedCounters | null>(saved.kind === 'ok' ? saved.counters : null, {
    persist: async (counters) => {
      if (counters === null || JSON.stringify(counters) === JSON.stringify(writer.state)) return;
      await writeDiCounters(dataDir, counters);
      failing = false;
    },
    // A disk that stays full or read-only: warned once, then at debug until a write succeeds.
    onWriteFailed: (error) => {
      logger[failing ? 'debug' : 'warn']({ err: error }, 'could not save the DI counters');
      failing = true;
    },
  });
  const save = (): Promise<unknown> => writer.submit(() => snapshot(channels)).catch(() => undefined);
  const timer = clock.setInterval(() => void save(), SAVE_EVERY_MS);
  return {
    idle: () => writer.idle(),
    stop: async () => {
      clock.clear(timer);
      await save();
    },
  };
}
