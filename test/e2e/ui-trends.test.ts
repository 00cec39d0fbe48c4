/**
 * The Trends panel (issue 20 part 2) in Debian's chromium: a trend per analog channel that moves
 * with its signal and ends at the device's value, two channels picked into one plot of two series,
 * no redraw while the panel is hidden, and the page smooth (no long task) under the flood of
 * issue 19 with the panel on screen, from the moment its plots are built (opening it is reported,
 * as ui-perf.test.ts reports loading the page).
 *
 *   signal ─► Device ─► /sim/v1/events ─► app.js ─► bus.js ─► web/js/trends.js ─► uPlot (vendor/uplot/)
 *
 * What is plotted is read from the page's own module (`import('/js/trends.js')`: the same instance
 * the app runs, whose trendsDebug reports what each uPlot holds and counts its draws). The panel's
 * own tests run the device on the manual clock and move it (POST /sim/v1/clock/advance): a signal
 * moves only when a test says so, by a known number of samples, and a trend's right edge is the
 * device's time to the millisecond. The flood test keeps the real clock: it measures a rate.
 */
import { availableParallelism, loadavg } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel, WAIT } from '../helpers/browser.js';
import { cleanupProcesses, startCliWith } from '../helpers/process.js';
import { changesTotal, describeTasks, floodProfile, LONG_TASK_MS, longTasks, recordLongTasks, TARGET_RATE, untilChanges } from '../helpers/ui-flood.js';
import { advanceClock, startUiDevice } from '../helpers/ui-device.js';
import { until } from '../helpers/until.js';

const SINE = '45MR-3810-0@AI-00';
const STEADY = '45MR-3810-0@AI-01';
const RTD = '45MR-6600-0@RTD-00';
const RUNNING = '45MR-3810-0@AI-02';

/** A small rail: two AIs with a sine sampled every 100 ms, one AI held, and RTDs (another unit). */
const PROFILE = {
  device: { name: 'trend_rig' },
  slots: [
    { slot: 1, module: '45MR-3810', channels: [
      { index: 0, signal: { kind: 'sine', offset: 5, amplitude: 4, periodMs: 4000, sampleMs: 100 } },
      { index: 1, physical: 2.5 },
      { index: 2, signal: { kind: 'sine', offset: 5, amplitude: 3, periodMs: 3000, sampleMs: 100 } },
    ] },
    { slot: 2, module: '45MR-6600' },
  ],
};

interface Plotted { points: number; last: number | null; at: number | null }
interface TrendsDebug {
  redraws: number;
  unbuilt(): number;
  plotted(ioName: string): Plotted | null;
  combined(): { labels: string[]; points: number } | null;
  received(ioName: string): number;
}

/**
 * Runs `fn` on the page's trendsDebug (the module instance app.js imported). A string, not a
 * function: vitest would rewrite an import() in a function's source for node.
 */
function debug<T>(page: Page, fn: keyof TrendsDebug, ...args: string[]): Promise<T> {
  return page.evaluate(`import('/js/trends.js').then(({ trendsDebug: d }) => {
    const member = d[${JSON.stringify(fn)}];
    return typeof member === 'function' ? member.apply(d, ${JSON.stringify(args)}) : member;
  })`) as Promise<T>;
}

const plotted = (page: Page, ioName: string) => debug<Plotted | null>(page, 'plotted', ioName);
const redraws = (page: Page) => debug<number>(page, 'redraws');

let browser: Browser | undefined;

afterEach(async () => {
  await browser?.close();
  browser = undefined;
});
afterAll(cleanupProcesses);

describe('Trends panel (#20)', () => {
  let page: Page;
  let base: string;
  /** Moves the device's clock by `ms`; resolves its time after, in seconds (as the trends plot it). */
  const advance = async (ms: number) => (await advanceClock(base, ms)) / 1000;

  beforeAll(async () => {
    ({ base } = await startUiDevice(PROFILE));
  });

  it('plots each analog channel live, ending at the device value, and two picked channels together', async () => {
    ({ browser, page } = await openUi(base));
    await showPanel(page, 'trends-panel');
    // One card per analog channel of the profile: 8 AIs and 6 RTDs.
    expect(await page.locator('#trends [data-trend]').count()).toBe(14);

    await until('the sine channel plotted', async () => (await plotted(page, SINE)) ?? undefined, WAIT.timeout);
    // Until the first change the page's clock stands in for the device's: from it on, the device's.
    const start = await advance(1000);
    const first = await until('the sine trend on the device clock', async () => {
      const now = await plotted(page, SINE);
      return now?.at === start ? now : undefined;
    }, WAIT.timeout);
    // It moves with its signal: 2 s more are 20 samples in 8 buckets of 250 ms (at least a point
    // each), and the sine (4 s period) is elsewhere at the end, while the right edge is the device's time.
    const end = await advance(2000);
    const moved = await until('the sine trend to reach the device time', async () => {
      const now = await plotted(page, SINE);
      return now?.at === end ? now : undefined;
    }, WAIT.timeout);
    expect(moved.points).toBeGreaterThanOrEqual(first.points + 8);
    expect(moved.last).not.toBe(first.last);

    // Held at a value (a field write ends the signal): the trend ends at what the device reports.
    const put = await fetch(`${base}/sim/v1/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ physical: 7.25 }) });
    expect(put.status).toBe(200);
    const device = (await (await fetch(`${base}/sim/v1/slots/1/channels/0`)).json()) as { aiValueScaled: number; field: { scaledUnit: string } };
    expect(device.aiValueScaled).toBeCloseTo(7.25, 2);
    await until('the trend to end at the device value', async () => ((await plotted(page, SINE))?.last === device.aiValueScaled ? true : undefined), WAIT.timeout);
    await page.locator(`#trends [data-trend="${SINE}"] .trends-val`).filter({ hasText: `${Number(device.aiValueScaled.toPrecision(4))} ${device.field.scaledUnit}` }).waitFor(WAIT);
    // A channel with no change since the page loaded is plotted at its snapshot value.
    expect((await plotted(page, STEADY))?.last).toBe(2.5);

    // Two channels of two units picked: one plot, two series, each on its own scale.
    expect(await debug(page, 'combined')).toBeNull();
    await page.getByLabel(`Plot ${'AI-00'} (slot 1) with the others`).check();
    await page.getByLabel(`Plot ${'RTD-00'} (slot 2) with the others`).check();
    const together = await until('the combined plot', async () => (await debug<{ labels: string[]; points: number } | null>(page, 'combined')) ?? undefined, WAIT.timeout);
    expect(together.labels).toEqual(['AI-00 (slot 1) (V)', 'RTD-00 (slot 2) (°C)']);
    expect(together.points).toBeGreaterThan(1);
    expect(await page.locator('#trends .trends-combined canvas').count()).toBe(1);
    await expect.poll(() => page.locator('#trends .trends-combined .u-legend .u-series').count()).toBe(3); // time + two channels
    const rtd = (await (await fetch(`${base}/sim/v1/slots/2/channels/0`)).json()) as { rtdValueScaled: number };
    expect((await plotted(page, RTD))?.last).toBe(rtd.rtdValueScaled);

    // An internal register gets its trend once it changes; a BOOL one (a bit) does not.
    const putIr = (name: string, value: number) => fetch(`${base}/sim/v1/internal-registers/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
    expect(await page.locator('#trends [data-trend="FIR-03"]').count()).toBe(0);
    expect((await putIr('BIR-01', 1)).status).toBe(200);
    expect((await putIr('FIR-03', 1.5)).status).toBe(200);
    await page.locator('#trends [data-trend="FIR-03"] .trends-val').filter({ hasText: '1.5' }).waitFor(WAIT);
    await page.locator('#trends [data-trend="FIR-03"]').scrollIntoViewIfNeeded();
    await until('the register plotted', async () => ((await plotted(page, 'FIR-03'))?.last === 1.5 ? true : undefined), WAIT.timeout);
    expect(await page.locator('#trends [data-trend="BIR-01"]').count()).toBe(0);

    // Unpicked again: the combined plot goes.
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await until('the combined plot gone', async () => ((await debug(page, 'combined')) === null ? true : undefined), WAIT.timeout);
  }, 60_000);

  it('draws nothing while another tab is shown, and catches up when shown again', async () => {
    ({ browser, page } = await openUi(base));
    await showPanel(page, 'trends-panel');
    await until('the running channel plotted', async () => (await plotted(page, RUNNING)) ?? undefined, WAIT.timeout);
    const drawing = await redraws(page);
    // Drawn while shown, up to the device's time (not the page's, which stands in until a change).
    const start = await advance(1000);
    await until('the running trend drawn on the device clock', async () => ((await plotted(page, RUNNING))?.at === start ? true : undefined), WAIT.timeout);
    expect(await redraws(page)).toBeGreaterThan(drawing);

    // Another tab: the Trends panel is hidden (web/js/nav.js); the signal runs on meanwhile.
    await showPanel(page, 'log-panel');
    expect(await page.locator('#trends-panel').isVisible()).toBe(false);
    // IntersectionObserver reports it off screen within a frame or two: counted from then on.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const before = await redraws(page);
    const received = await debug<number>(page, 'received', RUNNING);
    const atHide = await plotted(page, RUNNING);
    // 40 samples of the 100 ms sine: a few may repeat the value before them (no change then).
    const end = await advance(4000);
    await until('30 more values of the running channel', async () => ((await debug<number>(page, 'received', RUNNING)) >= received + 30 ? true : undefined), WAIT.timeout);
    expect(await redraws(page)).toBe(before);
    expect(await plotted(page, RUNNING)).toEqual(atHide);

    await showPanel(page, 'trends-panel');
    const shown = await until('the trend redrawn once shown', async () => {
      const now = await plotted(page, RUNNING);
      return (await redraws(page)) > before && now?.at === end ? now : undefined;
    }, WAIT.timeout);
    expect(shown.points).toBeGreaterThan(atHide!.points);
  }, 60_000);
});

describe('Trends panel in a fleet device console (#20)', () => {
  it('loads uPlot and its stylesheet by relative URLs under /fleet/v1/devices/NAME/', async () => {
    const { ready } = await startCliWith(['fleet', '--count', '1', '--http', '127.0.0.1:0', '--mqtt', 'off', '--quiet']);
    const prefix = `http://${ready.http}/fleet/v1/devices/ioThinx_4510-001`;
    let page: Page;
    ({ browser, page } = await openUi(prefix));
    const vendor: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/vendor/')) vendor.push(`${r.status()} ${r.url()}`);
    });
    await showPanel(page, 'trends-panel');
    await until('a plot drawn', async () => ((await page.locator('#trends .uplot canvas').count()) > 0 ? true : undefined), WAIT.timeout);
    expect(vendor).toContain(`200 ${prefix}/vendor/uplot/uPlot.esm.js`);
    // uPlot's own stylesheet (imported by trends.css) applies: its font list, not the page's.
    expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).not.toMatch(/Segoe UI/);
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('#trends .uplot')!).fontFamily)).toMatch(/Segoe UI/);
  }, 60_000);
});

describe('Trends panel under 1,000 changes per second (#19, #20)', () => {
  it('keeps the page free of long tasks with the panel on screen', async () => {
    const { base } = await startUiDevice(floodProfile(), 'real');
    let page: Page;
    ({ browser, page } = await openUi(base, recordLongTasks));
    const openedAt = await page.evaluate(() => performance.now());
    await showPanel(page, 'trends-panel');
    // Two of the flood's channels together as well: the combined plot is drawn too.
    await page.getByLabel('Plot AI-00 (slot 5) with the others').check();
    await page.getByLabel('Plot RTD-00 (slot 7) with the others').check();
    // Ticking RTD-00 scrolled down to it; the combined plot is on top of the panel.
    await page.locator('#trends .trends-combined').scrollIntoViewIfNeeded();
    await until('the combined plot drawn', async () => (await debug(page, 'combined')) ?? undefined, WAIT.timeout);
    await until('every plot on screen built', async () => ((await debug<number>(page, 'unbuilt')) === 0 ? true : undefined), WAIT.timeout);
    // Opening the panel (uPlot loaded and compiled, a plot built a frame) is reported, as ui-perf
    // reports loading the page; the assertion is on the panel following the flood from then on.
    const builtAt = await page.evaluate(() => performance.now());

    const t0 = performance.now();
    const from = await changesTotal(base);
    const drawn0 = await redraws(page);
    const first = await until('a flood channel plotted', async () => (await plotted(page, '45MR-3800-0@AI-00')) ?? undefined, WAIT.timeout);
    const to = await untilChanges(base, from, 11_000);
    const seconds = (performance.now() - t0) / 1000;
    const drawn = (await redraws(page)) - drawn0;
    const work = await page.evaluate(`import('/js/trends.js').then(({ trendsDebug: d }) => ({ frames: d.frames, ms: d.drawMs, longest: d.longestFrameMs }))`) as { frames: number; ms: number; longest: number };
    const last = await plotted(page, '45MR-3800-0@AI-00');
    const together = await debug<{ labels: string[]; points: number } | null>(page, 'combined');
    const { all, observed } = await longTasks(page);
    const opening = all.filter((t) => t.start >= openedAt && t.start < builtAt);
    const tasks = all.filter((t) => t.start >= builtAt);
    const rate = (to - from) / seconds;
    console.log(
      `ui-trends flood: ${to - from} changes in ${seconds.toFixed(1)} s = ${rate.toFixed(0)}/s; ${drawn} plot draws (${(drawn / seconds).toFixed(0)}/s); ` +
        `AI-00 plotted ${first.points} → ${last?.points} points; combined ${together?.points} points; ` +
        `plot work ${work.ms.toFixed(0)} ms in ${work.frames} frames, longest ${work.longest.toFixed(1)} ms; ` +
        `long tasks opening the panel (${(builtAt - openedAt).toFixed(0)} ms): ${describeTasks(opening)}; ` +
        `long tasks from then on: ${describeTasks(tasks)}; load average ${(loadavg()[0] ?? 0).toFixed(1)} on ${availableParallelism()} CPUs`,
    );

    expect(observed).toBe(true);
    expect(rate).toBeGreaterThanOrEqual(TARGET_RATE * 0.95);
    // The plots on screen followed the flood: redrawn many times, the trend grew.
    expect(drawn).toBeGreaterThan(seconds * 4);
    expect(last!.points).toBeGreaterThan(first.points);
    expect(together?.labels).toHaveLength(2);
    expect(tasks.filter((t) => t.duration > LONG_TASK_MS)).toEqual([]);
  }, 120_000);
});
