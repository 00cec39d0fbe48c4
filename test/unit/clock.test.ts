import { describe, expect, it } from 'vitest';
import { createClock, ManualClock, RealClock } from '../../src/device/clock.js';

describe('ManualClock', () => {
  it('starts at a fixed epoch and moves only when advanced', () => {
    const clock = new ManualClock();
    expect(clock.kind).toBe('manual');
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1));
    expect(clock.monotonic()).toBe(0);
    clock.advance(1500);
    expect(clock.monotonic()).toBe(1500);
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 1500);
    expect(new ManualClock(1000).now()).toBe(1000);
  });

  it('fires timers in due order, each at its own due time', () => {
    const clock = new ManualClock();
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['c', clock.monotonic()]), 300);
    clock.setTimeout(() => fired.push(['a', clock.monotonic()]), 100);
    clock.setTimeout(() => fired.push(['b', clock.monotonic()]), 200);
    clock.advance(250);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(clock.monotonic()).toBe(250);
    clock.advance(50);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
      ['c', 300],
    ]);
    expect(clock.pending()).toBe(0);
  });

  it('fires timers with equal due times first-in first-out', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    for (const n of [1, 2, 3]) clock.setTimeout(() => fired.push(n), 10);
    clock.advance(10);
    expect(fired).toEqual([1, 2, 3]);
  });

  it('does not fire a timer before its due time', () => {
    const clock = new ManualClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), 100);
    clock.advance(99);
    expect(fired).toBe(false);
    clock.advance(1);
    expect(fired).toBe(true);
  });

  it('fires a zero-delay timer on the next advance, even advance(0)', () => {
    const clock = new ManualClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 0);
    clock.advance(0);
    expect(fired).toBe(1);
  });

  it('repeats intervals at every period', () => {
    const clock = new ManualClock();
    const at: number[] = [];
    clock.setInterval(() => at.push(clock.monotonic()), 100);
    clock.advance(350);
    expect(at).toEqual([100, 200, 300]);
    clock.advance(50);
    expect(at).toEqual([100, 200, 300, 400]);
    expect(clock.pending()).toBe(1);
  });

  it('interleaves intervals and timeouts by due time', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    clock.setInterval(() => log.push(`i${clock.monotonic()}`), 100);
    clock.setTimeout(() => log.push(`t${clock.monotonic()}`), 150);
    clock.advance(300);
    expect(log).toEqual(['i100', 't150', 'i200', 'i300']);
  });

  it('fires timers set inside timers when they fall inside the window', () => {
    const clock = new ManualClock();
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.monotonic());
      clock.setTimeout(() => {
        at.push(clock.monotonic());
        clock.setTimeout(() => at.push(clock.monotonic()), 100);
      }, 30);
    }, 50);
    clock.advance(100);
    expect(at).toEqual([50, 80]);
    expect(clock.pending()).toBe(1);
    clock.advance(80);
    expect(at).toEqual([50, 80, 180]);
  });

  it('clears timeouts and intervals, and ignores undefined and stale handles', () => {
    const clock = new ManualClock();
    let timeouts = 0;
    let ticks = 0;
    const t = clock.setTimeout(() => timeouts++, 10);
    const i = clock.setInterval(() => ticks++, 10);
    clock.advance(25);
    expect(ticks).toBe(2);
    expect(timeouts).toBe(1);
    clock.clear(t); // already fired
    clock.clear(i);
    clock.clear(undefined);
    clock.advance(100);
    expect(ticks).toBe(2);
    expect(clock.pending()).toBe(0);
    const never = clock.setTimeout(() => timeouts++, 10);
    clock.clear(never);
    clock.advance(100);
    expect(timeouts).toBe(1);
  });

  it('lets an interval clear itself from inside its callback', () => {
    const clock = new ManualClock();
    let ticks = 0;
    const handle = clock.setInterval(() => {
      ticks++;
      if (ticks === 3) clock.clear(handle);
    }, 10);
    clock.advance(1000);
    expect(ticks).toBe(3);
    expect(clock.pending()).toBe(0);
  });

  it('treats an interval of 0 ms as 1 ms (no endless loop)', () => {
    const clock = new ManualClock();
    let ticks = 0;
    clock.setInterval(() => ticks++, 0);
    clock.advance(5);
    expect(ticks).toBe(5);
  });

  it('rejects a negative or non-finite advance without moving time', () => {
    const clock = new ManualClock();
    clock.advance(10);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(clock.monotonic()).toBe(10);
  });

  it('hands out distinct timer ids', () => {
    const clock = new ManualClock();
    const a = clock.setTimeout(() => undefined, 1);
    const b = clock.setInterval(() => undefined, 1);
    expect(a.id).not.toBe(b.id);
  });
});

describe('ManualClock with many timers', () => {
  it('fires hundreds of intervals the right number of times, in due order, and drops cleared ones', () => {
    const clock = new ManualClock();
    const fired = new Map<number, number>();
    const order: number[] = [];
    const handles = Array.from({ length: 400 }, (_, i) => {
      const period = 10 + (i % 37);
      return clock.setInterval(() => {
        fired.set(i, (fired.get(i) ?? 0) + 1);
        order.push(clock.monotonic());
      }, period);
    });
    // Clear every fourth one before it ever fires.
    handles.forEach((h, i) => i % 4 === 0 && clock.clear(h));
    clock.advance(10_000);
    for (let i = 0; i < 400; i++) {
      const period = 10 + (i % 37);
      expect(fired.get(i) ?? 0).toBe(i % 4 === 0 ? 0 : Math.floor(10_000 / period));
    }
    expect(order.every((t, k) => k === 0 || order[k - 1]! <= t)).toBe(true);
    expect(clock.pending()).toBe(300);
  });
});

describe('createClock', () => {
  it('builds the kind asked for', () => {
    expect(createClock('manual')).toBeInstanceOf(ManualClock);
    const real = createClock('real');
    expect(real).toBeInstanceOf(RealClock);
    expect(real.kind).toBe('real');
    // A RealClock timer that is set and cleared at once never runs; nothing waits on real time.
    const handle = real.setTimeout(() => {
      throw new Error('must not fire');
    }, 60_000);
    real.clear(handle);
  });
});
