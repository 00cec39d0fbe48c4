/**
 * The Base addresses panel in Debian's chromium (#20 part 3): each slot shows an address only for
 * the point types its module has, as the address table (GET /sim/v1/modbus/map) lists them, and
 * saving keeps an override a profile gave a point type the module lacks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel, WAIT } from '../helpers/browser.js';
import { fetchJson } from '../helpers/http.js';
import { cleanupProcesses } from '../helpers/process.js';
import { startUiDevice } from '../helpers/ui-device.js';

const TABLES = ['coil', 'discrete', 'holding', 'input'] as const;
const PROFILE = {
  device: { name: 'base-test' },
  slots: [
    { slot: 1, module: '45MR-1600' }, // DI: all four
    { slot: 2, module: '45MR-4420' }, // AO: holding and input registers only
    { slot: 3, module: '45MR-7210' }, // power: holding registers only
  ],
  // An override of a point type slot 3 has no points in: legal, and not the page's to drop.
  modbus: { baseAddresses: [{ slot: 3, input: 5000 }] },
};

interface MapRow { slot: number; table: string }
interface Bases { effective: ({ slot: number } & Record<string, number>)[]; overrides: ({ slot: number } & Record<string, number>)[] }

let browser: Browser;
let page: Page;
let base: string;

beforeAll(async () => {
  ({ base } = await startUiDevice(PROFILE));
  ({ browser, page } = await openUi(base));
  await showPanel(page, 'base-panel');
});

afterAll(async () => {
  await browser?.close();
  await cleanupProcesses();
});

describe('Base addresses panel', () => {
  it('shows an address only for the point types each module has, as the address table lists them', async () => {
    const map = await fetchJson<MapRow[]>(`${base}/sim/v1/modbus/map`);
    const has = (slot: number) => TABLES.filter((t) => map.some((r) => r.slot === slot && r.table === t));
    expect(has(1)).toEqual(['coil', 'discrete', 'holding', 'input']);
    expect(has(2)).toEqual(['holding', 'input']);
    expect(has(3)).toEqual(['holding']);
    await page.locator('#base-rows tr[data-slot="3"]').waitFor(WAIT);
    for (const slot of [1, 2, 3]) {
      const row = page.locator(`#base-rows tr[data-slot="${slot}"]`);
      const shown = await row.locator('input[data-table]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).dataset.table));
      expect(shown, `slot ${slot}`).toEqual(has(slot));
      const none = TABLES.filter((t) => !has(slot).includes(t));
      for (const t of none) expect(await row.locator(`td.none[data-table="${t}"]`).textContent()).toMatch(new RegExp(`–Slot ${slot} has no `));
    }
    await expect.poll(() => page.locator('#base-rows tr[data-slot="2"] th').textContent(), WAIT).toBe('2 · 45MR-4420');
  });

  it('saves a change and keeps the override of a point type the module lacks', async () => {
    await page.locator('#base-2-holding').fill('2000');
    await page.getByRole('button', { name: 'Apply base addresses' }).click();
    await expect.poll(() => page.locator('#base-saved').textContent(), WAIT).toBe('Saved.');
    const bases = await fetchJson<Bases>(`${base}/sim/v1/modbus/base-addresses`);
    expect(bases.overrides).toEqual([{ slot: 2, holding: 2000 }, { slot: 3, input: 5000 }]);
    expect(bases.effective.find((r) => r.slot === 2)!.holding).toBe(2000);
    expect(await page.locator('#base-2-holding').getAttribute('class')).toBe('overridden');
    expect(await page.locator('#base-3-input').count()).toBe(0);
  });
});
