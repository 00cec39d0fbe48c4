// The Trends panel's per-channel history (web/js/trends-trace.js, #20): bounded whatever the rate,
// the extremes of a bucket kept, the window trimmed, a clock that went back starting over, and
// several traces put on one time axis with each value held.
import { describe, expect, it } from 'vitest';

interface Trace {
  length: number;
  last: number;
  pushed: number;
  seed(v: unknown): void;
  push(t: number, v: unknown): void;
  view(now: number): [Float64Array, Float64Array];
}
interface TraceModule {
  Trace: new () => Trace;
  alignViews(views: [ArrayLike<number>, ArrayLike<number>][]): (number | null)[][];
  WINDOW_S: number;
  BUCKET_S: number;
  MAX_POINTS: number;
}

// A browser module (plain JS, no types): loaded by URL so TypeScript leaves it to vitest.
const MODULE = new URL('../../web/js/trends-trace.js', import.meta.url).href;
const { Trace, alignViews, WINDOW_S, BUCKET_S, MAX_POINTS } = (await import(MODULE)) as TraceModule;

const pairs = ([x, y]: [Float64Array, Float64Array]) => Array.from(x, (t, i) => [t, y[i]]);

describe('Trace (#20)', () => {
  it('keeps a bucket\'s lowest and highest value, in time order, and shows the newest at the right edge', () => {
    const trace = new Trace();
    trace.push(10, 5);
    trace.push(10.05, 3);
    trace.push(10.1, 7); // a new high: the low (3) and the high (7) stay
    trace.push(10.15, 6); // inside: folded, but it is the value now
    expect(trace.length).toBe(2);
    expect(trace.pushed).toBe(4);
    expect(pairs(trace.view(10.2))).toEqual([[10.05, 3], [10.1, 7], [10.2, 6]]);
    trace.push(10.2, 1); // a new low in the same bucket: the high stays, the low moves
    expect(pairs(trace.view(10.2))).toEqual([[10.1, 7], [10.2, 1], [10.2, 1]]);
  });

  it('stays bounded at 1,000 changes a second for longer than its window', () => {
    const trace = new Trace();
    let t = 0;
    let most = 0;
    for (let i = 0; i < 2 * WINDOW_S * 1000; i++) {
      t = i / 1000;
      trace.push(t, Math.sin(i));
      most = Math.max(most, trace.length);
    }
    expect(most).toBeLessThanOrEqual(MAX_POINTS);
    const [x] = trace.view(t);
    expect(x.length).toBeLessThanOrEqual(MAX_POINTS + 1);
    // The window, and the one point before it that enters from the left edge.
    expect(x[1]).toBeGreaterThan(t - WINDOW_S);
    expect(x[0]).toBeLessThanOrEqual(t - WINDOW_S);
    expect(x.length).toBeGreaterThan((WINDOW_S / BUCKET_S) * 1.9);
  });

  it('plots a seeded value from the first time it is viewed, and skips what is not a number', () => {
    const trace = new Trace();
    trace.seed(4);
    trace.push(1, null);
    trace.push(1, 'x');
    expect(trace.pushed).toBe(0);
    expect(pairs(trace.view(100))).toEqual([[100, 4], [100, 4]]);
    trace.push(101, 6);
    expect(pairs(trace.view(102))).toEqual([[100, 4], [101, 6], [102, 6]]);
  });

  it('starts over when the clock went back, keeping the value', () => {
    const trace = new Trace();
    trace.push(1000, 1);
    trace.push(1001, 2);
    trace.push(500, 3);
    expect(pairs(trace.view(501))).toEqual([[500, 3], [501, 3]]);
  });

  it('puts several traces on one time axis, each value held until it changes', () => {
    expect(alignViews([
      [[1, 3, 5], [10, 30, 50]],
      [[2, 3, 5], [20, 21, 22]],
    ])).toEqual([
      [1, 2, 3, 5],
      [10, 10, 30, 50],
      [null, 20, 21, 22],
    ]);
  });
});
