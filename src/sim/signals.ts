/**
 * Drives channels' field side from signal generators on the device clock. One signal per
 * channel; attaching a new one replaces the old. The value is applied through the channel's
 * field input, so a signal is indistinguishable from a tester's writes (source "signal").
 */
import type { Channel, FieldInput } from '../device/channel.js';
import type { Clock, TimerHandle } from '../device/clock.js';
import type { SignalSpec } from '../device/schema.js';
import { SimError } from '../errors.js';
import { createGenerator, type Generator } from './generators.js';
import { deriveSeed, mulberry32 } from './random.js';

interface Running {
  spec: SignalSpec;
  generator: Generator;
  timer: TimerHandle | undefined;
}

export interface SignalLogger {
  warn(obj: object, msg: string): void;
}

/** Maps a signal value onto the channel's field input. */
function fieldInput(channel: Channel, value: number): FieldInput {
  switch (channel.type) {
    case 'di':
      return { level: value >= 0.5 ? 1 : 0 };
    case 'ai':
      return { physical: value };
    case 'rtd':
    case 'tc':
      return { temperature: value };
    case 'sp':
      return { voltage: value };
    default:
      throw new SimError('DEVICE_NOT_APPLICABLE', `${channel.ioName}: a signal drives inputs only (DI, AI, RTD, TC, power)`, {
        context: { ioName: channel.ioName },
      });
  }
}

export class SignalRunner {
  private readonly running = new Map<Channel, Running>();
  /** False until `startAfter` resolves: signals attached before then wait for their first step. */
  private started: boolean;

  /**
   * `startAfter`: signals apply their first value when attached but take no step before it
   * resolves. A fleet passes "every device has started": its devices then run in step on the
   * shared clock whatever the order they started in, and a device started first does not drive
   * field changes (and MQTT traffic) through the start of the rest, which made a fleet's start
   * grow with the square of its size.
   */
  constructor(
    private readonly clock: Clock,
    private readonly seed: number,
    private readonly logger?: SignalLogger,
    startAfter?: Promise<void>,
  ) {
    this.started = startAfter === undefined;
    void startAfter?.then(() => {
      this.started = true;
      // Every signal attached so far is waiting for its first step; a detached one is gone from `running`.
      for (const [channel, running] of this.running) this.schedule(channel, running);
    });
  }

  /** Attaches a signal and applies its first value now; throws (changing nothing) if it does not fit. */
  attach(channel: Channel, spec: SignalSpec): void {
    const random = mulberry32(spec.kind === 'randomWalk' && spec.seed !== undefined ? spec.seed : deriveSeed(this.seed, channel.ioName));
    const generator = createGenerator(spec, random);
    // Apply first: a value the channel refuses (out of the sensor's range) leaves the old signal in place.
    channel.applyField(fieldInput(channel, generator.start()), 'signal');
    this.detach(channel);
    const running: Running = { spec, generator, timer: undefined };
    this.running.set(channel, running);
    if (this.started) this.schedule(channel, running);
  }

  detach(channel: Channel): boolean {
    const running = this.running.get(channel);
    if (!running) return false;
    this.clock.clear(running.timer);
    this.running.delete(channel);
    return true;
  }

  get(channel: Channel): SignalSpec | undefined {
    return this.running.get(channel)?.spec;
  }

  dispose(): void {
    for (const channel of [...this.running.keys()]) this.detach(channel);
  }

  private schedule(channel: Channel, running: Running): void {
    const step = running.generator.next();
    if (!step) {
      running.timer = undefined;
      return;
    }
    running.timer = this.clock.setTimeout(() => {
      if (this.running.get(channel) !== running) return;
      try {
        channel.applyField(fieldInput(channel, step.value), 'signal');
      } catch (error) {
        // A generated value outside the sensor's range is skipped; the signal goes on.
        this.logger?.warn({ err: error, ioName: channel.ioName }, 'signal value refused');
      }
      this.schedule(channel, running);
    }, step.delayMs);
  }
}
