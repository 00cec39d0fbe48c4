/**
 * The flood of issue 19 for the browser tests (test/e2e/ui-perf.test.ts, ui-trends.test.ts): a
 * profile where every channel of an all-input rail is driven by a signal (about 1,300 changes a
 * second), the device's own count of its changes (/metrics), and chromium's long tasks recorded
 * from before the page's first script.
 */
import type { Page } from 'playwright-core';
import { until } from './until.js';

/** The target of issue 19; the profile runs a little above it so the assertion has margin. */
export const TARGET_RATE = 1000;
/** A long task, as the Long Tasks API defines it. */
export const LONG_TASK_MS = 50;

/** Every channel of every slot has a signal; periods differ so edges spread over time. */
export function floodProfile(): object {
  const slots: object[] = [];
  const add = (module: string, count: number, signal: (i: number) => object) =>
    slots.push({ slot: slots.length + 1, module, channels: Array.from({ length: count }, (_, index) => ({ index, signal: signal(index) })) });
  // 64 DIs, toggling every 70..110 ms: about 720 diStatus changes/s.
  for (let k = 0; k < 4; k++) add('45MR-1600', 16, (i) => ({ kind: 'square', periodMs: 140 + 5 * i + k }));
  // 30 analog inputs sampled at 10 Hz: value (and raw for AI) plus min/max while they extend, about 600 changes/s.
  const sine = (offset: number, amplitude: number) => (i: number) => ({ kind: 'sine', offset, amplitude, periodMs: 5000 + 100 * i, sampleMs: 100 });
  add('45MR-3800', 8, sine(12, 6));
  add('45MR-3810', 8, sine(5, 4));
  add('45MR-6600', 6, sine(50, 20));
  add('45MR-6810', 8, sine(300, 100));
  return { device: { name: 'perf_rig' }, slots };
}

/** Every change the device at `base` (http://host:port) made so far: the sum over sources of iothinx_changes_total. */
export async function changesTotal(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith('iothinx_changes_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/**
 * Resolves with the total once the device made `count` more changes than `from` (polled every
 * 200 ms, never slept); fails if that takes three times as long as it would at TARGET_RATE.
 */
export function untilChanges(base: string, from: number, count: number): Promise<number> {
  return until(
    `${count} changes after ${from}`,
    async () => {
      const now = await changesTotal(base);
      return now - from >= count ? now : undefined;
    },
    (3 * 1000 * count) / TARGET_RATE,
    200,
  );
}

export interface LongTask { start: number; duration: number; name: string }
type FloodWindow = Window & { longTasks: LongTask[]; readyAt?: number };

/**
 * For openUi's beforeLoad: records every long task (buffered, from before the app loads) and the
 * moment the app set body[data-ready] (a mutation record is delivered before the next task).
 */
export async function recordLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as FloodWindow;
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push({ start: e.startTime, duration: e.duration, name: e.name });
    }).observe({ type: 'longtask', buffered: true });
    const ready = new MutationObserver(() => {
      if (document.body?.dataset.ready !== 'true') return;
      w.readyAt = performance.now();
      ready.disconnect();
    });
    ready.observe(document, { subtree: true, attributes: true, attributeFilter: ['data-ready'] });
  });
}

/** The long tasks recorded so far, when the app was ready, and whether chromium records them at all. */
export function longTasks(page: Page): Promise<{ all: LongTask[]; readyAt: number; observed: boolean }> {
  return page.evaluate(() => {
    const w = window as unknown as FloodWindow;
    return { all: w.longTasks, readyAt: w.readyAt ?? NaN, observed: PerformanceObserver.supportedEntryTypes.includes('longtask') };
  });
}

/** "[start, ms] [[1200, 61], ...]" for a failure message or the log line. */
export function describeTasks(list: LongTask[]): string {
  const longest = Math.max(0, ...list.map((t) => t.duration)).toFixed(0);
  return `${list.length}, longest ${longest} ms${list.length ? ` [start, ms] ${JSON.stringify(list.map((t) => [Math.round(t.start), Math.round(t.duration)]))}` : ''}`;
}
