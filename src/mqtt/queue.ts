/**
 * The outbox: every publication waits here, in order, until the broker has it (PUBACK for QoS 1,
 * PUBCOMP for QoS 2, written to the socket for QoS 0). An entry sent on a connection that then
 * dies is sent again on the next one, so a broker outage loses nothing and keeps the order; an
 * entry may therefore arrive twice (at least once, also for QoS 2, because a clean session does
 * not carry packet ids over to the new connection).
 *
 *   publisher ──push──► [ e1 e2 e3 … eN ]  (bounded: when full the oldest is dropped and counted)
 *                         │   sent on the current connection, at most `window` in flight
 *                         ▼
 *                       broker ack ──► entry removed, `published` + 1
 *
 * Not persisted: an emulator restart loses what is queued (docs/mqtt.md).
 */
import type { Qos } from './topics.js';

export interface OutMessage {
  readonly topic: string;
  readonly payload: string;
  readonly qos: Qos;
  readonly retain: boolean;
}

export interface OutEntry {
  readonly id: number;
  readonly message: OutMessage;
}

export class Outbox {
  /** Every entry the broker has not acknowledged, oldest first. */
  private readonly entries = new Map<number, OutEntry>();
  /** Entries not yet sent on the current connection, oldest first, from `head` (a deque). */
  private unsent: OutEntry[] = [];
  private head = 0;
  private nextId = 1;
  /** Entries removed unsent because the outbox was full. */
  dropped = 0;
  /** Entries the broker acknowledged. */
  published = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly max: number) {}

  get size(): number {
    return this.entries.size;
  }

  push(message: OutMessage): void {
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      // Its slot in `unsent` (if any) is skipped by next(), which checks membership.
      this.entries.delete(oldest.value);
      this.dropped += 1;
    }
    const entry = { id: this.nextId++, message };
    this.entries.set(entry.id, entry);
    this.unsent.push(entry);
  }

  /** A new connection: everything not acknowledged is sent again, in order. */
  rewind(): void {
    this.unsent = [...this.entries.values()];
    this.head = 0;
  }

  /** The oldest entry not yet sent on this connection. */
  next(): OutEntry | undefined {
    while (this.head < this.unsent.length) {
      const entry = this.unsent[this.head++] as OutEntry;
      if (this.entries.has(entry.id)) return entry;
    }
    // Everything was taken: reset the deque so it does not grow without bound.
    this.unsent = [];
    this.head = 0;
    return undefined;
  }

  /** The broker has it. False when the entry was dropped meanwhile (it is then counted as dropped). */
  ack(id: number): boolean {
    if (!this.entries.delete(id)) return false;
    this.published += 1;
    if (this.entries.size === 0) this.wakeIdle();
    return true;
  }

  /** Resolves once the outbox is empty. */
  whenEmpty(): Promise<void> {
    if (this.entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
