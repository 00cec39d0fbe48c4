/**
 * The one source of time. Every timer in the emulator (pulses, signals, scan rates, keep-alives)
 * goes through a Clock, so a ManualClock makes a whole run replayable: time moves only when a
 * test or `POST /sim/v1/clock/advance` says so, and timers fire in due-time order.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  readonly kind: 'real' | 'manual';
  /** Milliseconds since the Unix epoch (wall time as the device shows it). */
  now(): number;
  /** Milliseconds since the clock started; never goes backwards. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle | undefined): void;
  /**
   * Steps the wall clock (now()) by ms, as an NTP step or a battery-less restart does; monotonic
   * time and timers are not affected. A fault (src/device/faults.ts clock-jump) and its undo.
   */
  jump(ms: number): void;
}

export class RealClock implements Clock {
  readonly kind = 'real' as const;
  private readonly started = performance.now();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  jump(ms: number): void {
    this.offset += ms;
  }

  monotonic(): number {
    return performance.now() - this.started;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, Math.max(0, ms));
    timer.unref();
    this.timers.set(id, timer);
    return { id };
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const timer = setInterval(fn, Math.max(1, ms));
    timer.unref();
    this.timers.set(id, timer);
    return { id };
  }

  clear(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const timer = this.timers.get(handle.id);
    if (timer) clearTimeout(timer);
    this.timers.delete(handle.id);
  }
}

interface ManualTimer {
  id: number;
  due: number;
  /** Insertion order breaks ties so equal due times fire first-in first-out. */
  order: number;
  period: number | null;
  fn: () => void;
}

/**
 * Time moves only through advance(). Timers wait in a binary min-heap ordered by (due, order), so
 * a long advance over many sampled signals costs O(log n) per firing, not a scan; a cleared
 * timer is dropped lazily when it reaches the top.
 */
export class ManualClock implements Clock {
  readonly kind = 'manual' as const;
  private elapsed = 0;
  private epoch: number;
  private readonly timers = new Map<number, ManualTimer>();
  private readonly heap: ManualTimer[] = [];
  private nextId = 1;
  private nextOrder = 1;

  /** @param epoch wall time at start; fixed by default so that runs are identical. */
  constructor(epoch = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.epoch = epoch;
  }

  now(): number {
    return this.epoch + this.elapsed;
  }

  jump(ms: number): void {
    this.epoch += ms;
  }

  monotonic(): number {
    return this.elapsed;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, Math.max(1, ms), Math.max(1, ms));
  }

  clear(handle: TimerHandle | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }

  /**
   * Milliseconds until the next timer falls due (0 when one is due now), or undefined when none
   * waits; a scenario's waitFor advances to it rather than in fixed steps (src/sim/scenario-runner.ts).
   */
  nextDueIn(): number | undefined {
    const next = this.peek();
    return next === undefined ? undefined : Math.max(0, next.due - this.elapsed);
  }

  /** Number of timers waiting; useful to see that a test cleaned up. */
  pending(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, in order, each at
   * its own due time (so a timer set by a timer also fires if it falls inside the window).
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance: ms must be >= 0, got ${ms}`);
    const target = this.elapsed + ms;
    for (;;) {
      const next = this.peek();
      if (!next || next.due > target) break;
      this.pop();
      this.elapsed = Math.max(this.elapsed, next.due);
      if (next.period === null) {
        this.timers.delete(next.id);
      } else {
        next.due += next.period;
        next.order = this.nextOrder++;
        this.push(next);
      }
      next.fn();
    }
    this.elapsed = target;
  }

  private add(fn: () => void, ms: number, period: number | null): TimerHandle {
    const id = this.nextId++;
    const timer: ManualTimer = { id, due: this.elapsed + Math.max(0, Number.isFinite(ms) ? ms : 0), order: this.nextOrder++, period, fn };
    this.timers.set(id, timer);
    this.push(timer);
    return { id };
  }

  /** The earliest live timer, dropping cleared ones on the way. */
  private peek(): ManualTimer | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0]!;
      if (this.timers.get(top.id) === top) return top;
      this.pop();
    }
    return undefined;
  }

  private before(a: ManualTimer, b: ManualTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.order < b.order);
  }

  private push(timer: ManualTimer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < heap.length && this.before(heap[l]!, heap[best]!)) best = l;
      if (r < heap.length && this.before(heap[r]!, heap[best]!)) best = r;
      if (best === i) break;
      [heap[i], heap[best]] = [heap[best]!, heap[i]!];
      i = best;
    }
  }
}

export function createClock(kind: 'real' | 'manual'): Clock {
  return kind === 'manual' ? new ManualClock() : new RealClock();
}

/**
 * The clock for the emulator's own I/O timers (the MQTT transport, periodic saves): the device's
 * clock when it is real, else a real one, since a manual device clock stands still between steps
 * while sockets and disks go on in real time.
 */
export function ioClock(clock: Clock): Clock {
  return clock.kind === 'real' ? clock : new RealClock();
}
