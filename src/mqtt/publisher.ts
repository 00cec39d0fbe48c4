/**
 * Turns device changes and clock ticks into publications (M-EZ p=62-63):
 *
 *   Device.onChange ──► OnChange topic of (ioName, attribute)? ──► deadband passed? ──► send
 *   Clock.setInterval(intervalMs), one timer per period ──► every Interval topic of that period ──► send
 *
 * OnChange publishes the value the change event carries (a DI pulse that goes 0→1→0 within one
 * call publishes 1 and then 0); Interval reads the channel when the timer fires. Nothing keeps a
 * copy of a channel's value: the only state is the last value each OnChange topic published,
 * which the deadband compares against.
 */
import type { Clock, TimerHandle } from '../device/clock.js';
import type { Device, DeviceChange } from '../device/device.js';
import type { OutMessage } from './queue.js';
import { encodePayload, type PublishTopic } from './topics.js';

export interface PublisherOptions {
  /** Adds "ts" beside "value" (mqtt.payload.extraKeys). */
  extraKeys: boolean;
}

export class Publisher {
  private readonly onChangeTopics = new Map<string, PublishTopic>();
  private readonly lastPublished = new Map<PublishTopic, number>();
  private readonly timers: TimerHandle[] = [];
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    /** The enabled topics, in the device's order. */
    private readonly topics: readonly PublishTopic[],
    private readonly options: PublisherOptions,
    private readonly send: (message: OutMessage) => void,
  ) {
    for (const t of topics) {
      if (t.trigger === 'onChange') this.onChangeTopics.set(key(t.ioName, t.parameter), t);
    }
  }

  start(): void {
    // The deadband's reference starts at the value the channel holds now.
    for (const t of this.onChangeTopics.values()) this.lastPublished.set(t, t.channel.read(t.parameter));
    this.unsubscribe = this.device.onChange((change) => this.onChange(change));
    const periods = new Map<number, PublishTopic[]>();
    for (const t of this.topics) {
      if (t.trigger !== 'interval') continue;
      const list = periods.get(t.intervalMs) ?? [];
      list.push(t);
      periods.set(t.intervalMs, list);
    }
    for (const [period, list] of periods) {
      this.timers.push(this.clock.setInterval(() => this.publishNow(list), period));
    }
  }

  /** Publishes the current value of every enabled topic (mqtt.publishOnStart, on the first connection). */
  publishAll(): void {
    this.publishNow(this.topics);
    for (const t of this.onChangeTopics.values()) this.lastPublished.set(t, t.channel.read(t.parameter));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.timers) this.clock.clear(timer);
    this.timers.length = 0;
  }

  private publishNow(list: readonly PublishTopic[]): void {
    const at = this.clock.now();
    for (const t of list) this.emit(t, t.channel.read(t.parameter), at);
  }

  private onChange(change: DeviceChange): void {
    const t = this.onChangeTopics.get(key(change.ioName, change.attribute));
    if (!t) return;
    const last = this.lastPublished.get(t);
    // OnChange criterion for analog values (M-EZ p=63, text cut off): a change of at least the
    // deadband since the last published value (ASSUMPTION); deadband 0 = any change.
    if (t.deadband > 0 && last !== undefined && Math.abs(change.value - last) < t.deadband) return;
    this.lastPublished.set(t, change.value);
    this.emit(t, change.value, change.at);
  }

  private emit(t: PublishTopic, value: number, at: number): void {
    // A removed or failed module publishes nothing (src/device/faults.ts).
    if (this.device.unavailable(t.channel)) return;
    this.send({ topic: t.topic, payload: encodePayload(value, at, this.options.extraKeys), qos: t.qos, retain: t.retain });
  }

}

function key(ioName: string, attribute: string): string {
  return `${ioName}\u0000${attribute}`;
}
