// The recent history of one value for the Trends panel (#20): bounded in time (the last WINDOW_S
// seconds) and in points (at most two per BUCKET_S, so at most MAX_POINTS), whatever the rate of
// changes. Pure data, no DOM: web/js/trends.js feeds it and hands its view to uPlot.
//
//   change (t, v) ─► same BUCKET_S as the newest point? keep the bucket's lowest and highest : append
//   view(now) ─► [x, y] typed-array views of the window, plus (now, last value): the value holds
//                 until it changes, so the line reaches the right edge even while nothing changes

/** The span a trend shows: the last 5 minutes. */
export const WINDOW_S = 300;
/**
 * Changes closer together than this share one bucket, which keeps only its lowest and highest
 * value (in time order): the widest plot (about 1,200 px for the 5 minutes) shows a bucket in
 * one pixel column, where the bucket's range is all that can be seen of it. A signal sampled every
 * 100 ms, or a channel written 1,000 times a second, costs at most 8 points a second.
 */
export const BUCKET_S = 0.25;
/**
 * Two per bucket over the window (whose ends may cut two buckets), and the point before it that
 * enters from the left edge.
 */
export const MAX_POINTS = 2 * (Math.ceil(WINDOW_S / BUCKET_S) + 1) + 1;
const FIRST_CAPACITY = 64;

export class Trace {
  constructor() {
    this.x = new Float64Array(FIRST_CAPACITY);
    this.y = new Float64Array(FIRST_CAPACITY);
    /** The stored points are x[start..end), oldest first. */
    this.start = 0;
    this.end = 0;
    /** The newest value (NaN: none yet), whether or not a point was stored for it. */
    this.last = NaN;
    this.bucket = NaN;
    /** Points stored in the newest bucket so far (1 or 2). */
    this.inBucket = 0;
    /** Every value pushed (stored or folded into its bucket): what a test or a debugger counts. */
    this.pushed = 0;
  }

  get length() {
    return this.end - this.start;
  }

  /** A value known with no time of its own (the snapshot): shown from the next point in time on. */
  seed(v) {
    if (typeof v === 'number' && Number.isFinite(v)) this.last = v;
  }

  /** Drops the points but not the last value: the device's clock went back (a clock-jump fault). */
  restart() {
    this.start = this.end = 0;
    this.bucket = NaN;
    this.inBucket = 0;
  }

  /** `v` at device time `t` (seconds). Values that are not finite numbers are not plotted. */
  push(t, v) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return;
    this.pushed += 1;
    this.last = v;
    if (this.end > this.start && t < this.x[this.end - 1]) this.restart();
    const bucket = Math.floor(t / BUCKET_S);
    if (bucket !== this.bucket || this.inBucket === 0) {
      this.bucket = bucket;
      this.inBucket = 1;
      this.append(t, v);
    } else if (this.inBucket === 1) {
      this.inBucket = 2;
      this.append(t, v);
    } else {
      // The bucket's two points are its extremes; a new extreme replaces the other end's point
      // and becomes the newer of the two.
      const a = this.end - 2;
      const b = this.end - 1;
      const hi = this.y[a] >= this.y[b] ? a : b;
      const lo = hi === a ? b : a;
      let keep;
      if (v >= this.y[hi]) keep = lo;
      else if (v <= this.y[lo]) keep = hi;
      else return;
      this.x[a] = this.x[keep];
      this.y[a] = this.y[keep];
      this.x[b] = t;
      this.y[b] = v;
    }
  }

  append(t, v) {
    // What left the window goes now, not only when drawn: a hidden panel's traces stay bounded too.
    this.trim(t);
    // One slot more than the points: view() writes the held value after them.
    if (this.end + 2 > this.x.length) this.makeRoom();
    this.x[this.end] = t;
    this.y[this.end] = v;
    this.end += 1;
  }

  /** Drops the points before the window ending at `now`, but the last one before it. */
  trim(now) {
    const from = now - WINDOW_S;
    while (this.end - this.start > 1 && this.x[this.start + 1] <= from) this.start += 1;
  }

  /** Grows up to twice MAX_POINTS, then moves the window's points back to the front. */
  makeRoom() {
    const n = this.end - this.start;
    // More than a window's worth can only come from a clock that ran back and forth: keep the newest.
    if (n >= MAX_POINTS) this.start = this.end - MAX_POINTS + 1;
    if (this.x.length < 2 * MAX_POINTS + 2) {
      const size = Math.min(2 * this.x.length, 2 * MAX_POINTS + 2);
      const x = new Float64Array(size);
      const y = new Float64Array(size);
      x.set(this.x.subarray(this.start, this.end));
      y.set(this.y.subarray(this.start, this.end));
      this.x = x;
      this.y = y;
    } else {
      this.x.copyWithin(0, this.start, this.end);
      this.y.copyWithin(0, this.start, this.end);
    }
    this.end -= this.start;
    this.start = 0;
  }

  /**
   * The points of the window ending at `now` (seconds; the one before it too, so the line enters
   * from the left edge), then (now, last value). Views of the trace's own arrays, valid until the
   * next push: what uPlot is handed each redraw, with no copy.
   */
  view(now) {
    if (this.end === this.start && Number.isFinite(this.last) && Number.isFinite(now)) this.append(now, this.last);
    this.trim(now);
    if (this.end === this.start) return [this.x.subarray(0, 0), this.y.subarray(0, 0)];
    if (this.end + 1 > this.x.length) this.makeRoom();
    this.x[this.end] = Math.max(now, this.x[this.end - 1]);
    this.y[this.end] = this.last;
    return [this.x.subarray(this.start, this.end + 1), this.y.subarray(this.start, this.end + 1)];
  }
}

/**
 * Several traces on one time axis for one plot (uPlot's data: one x array for every series): the
 * union of their times, each value held from its own points (null before its first).
 */
export function alignViews(views) {
  const x = [];
  const idx = views.map(() => 0);
  for (;;) {
    let t = Infinity;
    for (let s = 0; s < views.length; s++) if (idx[s] < views[s][0].length && views[s][0][idx[s]] < t) t = views[s][0][idx[s]];
    if (t === Infinity) break;
    x.push(t);
    for (let s = 0; s < views.length; s++) while (idx[s] < views[s][0].length && views[s][0][idx[s]] === t) idx[s] += 1;
  }
  const ys = views.map(([vx, vy]) => {
    const out = new Array(x.length);
    let j = 0;
    let held = null;
    for (let i = 0; i < x.length; i++) {
      while (j < vx.length && vx[j] <= x[i]) held = vy[j++];
      out[i] = held;
    }
    return out;
  });
  return [x, ...ys];
}
