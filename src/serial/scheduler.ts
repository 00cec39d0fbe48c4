/**
 * Poll scheduling for the RTU profiles. Each profile's polls are due on a fixed grid
 * (start + k x period), so a late poll never pushes the next one back: no drift. One poll is
 * on the bus at a time and the earliest-due profile goes first (ties: the one polled longest
 * ago), so a slow
 * slave delays the others by at most the time its own transaction takes, never for more than the
 * bus can carry. A profile that falls a whole period behind skips the missed polls (counted as
 * overruns) instead of firing them back to back.
 */
import type { Clock, TimerHandle } from '../device/clock.js';
import type { LatenessStats } from './contract.js';

/** Lateness samples kept per profile for the percentiles in /sim/v1/serial. */
const SAMPLES = 1024;

/** Shown per profile in GET /sim/v1/serial: declared in the contract. */
export type { LatenessStats };

export class PollScheduler {
  private readonly nextDue: number[];
  private readonly lastStart: number[];
  private readonly lateness: Float64Array[];
  private readonly sampleCount: number[];
  readonly overruns: number[];
  private timer: TimerHandle | undefined;
  private polling = false;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly periodsMs: readonly number[],
    /**
     * Runs one poll of profile `index` and calls `done` when it settles, from a clock timer or a
     * transport callback (no promises: see RtuMaster.request), so the next poll starts then.
     */
    private readonly poll: (index: number, done: () => void) => void,
  ) {
    this.nextDue = periodsMs.map(() => 0);
    this.lastStart = periodsMs.map(() => -Infinity);
    this.lateness = periodsMs.map(() => new Float64Array(SAMPLES));
    this.sampleCount = periodsMs.map(() => 0);
    this.overruns = periodsMs.map(() => 0);
  }

  /**
   * Profile i of n starts i/n of its period after the first: profiles with the same rate take
   * turns through the period instead of queueing behind each other at the top of every cycle,
   * which is most of the lateness a bus of equal-rate profiles would otherwise see.
   */
  start(): void {
    const now = this.clock.monotonic();
    const n = this.periodsMs.length;
    this.periodsMs.forEach((period, i) => (this.nextDue[i] = now + (i / n) * period));
    this.running = true;
    this.kick();
  }

  stop(): void {
    this.running = false;
    this.clock.clear(this.timer);
    this.timer = undefined;
  }

  stats(index: number): LatenessStats {
    const count = Math.min(this.sampleCount[index] ?? 0, SAMPLES);
    if (count === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 0 };
    const sorted = Array.from(this.lateness[index]!.subarray(0, count)).sort((a, b) => a - b);
    const at = (q: number) => round(sorted[Math.min(count - 1, Math.floor(q * count))]!);
    return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: round(sorted[count - 1]!), samples: this.sampleCount[index]! };
  }

  private kick(): void {
    if (!this.running || this.polling) return;
    this.clock.clear(this.timer);
    this.timer = undefined;
    const now = this.clock.monotonic();
    // Earliest due first; on a tie (common once profiles fall behind and realign to their
    // grids) the one polled longest ago, so two late profiles take turns.
    let index = -1;
    for (let i = 0; i < this.nextDue.length; i++) {
      if (index === -1) index = i;
      else if (this.nextDue[i]! < this.nextDue[index]!) index = i;
      else if (this.nextDue[i] === this.nextDue[index] && this.lastStart[i]! < this.lastStart[index]!) index = i;
    }
    if (index === -1) return;
    const due = this.nextDue[index]!;
    if (due > now) {
      this.timer = this.clock.setTimeout(() => this.kick(), due - now);
      return;
    }
    this.record(index, now - due);
    this.lastStart[index] = now;
    const period = this.periodsMs[index]!;
    let next = due + period;
    if (next <= now) {
      const missed = Math.floor((now - next) / period) + 1;
      this.overruns[index]! += missed;
      next += missed * period;
    }
    this.nextDue[index] = next;
    this.polling = true;
    this.poll(index, () => {
      this.polling = false;
      this.kick();
    });
  }

  private record(index: number, latenessMs: number): void {
    const n = this.sampleCount[index]!;
    this.lateness[index]![n % SAMPLES] = latenessMs;
    this.sampleCount[index] = n + 1;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
