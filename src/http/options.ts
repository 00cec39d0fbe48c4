/**
 * What the HTTP layer needs from the rest of the emulator. Signals come in through an interface
 * (not src/sim's SignalRunner) so that http depends only on device and config; cli wires the
 * real runner in, which satisfies SignalControl structurally.
 */
import type { Logger } from 'pino';
import type { Profile } from '../config/profile.js';
import type { Channel } from '../device/channel.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import type { SignalSpec } from '../device/schema.js';

export interface SignalControl {
  /** Attaches (or replaces) a channel's generator; throws a SimError and changes nothing if it does not fit. */
  attach(channel: Channel, spec: SignalSpec): void;
  /** Returns whether a signal was attached. */
  detach(channel: Channel): boolean;
  get(channel: Channel): SignalSpec | undefined;
}

export interface HttpAppOptions {
  device: Device;
  clock: Clock;
  signals: SignalControl;
  profile: Profile;
  logger: Logger;
}
