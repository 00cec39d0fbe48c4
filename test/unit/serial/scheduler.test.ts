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
  it('keeps each profile on its grid without drift when polls take time', () => {
    const { clock, of } = schedule([100, 250], () => 7);
    clock.advance(10_000);
    const a = of(0);
    const b = of(1);
    // At 10 000 ms both are due; profile 1 was polled longer ago, so it goes first and
    // profile 0's poll has not started when the window ends.
    expect(a.length).toBe(100);
    expect(b.length).toBe(41);
    // Whoever waits when both are due waits one transaction at most; the grids never move.
    b.forEach((at, k) => expect(at - k * 250).toBeGreaterThanOrEqual(0));
    b.forEach((at, k) => expect(at - k * 250).toBeLessThanOrEqual(7));
    a.forEach((at, k) => expect(at - k * 100).toBeLessThanOrEqual(7));
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
    const { clock, scheduler } = schedule([100, 100, 100], () => 10);
    clock.advance(1_000);
    expect(scheduler.stats(0)).toMatchObject({ p50Ms: 0, maxMs: 0 });
    expect(scheduler.stats(1)).toMatchObject({ p50Ms: 10, maxMs: 10 });
    expect(scheduler.stats(2)).toMatchObject({ p50Ms: 20, p99Ms: 20, maxMs: 20 });
    // Its poll due at 1000 ms starts at 1020, after the window.
    expect(scheduler.stats(2).samples).toBe(10);
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
