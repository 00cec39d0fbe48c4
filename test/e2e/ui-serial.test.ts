/**
 * The web UI's serial panels (Serial / RTU master, Field devices, Internal registers) in Debian's
 * chromium driven by playwright-core (never a downloaded browser), against the built CLI with
 * test/e2e/fixtures/rtu-demo.yaml: an RTU master on the in-process bus polling a power meter and
 * a drive, on the real clock (the master polls every 500 ms). Every wait is an auto-waiting
 * locator, page.waitForFunction or expect.poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel, WAIT } from '../helpers/browser.js';
import { cleanupProcesses } from '../helpers/process.js';
import { fetchJson } from '../helpers/http.js';
import { startUiDevice } from '../helpers/ui-device.js';

const PROFILE = new URL('./fixtures/rtu-demo.yaml', import.meta.url).pathname;

interface Point { name: string; value: number; unit?: string }
interface FieldDevice { name: string; fault: { kind: string }; points: Point[] }
interface ProfileStatus { name: string; state: string; errorCode: number }

let browser: Browser;
let page: Page;
let base: string;

const json = <T>(path: string, init?: RequestInit) => fetchJson<T>(base + path, init);

const point = async (device: string, name: string) => (await json<FieldDevice>(`/sim/v1/serial/field-devices/${device}`)).points.find((p) => p.name === name)?.value;
const profile = async (name: string) => (await json<{ profiles: ProfileStatus[] }>('/sim/v1/serial')).profiles.find((p) => p.name === name);
const profileRow = (name: string) => page.locator(`#serial-profiles tr[data-profile="${name}"]`);
const irValue = (ioName: string) => page.locator(`#ir-rtu-rows [data-ir="${ioName}"]`);

async function openBrowser(): Promise<void> {
  ({ browser, page } = await openUi(base));
}

describe('web UI, serial panels (RTU master on a virtual bus)', () => {
  beforeAll(async () => {
    ({ base } = await startUiDevice(PROFILE, 'real'));
    await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await cleanupProcesses();
  });

  it('shows the port open and both profiles ok, with the meter\'s voltage in FIR-00', async () => {
    await showPanel(page, 'serial-panel');
    await page.locator('#serial-port dd', { hasText: 'virtual:bus1 (virtual)' }).waitFor(WAIT);
    await page.locator('#serial-port .badge', { hasText: 'open' }).waitFor(WAIT);
    for (const name of ['volts', 'vfdset']) await profileRow(name).locator('.badge-ok', { hasText: 'ok' }).waitFor(WAIT);
    expect(await profileRow('volts').locator('.ir-range').textContent()).toBe('FIR-00..02');
    expect(await profileRow('vfdset').locator('.ir-range').textContent()).toBe('WIR-01..02');
    expect(await profileRow('volts').locator('.code').textContent()).toBe('0x0000 ok');
    await showPanel(page, 'ir-panel');
    // FIR-00 is the meter's voltageL1 (~230 V, a random walk), polled and shown live.
    await page.waitForFunction(() => {
      const v = Number(document.querySelector('#ir-rtu-rows [data-ir="FIR-00"]')?.textContent);
      return v > 200 && v < 260;
    }, undefined, WAIT);
    expect(await irValue('WIR-00').textContent()).toBe('0');
  });

  it('a no-answer fault set on the meter from its card turns volts to error 0x000B; clearing it brings ok back', async () => {
    const card = page.locator('article.fd[data-device="meter"]');
    await showPanel(page, 'fd-panel');
    await page.locator('#fd-meter-fault-kind').selectOption('no-answer');
    await card.getByRole('button', { name: 'Apply fault to meter' }).click();
    await card.locator('.fault', { hasText: 'no-answer' }).waitFor(WAIT);
    expect((await json<FieldDevice>('/sim/v1/serial/field-devices/meter')).fault.kind).toBe('no-answer');

    await showPanel(page, 'serial-panel');
    await profileRow('volts').locator('.code', { hasText: '0x000B no answer (timeout)' }).waitFor(WAIT);
    await profileRow('volts').locator('.badge-error', { hasText: 'error' }).waitFor(WAIT);
    expect(await profileRow('volts').locator('.last-error').textContent()).toMatch(/^timeout/);
    expect(await profile('volts')).toMatchObject({ state: 'error', errorCode: 0x0b });
    expect(await profileRow('vfdset').locator('.badge').textContent()).toBe('ok');
    // The profile's exception IR carries the code too; the drive's profile is unaffected.
    await showPanel(page, 'ir-panel');
    await page.locator('#ir-rtu-rows [data-ir="WIR-00"]', { hasText: /^11$/ }).waitFor(WAIT);

    await showPanel(page, 'fd-panel');
    await card.getByRole('button', { name: 'Clear fault of meter' }).click();
    await card.locator('.fault', { hasText: /^none$/ }).waitFor(WAIT);
    await showPanel(page, 'serial-panel');
    await profileRow('volts').locator('.badge-ok', { hasText: 'ok' }).waitFor(WAIT);
    expect(await profileRow('volts').locator('.code').textContent()).toBe('0x0000 ok');
    expect((await profile('volts'))?.errorCode).toBe(0);
  });

  it('shows a fault validation error next to its field', async () => {
    await showPanel(page, 'fd-panel');
    await page.locator('#fd-meter-fault-kind').selectOption('slow');
    await page.locator('#fd-meter-fault-delayMs').fill('');
    await page.getByRole('button', { name: 'Apply fault to meter' }).click();
    const error = page.locator('#fd-meter-fault-delayMs-error');
    await error.waitFor({ state: 'visible', ...WAIT });
    expect(await error.textContent()).toMatch(/delayMs/);
    expect(await page.locator('#fd-meter-fault-delayMs').getAttribute('aria-invalid')).toBe('true');
    expect((await json<FieldDevice>('/sim/v1/serial/field-devices/meter')).fault.kind).toBe('none');
    await page.locator('#fd-meter-fault-kind').selectOption('none');
  });

  it('sets a field device point from its card and the field-device API reports it', async () => {
    const card = page.locator('article.fd[data-device="meter"]');
    await showPanel(page, 'fd-panel');
    await card.locator('summary', { hasText: 'Points' }).click();
    expect(await point('meter', 'ctPrimary')).toBe(100);
    await page.locator('#fd-meter-pt-ctPrimary').fill('200');
    await card.getByRole('button', { name: 'Set meter ctPrimary' }).click();
    await card.locator('tr[data-point="ctPrimary"] .val', { hasText: /^200 A$/ }).waitFor(WAIT);
    expect(await point('meter', 'ctPrimary')).toBe(200);
  });

  it('writes WIR-02 from the IR panel through to the drive\'s frequency set point (0.01 Hz per count)', async () => {
    expect(await point('drive', 'frequencySetpoint')).toBe(50);
    await showPanel(page, 'ir-panel');
    await page.locator('#ir-WIR-02').fill('4000');
    await page.getByRole('button', { name: 'Set WIR-02' }).click();
    await expect.poll(() => point('drive', 'frequencySetpoint'), WAIT).toBe(40);
    // The next poll of vfdset reads it back; the drive's card shows it too.
    await irValue('WIR-02').filter({ hasText: /^4000$/ }).waitFor(WAIT);
    await showPanel(page, 'fd-panel');
    await page.locator('article.fd[data-device="drive"]').scrollIntoViewIfNeeded();
    await page.locator('article.fd[data-device="drive"] tr[data-point="frequencySetpoint"] .val', { hasText: /^40 Hz$/ }).waitFor({ state: 'attached', ...WAIT });
  });

  it('shows an out-of-range IR value rejected next to its field, the drive unchanged', async () => {
    await showPanel(page, 'ir-panel');
    await page.locator('#ir-WIR-02').fill('70000');
    await page.getByRole('button', { name: 'Set WIR-02' }).click();
    const error = page.locator('#ir-WIR-02-error');
    await error.waitFor({ state: 'visible', ...WAIT });
    expect(await error.textContent()).toMatch(/-32768\.\.32767/);
    expect(await page.locator('#ir-WIR-02').getAttribute('aria-invalid')).toBe('true');
    expect(await point('drive', 'frequencySetpoint')).toBe(40);
  });

  it('sets any IR from the all-registers form and shows it live in the grid', async () => {
    await showPanel(page, 'ir-panel');
    await page.locator('#ir-any-name').selectOption('DIR-05');
    await page.locator('#ir-any-value').fill('123456');
    await page.getByRole('button', { name: 'Set register' }).click();
    await page.locator('#ir-all [data-ir="DIR-05"]', { hasText: /^123456$/ }).waitFor({ state: 'attached', ...WAIT });
    const irs = await json<{ ioName: string; value: number }[]>('/sim/v1/internal-registers');
    expect(irs.find((r) => r.ioName === 'DIR-05')?.value).toBe(123456);
  });

  it('has no horizontal overflow at 375 px with the points open', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    try {
      await showPanel(page, 'fd-panel');
      for (const s of await page.locator('#fd-list summary').all()) {
        if (!(await s.evaluate((n) => (n.parentElement as HTMLDetailsElement).open))) await s.click();
      }
      expect(await width()).toBeLessThanOrEqual(375);
      await showPanel(page, 'ir-panel');
      await page.locator('#ir-all summary').first().click();
      expect(await width()).toBeLessThanOrEqual(375);
      await showPanel(page, 'serial-panel');
      expect(await width()).toBeLessThanOrEqual(375);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});

describe('web UI, serial panels without a serial port (default profile)', () => {
  beforeAll(async () => {
    ({ base } = await startUiDevice(undefined, 'real'));
    await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await cleanupProcesses();
  });

  it('says there is no serial port, hides the field devices, and still lists the IRs', async () => {
    await showPanel(page, 'serial-panel');
    await page.locator('#serial-none', { hasText: 'No serial port configured' }).waitFor(WAIT);
    expect(await page.locator('#serial-body').isHidden()).toBe(true);
    expect(await page.locator('#fd-panel').isHidden()).toBe(true);
    // and so is its tab
    expect(await page.locator('#nav a[href="#fd-panel"]').isHidden()).toBe(true);
    await showPanel(page, 'ir-panel');
    expect(await page.locator('#ir-rtu').isHidden()).toBe(true);
    expect(await page.locator('#ir-any-name option').count()).toBe(192);
  });
});
