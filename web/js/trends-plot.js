// uPlot options for the Trends panel (#20): the small plot of one channel and the combined plot of
// the channels picked. Time is the device clock's (the changes' `at`), in seconds, shown in the
// page's local time; the x range is always the last WINDOW_S seconds up to the newest change.

import { WINDOW_S } from './trends-trace.js';

export const COLORS = ['#0b5cad', '#c2410c', '#1a7f37', '#8250df', '#b00020', '#0e7490', '#a16207', '#db2777'];
const FONT = '11px system-ui, sans-serif';
const AXIS = { stroke: '#4a525c', grid: { stroke: '#e6e9ee', width: 1 }, ticks: { stroke: '#c9ced6', width: 1, size: 4 }, font: FONT };
export const SPARK_HEIGHT = 110;
export const COMBINED_HEIGHT = 320;

/** Minute ticks ("12:34"); the seconds only where a tick is not on a whole minute. */
function timeValues(_u, splits) {
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    return d.getSeconds() ? `${hm}:${String(d.getSeconds()).padStart(2, '0')}` : hm;
  });
}

/** One value as an axis or legend shows it: at most 4 significant digits past the integer part. */
export function shortNumber(v) {
  if (v == null || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : String(Number(v.toPrecision(4)));
}

/** The x scale: the window ending at the newest device time the panel heard (`now()`). */
function xScale(now) {
  return { time: true, range: () => {
    const t = now();
    return [t - WINDOW_S, t];
  } };
}

/**
 * A flat line would get uPlot's default range around it; a constant 0 gets ±1, anything else
 * ±1% so a small step after a long flat stretch still shows.
 */
function yRange(_u, min, max) {
  if (min == null || max == null) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.01;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.08;
  return [min - pad, max + pad];
}

/**
 * The small plot's time ticks: whole minutes back from its right edge ("-5m" ... "now"), every
 * other one where the plot is too narrow for six labels.
 */
function minutesBack(u) {
  const t = u.scales.x.max;
  const step = u.bbox.width / devicePixelRatio / (WINDOW_S / 60) >= 34 ? 1 : 2;
  const splits = [];
  for (let m = Math.floor(WINDOW_S / 60 / step) * step; m >= 0; m -= step) splits.push(t - 60 * m);
  return splits;
}

const minutesLabels = (u, splits) => splits.map((s) => {
  const m = Math.round((u.scales.x.max - s) / 60);
  return m === 0 ? 'now' : `\u2212${m}m`;
});

/** The small plot of one channel: its line, a y axis in its unit, minute ticks back from now. */
export function sparkOptions({ width, color, now, paths, onDraw }) {
  return {
    width,
    height: SPARK_HEIGHT,
    // Room on the right for the "now" label under the right edge.
    padding: [6, 14, 0, 0],
    legend: { show: false },
    cursor: { show: false },
    select: { show: false },
    scales: { x: xScale(now), y: { range: yRange } },
    axes: [
      { ...AXIS, size: 24, splits: minutesBack, values: minutesLabels },
      { ...AXIS, size: 46, space: 24, values: (_u, splits) => splits.map(shortNumber) },
    ],
    series: [{}, { stroke: color, width: 1.5, paths, points: { show: false } }],
    hooks: { draw: [onDraw] },
  };
}

/**
 * The combined plot: one series per channel picked, one y scale per unit (the first two units
 * get an axis, left and right; further ones are read from the legend), a legend with each
 * channel's value under the cursor (or its current one).
 */
export function combinedOptions({ width, entries, now, paths, onDraw }) {
  const units = [...new Set(entries.map((e) => e.unit))];
  const scales = { x: xScale(now) };
  for (const unit of units) scales[`u:${unit}`] = { range: yRange };
  const axes = [{ ...AXIS, size: 30, space: 80, values: timeValues, label: 'device time' }];
  units.slice(0, 2).forEach((unit, i) => axes.push({
    ...AXIS,
    scale: `u:${unit}`,
    side: i === 0 ? 3 : 1,
    size: 56,
    label: unit || 'value',
    labelSize: 18,
    labelFont: FONT,
    grid: { ...AXIS.grid, show: i === 0 },
    values: (_u, splits) => splits.map(shortNumber),
  }));
  return {
    width,
    height: COMBINED_HEIGHT,
    cursor: { drag: { x: false, y: false } },
    select: { show: false },
    legend: { live: true },
    scales,
    axes,
    series: [
      { label: 'time', value: (u, v, _s, idx) => {
        const t = idx == null ? u.scales.x.max : v;
        return t == null ? '–' : new Date(t * 1000).toLocaleTimeString();
      } },
      // The cursor off the plot: each channel's current value (the held one at the right edge).
      ...entries.map((e, i) => ({
        label: `${e.label}${e.unit ? ` (${e.unit})` : ''}`,
        scale: `u:${e.unit}`,
        stroke: COLORS[i % COLORS.length],
        width: 1.5,
        paths,
        points: { show: false },
        value: (u, v, s, idx) => shortNumber(idx == null ? u.data[s][u.data[s].length - 1] : v),
      })),
    ],
    hooks: { draw: [onDraw] },
  };
}
