/**
 * The web UI keeps up with 1,000 changes per second (issue 19): every channel of an all-input
 * rail is driven by a signal (64 DI square waves, 30 AI/RTD/TC sines sampled every 100 ms), the
 * page runs in Debian's chromium driven by playwright-core (never a downloaded browser), and
 * chromium's own performance timeline must show no long task (a task over 50 ms, the Long Tasks
 * API's threshold) while the page follows the flood. The observer is registered before the app
 * loads (buffered), and the page records when the app set body[data-ready]; the long tasks of
 * loading are printed, the assertion is on those from the app's ready on to the end of the window.
 *
 *   signals ─► Device ─► /sim/v1/events ─► page (EventSource, rAF-coalesced rendering)
 *                   └─► /metrics iothinx_changes_total ─► the rate the test reached (asserted)
 *
 * The window is counted in changes (WINDOW_CHANGES, about 10 s at the profile's rate), not
 * slept. So that an idle page cannot pass, the test also asserts the rate it reached, that the
 * page's live log advanced by (nearly) every change of the window, and that the displayed
 * values differ between two reads.
 */
import { availableParallelism, loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, WAIT } from '../helpers/browser.js';
import { cleanupProcesses } from '../helpers/process.js';
import { changesTotal as totalAt, describeTasks, floodProfile, LONG_TASK_MS, longTasks, recordLongTasks, TARGET_RATE, untilChanges as untilChangesAt } from '../helpers/ui-flood.js';
import { startUiDevice } from '../helpers/ui-device.js';
import { until } from '../helpers/until.js';

const WINDOW_CHANGES = 11_000;

let browser: Browser;
let page: Page;
let base: string;

const changesTotal = () => totalAt(base);
const untilChanges = (from: number, count: number) => untilChangesAt(base, from, count);

/** The newest seq the page's live log shows ("#1234 ..."). */
const shownSeq = () => page.evaluate(() => Number(/^#(\d+)/.exec(document.querySelector('#live-log li')?.textContent ?? '')?.[1] ?? NaN));

/** What the rail shows: the value of each analog input (DI lamps may be back where they were). */
const shownValues = () => page.locator('#rail [data-io] .val').allTextContents();

beforeAll(async () => {
  // The real clock: the test measures the rate the signals reach.
  ({ base } = await startUiDevice(floodProfile(), 'real'));
  // Before any script of the page: the load itself is measured too.
  ({ browser, page } = await openUi(base, recordLongTasks));
});

afterAll(async () => {
  await browser?.close();
  await cleanupProcesses();
});

describe('web UI under 1,000 changes per second (#19)', () => {
  it('shows every change with no long task over 50 ms', async () => {
    expect(await page.locator('#rail [data-io]').count()).toBe(94);

    const t0 = performance.now();
    const from = await changesTotal();
    const seq0 = await shownSeq();
    const before = await shownValues();
    const mid = await untilChanges(from, 1000);
    const after = await shownValues();
    const to = await untilChanges(mid, WINDOW_CHANGES - (mid - from));
    const seconds = (performance.now() - t0) / 1000;
    // The live log is redrawn at most every LOG_MS (250 ms in web/app.js): wait for its next
    // redraw after the window, which shows what the page received of it.
    const seqEnd = await shownSeq();
    const seq1 = await until('the live log redrawn after the window', async () => {
      const seq = await shownSeq();
      return seq > seqEnd ? seq : undefined;
    }, WAIT.timeout);
    const { all, readyAt, observed } = await longTasks(page);
    // No entries from a browser that does not record long tasks would pass vacuously.
    expect(observed).toBe(true);
    expect(readyAt).toBeGreaterThan(0);
    // Loading a page this size (the first layout of index.html, the rail drawn card by card) is
    // not keeping up with changes: reported, and the assertion is on the flood after it.
    const loading = all.filter((t) => t.start < readyAt);
    const tasks = all.filter((t) => t.start >= readyAt);

    const rate = (to - from) / seconds;
    const changed = before.filter((v, i) => v !== after[i]).length;
    console.log(
      `ui-perf: ${to - from} changes in ${seconds.toFixed(1)} s = ${rate.toFixed(0)}/s; page live log advanced ${seq1 - seq0} seqs; ` +
        `${changed}/${before.length} analog values changed between two reads; ` +
        `long tasks while loading (ready at ${readyAt.toFixed(0)} ms): ${describeTasks(loading)}; ` +
        `long tasks from ready on: ${describeTasks(tasks)}; ` +
        // A long task is wall time: on a machine busy with other work the page's tasks are preempted.
        `load average ${(loadavg()[0] ?? 0).toFixed(1)} on ${availableParallelism()} CPUs`,
    );

    expect(rate).toBeGreaterThanOrEqual(TARGET_RATE * 0.95);
    // The page processed the window's changes rather than dropping them (a few may still be in flight).
    expect(seq1 - seq0).toBeGreaterThanOrEqual((to - from) * 0.9);
    // Every analog input is sampled 10 times a second: nearly every shown value moved.
    expect(before).toHaveLength(30);
    expect(changed).toBeGreaterThanOrEqual(before.length * 0.9);
    expect(tasks.filter((t) => t.duration > LONG_TASK_MS)).toEqual([]);
  }, 120_000);
});
