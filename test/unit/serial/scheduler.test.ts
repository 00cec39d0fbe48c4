import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/device/clock.js';
import { PollScheduler } from '../../../src/serial/scheduler.js';

/** A scheduler whose polls take `busyMs` of bus time each; records when each poll started. */
function schedule(periodsMs: number[], busyMs: (index: number) => number) {
  const clock = new ManualClock();
  const starts: { index: number; at: number }[] = [];
  const scheduler = new PollScheduler(clock, periodsMs, (index, done) => {
    starts.push({ index, at: clock.monotonic() });
    clock.setTimeout(done, busyMs(index));
  });
  scheduler.start();
  return { clock, scheduler, starts, of: (i: number) => starts.filter((s) => s.index === i).map((s) => s.at) };
}

describe('poll scheduler', () => {
  it('keeps each profile on its own grid, staggered through the period, without drift', () => {
    const { clock, of } = schedule([100, 250], () => 7);
    clock.advance(10_000);
    // Profile 1 of 2 starts half its period in: 125, 375, ... never queueing behind profile 0.
    expect(of(0)).toEqual(Array.from({ length: 101 }, (_, k) => k * 100));
    expect(of(1)).toEqual(Array.from({ length: 40 }, (_, k) => 125 + k * 250));
  });

  it('staggers equal rates so they do not wait for each other', () => {
    const { clock, scheduler } = schedule([100, 100, 100, 100], () => 20);
    clock.advance(2_000);
    for (let i = 0; i < 4; i++) expect(scheduler.stats(i).maxMs).toBe(0);
  });

  it('serves the earliest-due profile first, so a slow slave cannot starve the others', () => {
    // Profile 0's slave always times out (300 ms of bus time); profile 1 wants a poll every 100 ms.
    const { clock, of, scheduler } = schedule([100, 100], (i) => (i === 0 ? 300 : 5));
    clock.advance(3_000);
    const fast = of(1);
    const slow = of(0);
    // Fast polls alternate with slow ones: never more than one slow transaction between two fast polls.
    for (let k = 1; k < fast.length; k++) expect(fast[k]! - fast[k - 1]!).toBeLessThanOrEqual(305 + 1e-9);
    expect(fast.length).toBeGreaterThanOrEqual(9);
    expect(slow.length).toBeGreaterThanOrEqual(9);
    // The slow profile falls behind its grid and skips polls instead of bursting.
    expect(scheduler.overruns[0]).toBeGreaterThan(0);
    for (let k = 1; k < slow.length; k++) expect(slow[k]! - slow[k - 1]!).toBeGreaterThanOrEqual(300);
  });

  it('reports lateness percentiles against the schedule', () => {
    // Profile 0's transaction (70 ms) overlaps profile 1's slot at 50 ms: profile 1 starts 20 ms late.
    const { clock, scheduler } = schedule([100, 100], (i) => (i === 0 ? 70 : 10));
    clock.advance(1_000);
    expect(scheduler.stats(0)).toEqual({ p50Ms: 0, p99Ms: 0, maxMs: 0, samples: 11 });
    expect(scheduler.stats(1)).toEqual({ p50Ms: 20, p99Ms: 20, maxMs: 20, samples: 10 });
  });

  it('stops polling when stopped', () => {
    const { clock, scheduler, starts } = schedule([100], () => 1);
    clock.advance(250);
    scheduler.stop();
    const count = starts.length;
    clock.advance(1_000);
    expect(starts.length).toBe(count);
    expect(clock.pending()).toBe(0);
  });
});
