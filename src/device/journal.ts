/**
 * The event journal: every change, every write attempt and every protocol request that touched
 * the device, with who (source and peer address), what and when (device clock), in a bounded
 * ring, so a test can assert "the SCADA wrote DO 3 exactly once" with GET /sim/v1/journal.
 *
 *   request  a protocol request as it arrived: Modbus FC and range, a REST method and path, an
 *            MQTT write topic, an SNMP varbind; `result` says how it ended
 *   write    one attribute write through the model (even one that changes nothing), ok or refused
 *   change   a value that changed, from any source (protocols, field side, signals, RTU, clock)
 *   fault    a fault injected or cleared
 *   scenario a scenario step
 */
import type { ChangeSource } from './channel.js';
import { Listeners, type ListenerLogger } from './listeners.js';

export const JOURNAL_KINDS = ['request', 'write', 'change', 'fault', 'scenario'] as const;
export type JournalKind = (typeof JOURNAL_KINDS)[number];

export type JournalSource = ChangeSource | 'http';

export interface JournalEntry {
  /** From 1, one per entry; numbers keep counting after the ring drops old entries. */
  seq: number;
  /** Device clock time, ms since the epoch. */
  at: number;
  kind: JournalKind;
  source: JournalSource;
  peer: string | null;
  ioName?: string;
  attribute?: string;
  value?: number;
  previous?: number;
  /** What was asked: "FC6 holding 1024 x1", "PUT /api/io/do/...", a topic. */
  action?: string;
  /** Modbus function code of a Modbus request (for counting without parsing `action`). */
  function?: number;
  /** How it ended: "ok", "exception 2", "400 HTTP_BAD_REQUEST", an error code. */
  result?: string;
}

export type JournalInput = Omit<JournalEntry, 'seq' | 'at'>;

export interface JournalFilter {
  kind?: JournalKind;
  source?: JournalSource;
  ioName?: string;
  attribute?: string;
  peer?: string;
  /** Entries with seq > since. */
  since?: number;
  /** Clock time window, inclusive. */
  from?: number;
  to?: number;
  /** The last `limit` matches (default all the ring holds). */
  limit?: number;
}

export const DEFAULT_JOURNAL_CAPACITY = 10_000;

export class Journal {
  private readonly ring: (JournalEntry | undefined)[];
  private seq = 0;
  /** Entries up to this seq were cleared. */
  private cleared = 0;
  private readonly listeners: Listeners<JournalEntry>;

  /** `logger`: where a failing entry listener is logged; it never stops the record or the other listeners. */
  constructor(
    private readonly now: () => number,
    readonly capacity = DEFAULT_JOURNAL_CAPACITY,
    logger?: ListenerLogger,
  ) {
    this.ring = new Array<JournalEntry | undefined>(capacity);
    this.listeners = new Listeners<JournalEntry>('journal', logger, (entry) => ({ seq: entry.seq, kind: entry.kind }));
  }

  /**
   * Takes `input` over as the entry (no copy): a hot caller may give `action` as a getter, worked
   * out only when somebody reads the entry (the Modbus server does, per request).
   */
  record(input: JournalInput): JournalEntry {
    const entry = input as JournalEntry;
    entry.seq = ++this.seq;
    entry.at = this.now();
    this.ring[(entry.seq - 1) % this.capacity] = entry;
    this.listeners.emit(entry);
    return entry;
  }

  /** Sequence number of the last entry (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Entries still held, oldest first, that match every given field. */
  query(filter: JournalFilter = {}): JournalEntry[] {
    const out: JournalEntry[] = [];
    const first = Math.max(this.cleared + 1, this.seq - this.capacity + 1, (filter.since ?? 0) + 1);
    for (let seq = first; seq <= this.seq; seq++) {
      const e = this.ring[(seq - 1) % this.capacity]!;
      if (filter.kind !== undefined && e.kind !== filter.kind) continue;
      if (filter.source !== undefined && e.source !== filter.source) continue;
      if (filter.ioName !== undefined && e.ioName !== filter.ioName) continue;
      if (filter.attribute !== undefined && e.attribute !== filter.attribute) continue;
      if (filter.peer !== undefined && e.peer !== filter.peer) continue;
      if (filter.from !== undefined && e.at < filter.from) continue;
      if (filter.to !== undefined && e.at > filter.to) continue;
      out.push(e);
    }
    return filter.limit !== undefined && out.length > filter.limit ? out.slice(out.length - filter.limit) : out;
  }

  onEntry(listener: (entry: JournalEntry) => void): () => void {
    return this.listeners.add(listener);
  }

  /** Forgets every entry; numbers go on, so a client holding `since` never sees a number twice. */
  clear(): void {
    this.ring.fill(undefined);
    this.cleared = this.seq;
  }
}
