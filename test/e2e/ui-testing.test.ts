/**
 * The web UI's testing panels (Faults, Journal, Scenarios) in Debian's chromium driven by
 * playwright-core (never a downloaded browser), against the built CLI with the default profile
 * and a manual clock. Every wait is an auto-waiting locator, page.waitForFunction or expect.poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel, WAIT } from '../helpers/browser.js';
import { cleanupProcesses } from '../helpers/process.js';
import { fetchJson } from '../helpers/http.js';
import { startUiDevice } from '../helpers/ui-device.js';


interface Fault { id: string; spec: { kind: string; slot?: number }; hits: number }

let browser: Browser;
let page: Page;
let base: string;

const json = <T>(path: string, init?: RequestInit) => fetchJson<T>(base + path, init);

const faults = () => json<Fault[]>('/sim/v1/faults');
const faultRow = (kind: string) => page.locator(`#fault-rows tr[data-kind="${kind}"]`);

beforeAll(async () => {
  ({ base } = await startUiDevice());
  ({ browser, page } = await openUi(base));
});

afterAll(async () => {
  await browser?.close();
  await cleanupProcesses();
});

describe('web UI, testing panels', () => {
  it('injects module-failed on slot 2 from the Faults panel, lists it, and clears it', async () => {
    await showPanel(page, 'faults-panel');
    await page.locator('#flt-kind').selectOption('module-failed');
    await page.locator('#flt-slot').fill('2');
    await page.getByRole('button', { name: 'Inject fault' }).click();
    const row = faultRow('module-failed');
    await row.locator('.params', { hasText: 'slot 2' }).waitFor(WAIT);
    expect(await row.locator('.hits').textContent()).toBe('0');
    const active = await faults();
    expect(active.map((f) => f.spec)).toEqual([{ kind: 'module-failed', slot: 2 }]);
    expect(await page.locator('#fault-count').textContent()).toBe('1');

    await row.getByRole('button', { name: /^Clear fault/ }).click();
    await row.waitFor({ state: 'detached', ...WAIT });
    expect(await faults()).toEqual([]);
    await page.locator('#fault-none').waitFor(WAIT);
  });

  it('shows a field appear per kind, and a refused fault\'s message next to the field the server names', async () => {
    await page.locator('#flt-kind').selectOption('modbus-slow');
    expect(await page.locator('#flt-slot').isVisible()).toBe(false);
    await page.locator('#flt-delay').fill('-1');
    await page.getByRole('button', { name: 'Inject fault' }).click();
    const error = page.locator('#flt-delay-error');
    await error.waitFor(WAIT);
    expect(await error.textContent()).toMatch(/^delayMs: .*>=\s?1/);
    expect(await page.locator('#flt-delay').getAttribute('aria-invalid')).toBe('true');
    expect(await faults()).toEqual([]);

    // A count-limited fault injected directly shows up within a poll (every 2 s while visible).
    await json('/sim/v1/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'rest-error', status: 503, count: 2 }) });
    await faultRow('rest-error').locator('.params', { hasText: 'status 503, count 2' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Clear all faults' }).click();
    await faultRow('rest-error').waitFor({ state: 'detached', ...WAIT });
    expect(await faults()).toEqual([]);
  });

  it('shows a DO switched from the rail in the Journal panel: the write and the change, newest first', async () => {
    await showPanel(page, 'device');
    await page.locator('#rail [data-io="45MR-2600-0@DO-00"]').click();
    await page.locator('#details [data-io="45MR-2600-0@DO-00"] button.lamp').click();
    await page.locator('#details [data-io="45MR-2600-0@DO-00"] button.lamp[aria-pressed="true"]').waitFor(WAIT);
    await showPanel(page, 'journal-panel'); // the panel polls while on screen
    const rows = page.locator('#jr-rows tr');
    await rows.filter({ hasText: '45MR-2600-0@DO-00 doStatus' }).and(page.locator('[data-kind="write"]')).first().waitFor(WAIT);
    const change = rows.filter({ hasText: '45MR-2600-0@DO-00 doStatus' }).and(page.locator('[data-kind="change"]')).first();
    await change.waitFor(WAIT);
    expect(await change.locator('.value').textContent()).toBe('0 → 1');
    expect(await change.locator('time').textContent()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    const seqs = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq')))));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));

    // A write through the API (fetch) appears too, and the kind filter keeps only writes.
    await json('/sim/v1/slots/2/channels/2/attributes/doStatus', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value: 1 }) });
    await page.locator('#jr-kind').selectOption('write');
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await rows.filter({ hasText: '45MR-2600-0@DO-02 doStatus' }).first().waitFor(WAIT);
    expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind'))))).toEqual(new Set(['write']));

    await page.getByRole('button', { name: 'Clear journal' }).click();
    await expect.poll(() => rows.count(), WAIT).toBe(0);
    await page.locator('#jr-kind').selectOption('');
    await page.getByRole('button', { name: 'Apply filter' }).click();
  });

  it('runs the prefilled scenario and shows it passed with every step ✓, live from its stream', async () => {
    await showPanel(page, 'scenarios-panel');
    const doc = JSON.parse(await page.locator('#sc-doc').inputValue()) as { steps: unknown[] };
    expect(doc.steps).toHaveLength(4);
    await page.getByRole('button', { name: 'Run scenario' }).click();
    await page.locator('#sc-run-title .badge', { hasText: 'passed' }).waitFor(WAIT);
    const steps = page.locator('#sc-steps li');
    expect(await steps.count()).toBe(4);
    expect(await steps.locator('.mark').allTextContents()).toEqual(['✓', '✓', '✓', '✓']);
    expect(await steps.nth(1).textContent()).toContain('assert 1/0 diStatus == 1');
    expect(await page.locator('#sc-run-summary').textContent()).toBe('4/4 steps passed');
    await page.locator('#sc-runs li[data-status="passed"]').first().waitFor(WAIT);
    const runs = await json<{ id: string; status: string }[]>('/sim/v1/scenarios');
    expect(runs.map((r) => r.status)).toEqual(['passed']);
    expect(await faults()).toEqual([]); // the run cleared its own fault

    // A bad document: the server's message next to the textarea; not JSON: said so.
    await page.locator('#sc-doc').fill('{"name":"bad","steps":[{"bogus":1}]}');
    await page.getByRole('button', { name: 'Run scenario' }).click();
    await page.locator('#sc-doc-error', { hasText: 'Unrecognized key' }).waitFor(WAIT);
    expect(await page.locator('#sc-doc').getAttribute('aria-invalid')).toBe('true');
    await page.locator('#sc-doc').fill('name: yaml');
    await page.getByRole('button', { name: 'Run scenario' }).click();
    await page.locator('#sc-doc-error', { hasText: 'Not valid JSON' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Load the example' }).click();
    expect(await page.locator('#sc-doc-error').isVisible()).toBe(false);
  });

  it('has no horizontal overflow at 375 px, with faults, journal rows and a run on screen', async () => {
    await json('/sim/v1/faults', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'channel', target: '4/0', input: { burnout: true } }) });
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await showPanel(page, 'journal-panel');
    await page.locator('#jr-rows tr').first().waitFor(WAIT);
    expect(await overflow(), 'overflow with the journal').toBeLessThanOrEqual(0);
    await showPanel(page, 'scenarios-panel');
    expect(await overflow(), 'overflow with the runs').toBeLessThanOrEqual(0);
    await showPanel(page, 'faults-panel');
    await faultRow('channel').waitFor(WAIT);
    for (const kind of ['channel', 'serial', 'modbus-exception']) {
      await page.locator('#flt-kind').selectOption(kind);
      expect(await overflow(), `overflow with the ${kind} fields`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
