// The Trends panel (#20): a small live plot per analog channel (AI, AO, RTD, TC, and each WORD,
// DWORD or FLOAT internal register once it changes) over the last 5 minutes, and one bigger plot
// of the channels picked with their checkboxes. Drawn by uPlot, served from node_modules at
// vendor/uplot/ (src/http/vendor.ts) and loaded the first time a plot comes on screen.
//
//   bus.js onSnapshot ─► one Trace per analog channel (seeded with its value) ─► its card
//   bus.js onDeviceChange ─► Trace.push(at, value) ─► plot dirty ─► wake()
//   wake ─► an animation frame (FRAME_MS apart at least) ─► flush: the due plots on screen, oldest
//           drawn first, at most PLOTS_PER_FRAME and FRAME_BUDGET_MS ─► uPlot setData (no rebuild) ─► a timer for the next due
//
// Under a flood (#19: 1,000 changes a second) the changes only go into the traces (bounded, see
// trends-trace.js); what is redrawn is bounded by the screen: a plot off screen, in a hidden panel
// or a background tab is never drawn (IntersectionObserver, and no frames run in a hidden tab),
// and one on screen at most every MIN_REDRAW_MS when its value changed, or once per pixel of time
// when only the time axis moved.

import { el, setText } from './util.js';
import { onDeviceChange, onSnapshot } from './bus.js';
import { ANALOG_TYPES, unitOf } from './faceplate.js';
import { Trace, WINDOW_S, alignViews } from './trends-trace.js';
import { COLORS, COMBINED_HEIGHT, SPARK_HEIGHT, combinedOptions, shortNumber, sparkOptions } from './trends-plot.js';

/** The scaled value of each analog channel type, as the snapshot and the changes name it. */
const VALUE_ATTR = Object.fromEntries(ANALOG_TYPES.map((type) => [type, `${type}ValueScaled`]));
/** Internal registers with a number to plot (BIR-nn, a bit, is not analog). */
const IR_KIND = { WIR: 'WORD', DIR: 'DWORD', FIR: 'FLOAT' };
const MAX_PICKED = COLORS.length;
/**
 * A plot whose value changed is redrawn at most once a second (a small plot's pixel is about 2 s
 * of time, the combined one's about 250 ms: it moves by 4 pixels at a time). A canvas redraw costs
 * more than its script: chromium rasterises what the script drew when the frame commits (in its
 * trace, Canvas2DResourceProvider::ProduceCanvasResource, 16-25 ms in one frame on a busy CPU),
 * so fewer canvas updates a second is what keeps a flood's frames short.
 */
const MIN_REDRAW_MS = { spark: 1000, combined: 1000 };
/**
 * Frames of the Trends panel's own come at most every FRAME_MS, and draw at most 2 plots and
 * build 1, none started past the time budget. Each frame costs chromium a fixed few ms of style,
 * layout, paint and commit however little changed (web/app.js FRAME_MS), and the whole task must
 * stay well under a long task (50 ms) on a CPU shared with other work, where a task's wall time is
 * a few times its CPU time: 2 plots every 100 ms is 20 a second, more than the plots on screen ask
 * for (about 15 a second in a flood).
 */
const FRAME_MS = 100;
const PLOTS_PER_FRAME = 2;
const CREATES_PER_FRAME = 1;
const FRAME_BUDGET_MS = 4;

/** For tests and a debugger (import it from the page): what is drawn, not how. */
export const trendsDebug = {
  /** Plots drawn since the page loaded (uPlot's draw hook), and the time spent feeding and building them. */
  redraws: 0,
  drawMs: 0,
  /** The frames that drew plots, and the longest of their plot work. */
  frames: 0,
  longestFrameMs: 0,
  /** What the small plot of `ioName` shows: its number of points, and the newest value and time. */
  plotted: (ioName) => entryOf(ioName)?.plot.shown ?? null,
  /** The combined plot's series labels and points, or null while none is drawn. */
  combined() {
    const u = combined.u;
    return u && !combined.box.closest('[hidden]') ? { labels: u.series.slice(1).map((s) => s.label), points: u.data[0].length } : null;
  },
  /** Plots on screen not built yet (uPlot loading, or one built a frame). */
  unbuilt: () => [...plots].filter((p) => p.visible && !p.u).length + (uPlot ? 0 : 1),
  /** Values received for `ioName`, whether drawn or not. */
  received: (ioName) => entryOf(ioName)?.trace.pushed ?? 0,
};

/** The trend of `ioName`, looked up only for trendsDebug (the page itself goes by key). */
function entryOf(ioName) {
  for (const e of entries.values()) if (e.ioName === ioName) return e;
  return undefined;
}

/** key ("slot:index", or "ir:WIR-03") ─► {key, ioName, label, unit, attr, trace, plot, card, pick} */
const entries = new Map();
/** Picked for the combined plot, in the order picked. */
let picked = [];
/** The device time (s) of the newest change heard: the right edge of every plot. */
let now = NaN;
/** Until the first change: the page's clock stands in for the device's (same machine, usually). */
let nowFromDevice = false;

let uPlot = null;
let stepped = null;
let loading = null;

const root = document.getElementById('trends');
const grid = el('div', { class: 'trends-grid' });
const irGrid = el('div', { class: 'trends-grid' });
const irHead = el('h3', { text: 'Internal registers', hidden: true });
const pickedNote = el('output', { class: 'trends-picked' });
const problem = el('p', { class: 'field-error', role: 'alert', hidden: true });
const clearButton = el('button', { type: 'button', text: 'Clear selection', disabled: true, onclick: () => setPicked([]) });
const combinedBox = el('div', { class: 'trends-plot trends-combined-plot', role: 'img', style: `height: ${COMBINED_HEIGHT + 40}px` });
const combinedFigure = el('figure', { class: 'trends-combined', hidden: true },
  el('figcaption', {}, 'Together: ', pickedNote), combinedBox);
root.replaceChildren(
  el('p', { class: 'hint', text: `The last ${WINDOW_S / 60} minutes of each analog channel by the device's clock; tick channels to plot them together (up to ${MAX_PICKED}).` }),
  el('div', { class: 'row' }, clearButton),
  problem, combinedFigure, grid, irHead, irGrid,
);

// ---- plots and their scheduling -------------------------------------------------------------

const plots = new Set();
const byBox = new Map();
let visibleCount = 0;
let frame = 0;
let timer = 0;
let timerAt = Infinity;

/** A plot: built lazily (on screen, uPlot loaded), then only fed new data. */
function makePlot(box, kind, data, options) {
  const p = { box, kind, data, options, u: null, visible: false, dirty: true, width: 0, resized: false, drawnAt: -Infinity, drawnNow: NaN, after: null, shown: null };
  plots.add(p);
  byBox.set(box, p);
  seen.observe(box);
  sized.observe(box);
  return p;
}

function dropPlot(p) {
  seen.unobserve(p.box);
  sized.unobserve(p.box);
  if (p.visible) visibleCount -= 1;
  p.u?.destroy();
  plots.delete(p);
  byBox.delete(p.box);
}

const seen = new IntersectionObserver((records) => {
  for (const r of records) {
    const p = byBox.get(r.target);
    if (!p || p.visible === r.isIntersecting) continue;
    p.visible = r.isIntersecting;
    visibleCount += p.visible ? 1 : -1;
  }
  if (visibleCount > 0) {
    load();
    wake(0);
  }
}, { rootMargin: '120px 0px' });

const sized = new ResizeObserver((records) => {
  for (const r of records) {
    const p = byBox.get(r.target);
    const width = Math.floor(r.contentRect.width);
    if (!p || width === p.width) continue;
    p.width = width;
    p.resized = Boolean(p.u);
  }
  if (visibleCount > 0) wake(0);
});

/** uPlot, the first time a plot is on screen; a failure is shown in the panel, once. */
function load() {
  loading ??= import('../vendor/uplot/uPlot.esm.js').then((m) => {
    uPlot = m.default;
    stepped = uPlot.paths.stepped({ align: 1 });
    wake(0);
  }, (e) => {
    problem.textContent = `The charting library (vendor/uplot/uPlot.esm.js) could not be loaded: ${e.message}`;
    problem.hidden = false;
  });
}

/** When the last frame of ours ran: the next one is FRAME_MS later at the soonest. */
let flushedAt = -Infinity;

/** Asks for a frame at `at` (performance.now() time), unless one comes sooner already. */
function wake(at) {
  at = Math.max(at, flushedAt + FRAME_MS);
  if (frame || timerAt <= at) return;
  clearTimeout(timer);
  const wait = at - performance.now();
  if (wait <= 0) {
    timer = 0;
    timerAt = Infinity;
    frame = requestAnimationFrame(flush);
  } else {
    timerAt = at;
    timer = setTimeout(() => {
      timer = 0;
      timerAt = Infinity;
      if (!frame) frame = requestAnimationFrame(flush);
    }, wait);
  }
}

/** How long a plot's time axis takes to move by one pixel: redrawing sooner moves nothing. */
const pixelMs = (p) => (WINDOW_S * 1000) / Math.max(1, p.width - 60);

function flush() {
  frame = 0;
  if (!uPlot || visibleCount === 0) return;
  const t0 = performance.now();
  flushedAt = t0;
  let created = 0;
  let next = Infinity;
  const due = [];
  for (const p of plots) {
    if (!p.visible || p.width === 0) continue;
    if (!p.u) {
      if (created++ < CREATES_PER_FRAME) due.push(p);
      else next = t0;
      continue;
    }
    if (!p.dirty && !p.resized && p.drawnNow === now) continue;
    const at = p.resized ? t0 : p.drawnAt + (p.dirty ? MIN_REDRAW_MS[p.kind] : pixelMs(p));
    if (at <= t0) due.push(p);
    else next = Math.min(next, at);
  }
  due.sort((a, b) => a.drawnAt - b.drawnAt);
  let drawn = 0;
  for (const p of due) {
    if (drawn >= PLOTS_PER_FRAME || performance.now() - t0 > FRAME_BUDGET_MS) {
      next = t0;
      break;
    }
    draw(p);
    drawn += 1;
  }
  if (drawn) {
    const ms = performance.now() - t0;
    trendsDebug.frames += 1;
    trendsDebug.drawMs += ms;
    trendsDebug.longestFrameMs = Math.max(trendsDebug.longestFrameMs, ms);
  }
  if (next < Infinity) wake(next);
}

function draw(p) {
  const data = p.data();
  if (!p.u) {
    p.u = new uPlot(p.options(p.width), data, p.box);
  } else {
    p.u.batch(() => {
      if (p.resized) p.u.setSize({ width: p.width, height: p.kind === 'spark' ? SPARK_HEIGHT : COMBINED_HEIGHT });
      p.u.setData(data);
    });
  }
  if (p.kind === 'spark') {
    const n = data[0].length;
    p.shown = { points: n, last: n ? data[1][n - 1] : null, at: n ? data[0][n - 1] : null };
  }
  p.resized = false;
  p.dirty = false;
  p.drawnAt = performance.now();
  p.drawnNow = now;
  p.after?.();
}

const onDraw = () => {
  trendsDebug.redraws += 1;
};
const getNow = () => now;

/** Marks `p` as changed; a plot on screen gets a frame once it may be redrawn. */
function touch(p) {
  if (!p || p.dirty) return;
  p.dirty = true;
  if (p.visible) wake(p.drawnAt + MIN_REDRAW_MS[p.kind]);
}

// ---- the channels ---------------------------------------------------------------------------

function currentText(e) {
  return Number.isFinite(e.trace.last) ? `${shortNumber(e.trace.last)}${e.unit ? ` ${e.unit}` : ''}` : '–';
}

/** A card: the channel's name, a checkbox to plot it with others, its current value, its plot. */
function buildCard(e) {
  const id = `trend-${e.key.replace(/[^\w-]/g, '-')}`;
  const value = el('output', { class: 'val trends-val' });
  const pick = el('input', { type: 'checkbox', id: `${id}-pick`, 'aria-label': `Plot ${e.label} with the others` });
  pick.addEventListener('change', () => setPicked(pick.checked ? [...picked, e] : picked.filter((x) => x !== e)));
  const box = el('div', { class: 'trends-plot', role: 'img', 'aria-label': `Trend of ${e.label}, last ${WINDOW_S / 60} minutes`, style: `height: ${SPARK_HEIGHT}px` });
  const card = el('article', { class: 'trend', 'data-trend': e.ioName },
    el('div', { class: 'trends-head' }, pick, el('label', { for: `${id}-pick`, text: e.name }), value),
    box,
    el('p', { class: 'meta', text: e.meta }));
  e.card = card;
  e.pick = pick;
  e.plot = makePlot(box, 'spark', () => e.trace.view(now), (width) => sparkOptions({ width, color: COLORS[0], now: getNow, paths: stepped, onDraw }));
  e.plot.after = () => setText(value, currentText(e));
  setText(value, currentText(e));
  return card;
}

function removeEntry(e) {
  entries.delete(e.key);
  dropPlot(e.plot);
  e.card?.remove();
}

/** The analog channels of a snapshot (first load, reconnect, restart after a config change). */
onSnapshot((device) => {
  const keep = new Set();
  let changed = false;
  for (const slot of device.slots) {
    for (const ch of slot.channels ?? []) {
      const attr = VALUE_ATTR[ch.type];
      if (!attr) continue;
      const key = `${slot.slot}:${ch.index}`;
      const unit = unitOf(ch);
      const meta = `Slot ${slot.slot} · ${slot.module} · ${ch.type.toUpperCase()}-${String(ch.index).padStart(2, '0')}${ch.modeName ? ` · ${ch.modeName}` : ''}`;
      let e = entries.get(key);
      // A channel now of another kind or unit (a changed module or mode) starts a new trend.
      if (e && (e.ioName !== ch.ioName || e.attr !== attr || e.unit !== unit || e.meta !== meta)) {
        removeEntry(e);
        e = undefined;
      }
      if (!e) {
        e = { key, ioName: ch.ioName, name: ch.name, label: `${ch.name} (slot ${slot.slot})`, unit, attr, meta, trace: new Trace(), plot: null, card: null, pick: null };
        entries.set(key, e);
        changed = true;
      }
      keep.add(key);
      // Values missed while disconnected: the snapshot's, from the newest time heard.
      if (e.trace.length && nowFromDevice) e.trace.push(now, ch[attr]);
      else e.trace.seed(ch[attr]);
      touch(e.plot);
    }
  }
  for (const e of [...entries.values()]) {
    if (!e.key.startsWith('ir:') && !keep.has(e.key)) {
      removeEntry(e);
      changed = true;
    }
  }
  if (changed) {
    grid.replaceChildren(...[...entries.values()].filter((e) => !e.key.startsWith('ir:')).map((e) => e.card ?? buildCard(e)));
    setPicked(picked.filter((e) => entries.get(e.key) === e));
  }
  if (!nowFromDevice) now = Date.now() / 1000;
});

onDeviceChange((change) => {
  let e;
  if (change.type === 'ir') {
    const kind = IR_KIND[change.ioName?.slice(0, 3)];
    if (!kind) return;
    e = entries.get(`ir:${change.ioName}`) ?? addIr(change, kind);
  } else {
    if (!VALUE_ATTR[change.type]) return noteTime(change);
    e = entries.get(`${change.slot}:${change.index}`);
    if (!e || change.attribute !== e.attr) return noteTime(change);
  }
  noteTime(change);
  e.trace.push(now, change.value);
  touch(e.plot);
  if (e.pick?.checked) touch(combined);
});

/** The device's time as the changes tell it; a clock that went back starts every trend again. */
function noteTime(change) {
  const t = typeof change.at === 'number' ? change.at / 1000 : Date.now() / 1000;
  if (t === now) return;
  if (t < now || !nowFromDevice) for (const e of entries.values()) e.trace.restart();
  nowFromDevice = true;
  now = t;
  // Every plot on screen scrolls: one frame now if none is coming (flush sets the timers after).
  if (visibleCount > 0 && !frame && !timer) wake(0);
}

/** An internal register's trend, made the first time it changes (192 IRs, most never used). */
function addIr(change, kind) {
  const e = { key: `ir:${change.ioName}`, ioName: change.ioName, name: change.ioName, label: change.ioName, unit: '', attr: 'irValue', meta: `Internal register · ${kind}`, trace: new Trace(), plot: null, card: null, pick: null };
  entries.set(e.key, e);
  e.trace.seed(change.previous);
  irGrid.append(buildCard(e));
  irHead.hidden = false;
  return e;
}

// ---- the combined plot ----------------------------------------------------------------------

const combined = makePlot(combinedBox, 'combined',
  () => alignViews(picked.map((e) => e.trace.view(now))),
  (width) => combinedOptions({ width, entries: picked, now: getNow, paths: stepped, onDraw }));

/** The channels plotted together: rebuilt only when the choice changes, fed like the others. */
function setPicked(list) {
  if (list.length > MAX_PICKED) {
    problem.textContent = `At most ${MAX_PICKED} channels can be plotted together.`;
    problem.hidden = false;
    list = list.slice(0, MAX_PICKED);
  } else if (problem.textContent.startsWith('At most')) {
    problem.hidden = true;
  }
  picked = list;
  for (const e of entries.values()) if (e.pick) e.pick.checked = picked.includes(e);
  combined.u?.destroy();
  combined.u = null;
  combined.dirty = true;
  combinedFigure.hidden = picked.length === 0;
  clearButton.disabled = picked.length === 0;
  combinedBox.setAttribute('aria-label', `Trends of ${picked.map((e) => e.label).join(', ')}, last ${WINDOW_S / 60} minutes`);
  setText(pickedNote, picked.map((e) => e.label).join(', '));
  if (combined.visible) wake(0);
}
