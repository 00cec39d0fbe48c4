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
 * With a data dir the QoS 1/2 entries (queued or in flight: an entry leaves only on the broker's
 * ack) are also kept on disk, so an emulator restart sends them first (src/mqtt/queue-store.ts);
 * `revision` tells that store whether there is anything new to write.
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
  /**
   * Counts every change to the QoS 1/2 entries (queued, acknowledged, dropped): the persisted
   * queue is written again only when it moved. QoS 0 entries are never persisted, so they do not
   * count, and a steady stream of them costs no save.
   */
  revision = 0;
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
      if ((this.entries.get(oldest.value)?.message.qos ?? 0) > 0) this.revision += 1;
      this.entries.delete(oldest.value);
      this.dropped += 1;
    }
    const entry = { id: this.nextId++, message };
    this.entries.set(entry.id, entry);
    this.unsent.push(entry);
    if (message.qos > 0) this.revision += 1;
  }

  /** The QoS 1/2 entries the broker has not acknowledged (queued or in flight), oldest first: what a restart must not lose. */
  persistent(): OutEntry[] {
    const kept: OutEntry[] = [];
    for (const entry of this.entries.values()) if (entry.message.qos > 0) kept.push(entry);
    return kept;
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
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    if (entry.message.qos > 0) this.revision += 1;
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
