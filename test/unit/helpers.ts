/**
 * Shared helpers for the unit tests: build a Device from a profile on a ManualClock, record its
 * change events, and assert SimError codes. Every device a helper builds is disposed when the
 * test finishes (owned teardown), and no test touches real time.
 */
import { expect, onTestFinished } from 'vitest';
import { parseProfile, problemsOf, type ProfileProblem } from '../../src/config/load.js';
import { profileSchema, type ProfileInput } from '../../src/config/profile.js';
import type * as z from 'zod';
import type { Channel } from '../../src/device/channel.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device, type DeviceChange } from '../../src/device/device.js';
import type { channelConfigSchema } from '../../src/device/schema.js';
import { isSimError, SimError, type ErrorCode } from '../../src/errors.js';

export type ChannelInput = z.input<typeof channelConfigSchema>;

export interface Rig {
  device: Device;
  clock: ManualClock;
  /** Every change the device reported since it was built. */
  changes: DeviceChange[];
  /** The changes of one attribute, in order. */
  changesOf(attribute: string): DeviceChange[];
}

/** Parses the profile through the real schema and builds a device on a fresh ManualClock. */
export function rig(input: ProfileInput = {}, clock = new ManualClock()): Rig {
  const profile = profileSchema.parse(input);
  const device = new Device(profile, clock);
  const changes: DeviceChange[] = [];
  device.onChange((c) => changes.push(c));
  onTestFinished(() => device.dispose());
  return { device, clock, changes, changesOf: (attribute) => changes.filter((c) => c.attribute === attribute) };
}

/** A device with one module in slot 1, with optional per-channel settings. */
export function oneModule(module: string, channels: ChannelInput[] = []): Rig & { ch(index: number): Channel } {
  const r = rig({ slots: [{ slot: 1, module, channels }] });
  return { ...r, ch: (index: number) => r.device.channel(1, index) };
}

/** Runs `fn`, expects a SimError with `code`, and returns it for further checks. */
export function expectSimError(fn: () => unknown, code: ErrorCode): SimError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected SimError ${code}`).toBeInstanceOf(SimError);
  expect((caught as SimError).code).toBe(code);
  expect(isSimError(caught, code)).toBe(true);
  return caught as SimError;
}

/**
 * Validates a profile through parseProfile (as JSON text, which is YAML) and returns the problems
 * it reports; [] when the profile is valid.
 */
export function problems(input: unknown, file = 'test.yaml'): ProfileProblem[] {
  try {
    parseProfile(file, JSON.stringify(input));
    return [];
  } catch (error) {
    const found = problemsOf(error);
    if (!found) throw error;
    return found;
  }
}
