/**
 * Keeps the DI counters a profile marks `counterRetain` across restarts (a new process on the
 * same data dir, or the in-process restart of a new config). At start the saved counts replace
 * the profile's counterValue; while running, a 1 s timer writes the file when a count changed
 * (counting itself stays a field increment, nothing on its path); at stop the last counts are
 * written. The real device's behaviour is not documented: this is an ASSUMPTION (docs/profiles.md).
 */
import type { Logger } from 'pino';
import type { Device } from '../device/device.js';
import { DiChannel } from '../device/di.js';
import type { DeviceSpec } from '../device/schema.js';
import { readDiCounters, writeDiCounters, type SavedCounters } from './di-counter-store.js';

const SAVE_EVERY_MS = 1000;

export interface CounterRetain {
  /** Writes the last counts and stops the timer. */
  stop(): Promise<void>;
}

const NOTHING: CounterRetain = { stop: () => Promise.resolve() };

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

/** Applies the saved counts and starts saving; never throws (a bad file is a warning). */
export async function startCounterRetain(device: Device, spec: Pick<DeviceSpec, 'slots'>, dataDir: string | undefined, logger: Logger): Promise<CounterRetain> {
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

  // What the file holds: a save writes only when the counts differ from it.
  let written = saved.kind === 'ok' ? JSON.stringify(saved.counters) : '';
  let writing: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    writing = writing.then(async () => {
      const counters = snapshot(channels);
      const text = JSON.stringify(counters);
      if (text === written) return;
      try {
        await writeDiCounters(dataDir, counters);
        written = text;
      } catch (error) {
        logger.warn({ err: error }, 'could not save the DI counters');
      }
    });
    return writing;
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void save().finally(() => (busy = false));
  }, SAVE_EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await save();
    },
  };
}
