/**
 * Listener sets that survive a failing listener (STYLE.md §1, #15 item 4): the listener's error
 * is logged and the emit goes on, so the write that raised the event completes and the other
 * listeners still hear of it. Used by the Device (changes), the fault board, the journal, the
 * scenario controller and, through emitSafely(), the MQTT service's EventEmitter.
 *
 *   emit(event) ─► listener 1 ─► ok
 *               ─► listener 2 ─► throws ─► logger.error({err, ...context(event)}, '<name> listener failed')
 *               ─► listener 3 ─► ok
 */
import type { EventEmitter } from 'node:events';

/** The one method a listener set logs with; a component's pino logger fits. */
export interface ListenerLogger {
  error(obj: object, msg: string): void;
}

export class Listeners<E> {
  private readonly set = new Set<(event: E) => void>();

  /**
   * `name` says whose listener failed in the log line; `context` picks what of the event the log
   * line carries (an ioName, a run id). Without a logger a failure is still contained, not logged.
   */
  constructor(
    private readonly name: string,
    private readonly logger: ListenerLogger | undefined,
    private readonly context?: (event: E) => object,
  ) {}

  /** Adds a listener; returns its removal. */
  add(listener: (event: E) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  /** Calls every listener, in the order they were added; none of their errors escapes. */
  emit(event: E): void {
    for (const listener of this.set) {
      try {
        listener(event);
      } catch (error) {
        this.logger?.error({ err: error, ...this.context?.(event) }, `${this.name} listener failed`);
      }
    }
  }

  get size(): number {
    return this.set.size;
  }

  clear(): void {
    this.set.clear();
  }
}

/**
 * EventEmitter.emit() for emitters that tests and callers `once()` on, with the same containment:
 * each listener is called on its own (raw listeners, so a `once` listener still removes itself),
 * and one that throws is logged instead of stopping the rest and the emitter's caller.
 */
export function emitSafely<T extends Record<keyof T, unknown[]>, K extends keyof T & string>(
  emitter: EventEmitter<T>,
  event: K,
  args: T[K],
  logger: ListenerLogger | undefined,
): void {
  // Node's typings resolve rawListeners' types only for a concrete event map; each takes T[K].
  const untyped = emitter as unknown as EventEmitter;
  for (const listener of untyped.rawListeners(event) as ((...a: T[K]) => void)[]) {
    try {
      listener.apply(emitter, args);
    } catch (error) {
      logger?.error({ err: error, event }, `${event} listener failed`);
    }
  }
}
