/**
 * #16 in Debian's chromium: the fleet listener's page lists the devices and follows an added
 * one; a row opens that device's own console, unchanged, at /fleet/v1/devices/NAME/ (its paths
 * are relative to the page): it shows that device, and its API calls reach that device and no other.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUi, WAIT } from '../helpers/browser.js';
import { startFleet, type StartedFleet } from '../../src/testing/index.js';

let fleet: StartedFleet;
let browser: Browser;
let page: Page;
const failed: string[] = [];

beforeAll(async () => {
  fleet = await startFleet({ count: 3, clock: 'manual' });
  ({ browser, page } = await openUi(fleet.device(2).http));
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('response', (r) => void (r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`)));
});

afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
});

describe('the fleet page', () => {
  it('lists every device, adds a row when a device is added, and opens a device console from its row', async () => {
    const { browser: b, page: list } = await openUi(fleet.api!.replace(/\/fleet\/v1$/, ''));
    try {
      await expect.poll(() => list.locator('#device-rows tr').count(), WAIT).toBe(3);
      expect(await list.locator('#device-rows tr a').allTextContents()).toEqual(fleet.devices.map((d) => d.name));
      const added = await fetch(`${fleet.api!}/devices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ index: 9 }) });
      expect(added.status).toBe(201);
      await list.locator('#device-rows tr[data-name="ioThinx_4510-009"]').waitFor(WAIT);
      await list.getByRole('link', { name: fleet.device(3).name }).click();
      await list.waitForFunction(() => document.body.dataset.ready === 'true' && document.querySelector('#head') !== null, undefined, WAIT);
      await list.locator('#head dd', { hasText: fleet.device(3).serialNumber }).waitFor(WAIT);
      expect(list.url()).toBe(`${fleet.device(3).http}/`);
    } finally {
      await b.close();
    }
  });
});

describe('web console of a fleet device', () => {
  it('shows the device it is opened for, through the fleet API', async () => {
    expect(page.url()).toBe(`${fleet.device(2).http}/`);
    await page.locator('#head dd', { hasText: fleet.device(2).serialNumber }).waitFor(WAIT);
    expect(await page.locator('#head').textContent()).toContain(fleet.device(2).name);
    // The device's own app served the console with that device's snapshot inlined (#20 first paint).
    const inlined = await page.evaluate(() => JSON.parse(document.getElementById('device-snapshot')?.textContent ?? 'null') as { serialNumber: string } | null);
    expect(inlined?.serialNumber).toBe(fleet.device(2).serialNumber);
  });

  it("makes the console's API calls to that device only", async () => {
    await fleet.device(2).client.setField('1/0', { level: 1 });
    await fleet.device(1).client.setField('1/1', { level: 1 });
    await expect.poll(async () => (await fleet.device(2).client.channel(1, 0)).diStatus).toBe(1);
    // A fetch from the page, on the same relative path the console uses: device 2's DI 1/1 is still 0.
    const fromPage = await page.evaluate(async () => (await (await fetch('sim/v1/slots/1/channels/1')).json()) as { diStatus: number });
    expect(fromPage.diStatus).toBe(0);
    expect(failed).toEqual([]);
  });
});
