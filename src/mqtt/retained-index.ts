/**
 * The embedded broker's retained messages, kept in a tree of topic levels.
 *
 * aedes' memory persistence keeps them in one Map and answers each SUBSCRIBE by testing every
 * retained topic against the filter (qlobber, which splits each topic again for each test). That is
 * O(retained messages) per subscription: in a fleet of 1,000 devices (~160 retained value topics
 * each) every device's one write-topic subscription tested up to 160,000 topics. It took 31% of the
 * process's CPU after start and was why MQTT clients waited past their CONNACK timeout while a fleet
 * started (bench/fleet.mjs, issue #16). Walking the tree visits only the levels a filter can match,
 * so a subscription costs what it matches.
 *
 * Matching follows MQTT 3.1.1 section 4.7: `+` is one level (an empty one too), `#` is the rest,
 * the parent level included (`a/#` matches `a`), and a filter starting with a wildcard does not
 * match topics starting with `$` [MQTT-4.7.2-1].
 */
import { Readable } from 'node:stream';
import type { AedesMemoryPersistence, Packet } from 'aedes-persistence';

interface Level<P> {
  children: Map<string, Level<P>> | null;
  message: P | null;
}

const newLevel = <P>(): Level<P> => ({ children: null, message: null });

export class RetainedTopicIndex<P> {
  private readonly root: Level<P> = newLevel();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Keeps `message` as the retained message of `topic`, replacing the one before. */
  set(topic: string, message: P): void {
    let level = this.root;
    for (const word of topic.split('/')) {
      level.children ??= new Map();
      let next = level.children.get(word);
      if (!next) {
        next = newLevel();
        level.children.set(word, next);
      }
      level = next;
    }
    if (level.message === null) this.count += 1;
    level.message = message;
  }

  has(topic: string): boolean {
    let level: Level<P> | undefined = this.root;
    for (const word of topic.split('/')) {
      level = level.children?.get(word);
      if (!level) return false;
    }
    return level.message !== null;
  }

  /** Forgets the retained message of `topic` (an empty retained payload), and the levels it alone held. */
  delete(topic: string): void {
    const words = topic.split('/');
    const path: Level<P>[] = [this.root];
    for (const word of words) {
      const next = path[path.length - 1]!.children?.get(word);
      if (!next) return;
      path.push(next);
    }
    const last = path[path.length - 1]!;
    if (last.message === null) return;
    last.message = null;
    this.count -= 1;
    // Prune from the leaf up, so topics that come and go do not grow the tree for ever.
    for (let i = words.length; i > 0; i--) {
      const level = path[i]!;
      if (level.message !== null || (level.children && level.children.size > 0)) break;
      path[i - 1]!.children!.delete(words[i - 1]!);
    }
  }

  /** The retained messages whose topics `filter` matches. */
  match(filter: string): P[] {
    const found: P[] = [];
    this.walk(this.root, filter.split('/'), 0, found);
    return found;
  }

  private walk(level: Level<P>, words: string[], at: number, found: P[]): void {
    if (at === words.length) {
      if (level.message !== null) found.push(level.message);
      return;
    }
    const word = words[at]!;
    const atRoot = at === 0;
    if (word === '#') {
      if (level.message !== null && !atRoot) found.push(level.message);
      this.everything(level, atRoot, found);
      return;
    }
    if (!level.children) return;
    if (word === '+') {
      for (const [name, child] of level.children) if (!(atRoot && name.startsWith('$'))) this.walk(child, words, at + 1, found);
      return;
    }
    const child = level.children.get(word);
    if (child) this.walk(child, words, at + 1, found);
  }

  /** Every message below `level`, iteratively: a deep tree must not overflow the stack. */
  private everything(level: Level<P>, atRoot: boolean, found: P[]): void {
    const stack: Level<P>[] = [];
    if (level.children) for (const [name, child] of level.children) if (!(atRoot && name.startsWith('$'))) stack.push(child);
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (next.message !== null) found.push(next.message);
      if (next.children) for (const child of next.children.values()) stack.push(child);
    }
  }
}

/**
 * Replaces the retained-message part of aedes' memory persistence with a RetainedTopicIndex of at
 * most `maxTopics` topics (limits.broker.maxRetained); the rest (sessions, subscriptions, QoS
 * queues) stays aedes' own.
 */
export function indexRetained(persistence: AedesMemoryPersistence, bound: { maxTopics: number; refused: (topic: string) => void }): AedesMemoryPersistence {
  const index = new RetainedTopicIndex<Packet>();
  // aedes calls it without a callback and waits on the promise; the types declare only the callback.
  const storeRetained = (packet: Packet, cb?: (error: Error | null) => void): Promise<void> | void => {
    // Only PUBLISH packets are retained; the type is every packet's.
    if (!('topic' in packet) || !('payload' in packet)) return cb ? queueMicrotask(() => cb(null)) : Promise.resolve();
    // A copy, as aedes' own store keeps: the packet object goes on to be delivered and changed.
    // The payload too: as parsed it is a view into the chunk the connection read, and kept as a
    // view it would keep that whole chunk alive, once per retained topic.
    if (packet.payload.length === 0) index.delete(packet.topic);
    // A client-controlled number of topics: past the bound a new one is delivered, not kept.
    else if (index.size >= bound.maxTopics && !index.has(packet.topic)) bound.refused(packet.topic);
    else index.set(packet.topic, { ...packet, payload: Buffer.from(packet.payload) });
    if (!cb) return Promise.resolve();
    // Answered after this turn, as aedes' own store answers (a promise).
    queueMicrotask(() => cb(null));
  };
  persistence.storeRetained = storeRetained;
  persistence.createRetainedStream = (pattern: string) => Readable.from(index.match(pattern));
  persistence.createRetainedStreamCombi = (patterns: string[]) => Readable.from(patterns.flatMap((p) => index.match(p)));
  return persistence;
}
