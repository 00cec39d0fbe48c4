/**
 * The faceplate, the navigation and the first paint of the web UI (#20 parts 1 and 3) in Debian's
 * chromium driven by playwright-core (never a downloaded browser). The built CLI runs as a child
 * with a manual clock, so nothing moves unless a test moves it; every wait is an auto-waiting
 * locator, page.waitForFunction or expect.poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel, WAIT } from '../helpers/browser.js';
import { cleanupProcesses } from '../helpers/process.js';
import { startUiDevice } from '../helpers/ui-device.js';

interface Channel { index: number; type: string; ioName: string; [attribute: string]: unknown }
interface Slot { slot: number; module: string; name: string; fault?: string | null; channels?: Channel[] }
interface DeviceSnapshot { name: string; serialNumber: string; slots: Slot[] }

let browser: Browser;
let page: Page;
let base: string;

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(base + path, init);
  expect(res.ok, `${path}: HTTP ${res.status}`).toBe(true);
  return (await res.json()) as T;
}

const send = (method: string, path: string, body?: unknown) =>
  json<unknown>(path, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

const face = (ioName: string) => page.locator(`#rail [data-io="${ioName}"]`);
const controls = (ioName: string) => page.locator(`#details [data-io="${ioName}"]`);
const card = (slot: number) => page.locator(`#rail article.module[data-slot="${slot}"]`);

beforeAll(async () => {
  ({ base } = await startUiDevice());
  ({ browser, page } = await openUi(base));
});

afterAll(async () => {
  await browser?.close();
  await cleanupProcesses();
});

describe('faceplate', () => {
  it('is the first screen: the head unit and every module of the default profile with its model, a LED per digital channel and a value per analog one', async () => {
    const device = await json<DeviceSnapshot>('/sim/v1/device');
    expect(await page.locator('#device').isVisible()).toBe(true);
    expect(await page.locator('section.panel:visible').count()).toBe(0);
    await page.locator('#head', { hasText: device.serialNumber }).waitFor(WAIT);
    expect(await page.locator('#head').textContent()).toContain(device.name);
    const modules = device.slots.filter((s) => s.slot !== 0);
    expect(modules.map((m) => m.module)).toEqual(['45MR-1600', '45MR-2600', '45MR-2404', '45MR-3800', '45MR-3810', '45MR-4420', '45MR-6600', '45MR-6810']);
    expect(await page.locator('#rail article.module:not(.head)').count()).toBe(modules.length);
    for (const m of modules) {
      expect(await card(m.slot).locator('h2').textContent()).toBe(m.module);
      const channels = m.channels ?? [];
      expect(await card(m.slot).locator('[data-io]').count()).toBe(channels.length);
      for (const ch of channels) {
        const cell = face(ch.ioName);
        if (['di', 'do', 'relay'].includes(ch.type)) {
          expect(await cell.locator('.led').count(), ch.ioName).toBe(1);
          const attr = { di: 'diStatus', do: 'doStatus', relay: 'relayStatus' }[ch.type]!;
          expect(await cell.getAttribute('data-on'), ch.ioName).toBe(ch[attr] ? '1' : '0');
        } else {
          const value = ch[`${ch.type}ValueScaled`] as number;
          expect(await cell.locator('.val').textContent(), ch.ioName).toMatch(new RegExp(`^${String(Number(value.toFixed(3))).replace('.', '\\.')}( |$)`));
        }
      }
    }
  });

  it('opens a DO channel\'s controls on a click; switching it on there lights its LED, and the device has it on', async () => {
    const ioName = '45MR-2600-0@DO-02';
    const off = await face(ioName).locator('.led').evaluate((n) => getComputedStyle(n).backgroundColor);
    await face(ioName).click();
    await controls(ioName).waitFor(WAIT);
    expect(await face(ioName).getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator('#details-h').textContent()).toContain(ioName);
    // Only the clicked channel's controls, not the whole rail's.
    expect(await page.locator('#details [data-io]').count()).toBe(1);
    await controls(ioName).locator('button.lamp').click();
    await page.locator(`#rail [data-io="${ioName}"][data-on="1"]`).waitFor(WAIT);
    const on = await face(ioName).locator('.led').evaluate((n) => getComputedStyle(n).backgroundColor);
    expect(on).not.toBe(off);
    expect((await json<Channel>('/sim/v1/slots/2/channels/2')).doStatus).toBe(1);
    await page.getByRole('button', { name: 'Close' }).click();
    await page.locator('#details').waitFor({ state: 'hidden', ...WAIT });
    expect(await face(ioName).getAttribute('aria-expanded')).toBe('false');
    // The focus goes back to the channel the controls were opened from.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.io)).toBe(ioName);
  });

  it('opens every channel of a module from its model', async () => {
    await card(4).getByRole('button', { name: '45MR-3800' }).click();
    await page.locator('#details [data-io]').nth(7).waitFor(WAIT);
    expect(await page.locator('#details [data-io]').count()).toBe(8);
    expect(await card(4).locator('[aria-expanded="true"]').count()).toBe(8);
    await page.locator('#details-close').focus();
    await page.keyboard.press('Escape');
    await page.locator('#details').waitFor({ state: 'hidden', ...WAIT });
    expect(await card(4).locator('[aria-expanded="true"]').count()).toBe(0);
  });

  it('lights a DI LED live when the DI changes over REST', async () => {
    const ioName = '45MR-1600-0@DI-09';
    expect(await face(ioName).getAttribute('data-on')).toBe('0');
    await send('PUT', '/sim/v1/slots/1/channels/9', { level: 1 });
    await page.locator(`#rail [data-io="${ioName}"][data-on="1"]`).waitFor(WAIT);
    await send('PUT', '/sim/v1/slots/1/channels/9', { level: 0 });
    await page.locator(`#rail [data-io="${ioName}"][data-on="0"]`).waitFor(WAIT);
  });

  it('shows an analog value live, rounded as the device shows it, with its unit and a bar', async () => {
    await send('PUT', '/sim/v1/slots/4/channels/1', { physical: 12.3456789 });
    const cell = face('45MR-3800-0@AI-01');
    await cell.locator('.val', { hasText: /^12\.346 mA$/ }).waitFor(WAIT);
    // 4-20 mA: 12.3456789 mA is a little over half of the range.
    const scale = await cell.locator('.fill').evaluate((n) => new DOMMatrix(getComputedStyle(n).transform).a);
    expect(scale).toBeGreaterThan(0.5);
    expect(scale).toBeLessThan(0.55);
    expect(await page.locator('#head dd').allTextContents()).toContainEqual(expect.stringMatching(/^\d\d:\d\d:\d\d$/));
  });

  it('shows an injected module fault on that module\'s card, and a channel burnout on its channel, until cleared', async () => {
    await send('POST', '/sim/v1/faults', { kind: 'module-failed', slot: 3 });
    await card(3).locator('.mod-fault', { hasText: 'module failed' }).waitFor(WAIT);
    expect(await card(3).getAttribute('data-fault')).toBe('failed');
    expect(await card(2).getAttribute('data-fault')).toBe('');
    await send('POST', '/sim/v1/faults', { kind: 'channel', target: '7/2', input: { burnout: true } });
    await face('45MR-6600-0@RTD-02').locator('.st', { hasText: 'burnout' }).waitFor(WAIT);
    await send('DELETE', '/sim/v1/faults');
    await page.waitForFunction(() => document.querySelector('#rail article.module[data-slot="3"]')?.getAttribute('data-fault') === '', undefined, WAIT);
    await page.waitForFunction(() => document.querySelector('#rail [data-io="45MR-6600-0@RTD-02"] .st')?.textContent === '', undefined, WAIT);
  });

  it('follows a burst of fault events with a few reads of the fault list, not one each, and ends at the last state', async () => {
    const reads: string[] = [];
    const onRequest = (req: { url(): string; method(): string }) => {
      if (req.method() === 'GET' && new URL(req.url()).pathname === '/sim/v1/faults') reads.push(req.url());
    };
    page.on('request', onRequest);
    try {
      // 20 injections at once, each replacing the one before on its slot: about 40 events.
      await Promise.all(Array.from({ length: 20 }, (_, i) => send('POST', '/sim/v1/faults', { kind: 'module-failed', slot: 2 + (i % 2) })));
      for (const slot of [2, 3]) await page.waitForFunction((n) => document.querySelector(`#rail article.module[data-slot="${n}"]`)?.getAttribute('data-fault') === 'failed', slot, WAIT);
      await send('DELETE', '/sim/v1/faults');
      for (const slot of [2, 3]) await page.waitForFunction((n) => document.querySelector(`#rail article.module[data-slot="${n}"]`)?.getAttribute('data-fault') === '', slot, WAIT);
    } finally {
      page.off('request', onRequest);
    }
    expect(reads.length).toBeGreaterThan(0);
    // One read an event would be about 40.
    expect(reads.length).toBeLessThan(20);
  });

  it('names an AO output fault the same on its faceplate cell and in its controls (aoStatus 1 = fault, M-EZ p=119)', async () => {
    const ioName = '45MR-4420-0@AO-00';
    await face(ioName).click();
    await controls(ioName).waitFor(WAIT);
    await send('POST', '/sim/v1/faults', { kind: 'channel', target: ioName, input: { fault: true } });
    await face(ioName).locator('.st', { hasText: 'output fault' }).waitFor(WAIT);
    await controls(ioName).locator('.status', { hasText: 'output fault' }).waitFor(WAIT);
    expect((await json<Channel>('/sim/v1/slots/6/channels/0')).aoStatus).toBe(1);
    await send('DELETE', '/sim/v1/faults');
    await page.waitForFunction((io) => document.querySelector(`#details [data-io="${io}"] .status`)?.textContent === '', ioName, WAIT);
    expect(await face(ioName).locator('.st').textContent()).toBe('');
    await page.getByRole('button', { name: 'Close' }).click();
    await page.locator('#details').waitFor({ state: 'hidden', ...WAIT });
  });
});

describe('navigation', () => {
  it('opens a panel from its tab or the hash; back and forward return', async () => {
    await showPanel(page, 'device');
    await page.locator('#nav a[href="#journal-panel"]').click();
    await page.locator('section#journal-panel').waitFor({ state: 'visible', ...WAIT });
    expect(new URL(page.url()).hash).toBe('#journal-panel');
    expect(await page.locator('#device').isVisible()).toBe(false);
    expect(await page.locator('section.panel:visible').count()).toBe(1);
    expect(await page.locator('#nav a[aria-current="page"]').textContent()).toBe('Journal');

    await showPanel(page, 'faults-panel');
    expect(await page.locator('section#journal-panel').isVisible()).toBe(false);
    await page.goBack();
    await page.locator('section#journal-panel').waitFor({ state: 'visible', ...WAIT });
    await page.goBack();
    await page.locator('#device').waitFor({ state: 'visible', ...WAIT });
    expect(await page.locator('section.panel:visible').count()).toBe(0);
    await page.goForward();
    await page.locator('section#journal-panel').waitFor({ state: 'visible', ...WAIT });
    await showPanel(page, 'device');
  });

  it('has a tab for every panel, and opens a panel from an address with its hash', async () => {
    const ids = await page.locator('.panels > section.panel').evaluateAll((s) => s.map((n) => n.id));
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) expect(await page.locator(`#nav a[href="#${id}"]`).count(), id).toBe(1);
    const other = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await other.goto(`${base}/#mqtt-panel`);
      await other.locator('section#mqtt-panel').waitFor({ state: 'visible', ...WAIT });
      expect(await other.locator('#device').isVisible()).toBe(false);
    } finally {
      await other.close();
    }
  });
});

describe('first paint', () => {
  it('already shows every module with its model at load, while GET /sim/v1/device and the event stream are held back', async () => {
    const device = await json<DeviceSnapshot>('/sim/v1/device');
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const heldUrls: string[] = [];
    let atLoad: Promise<{ dom: { ready?: string; conn: string; modules: [string, string, number][]; head: string; railHeight: number; litInView: number }; shot: Buffer }> | undefined;
    // The page's own calls for the device wait until the test has looked at the page as loaded.
    const { browser: b, page: p } = await openUi(base, async (pg) => {
      await pg.route(/\/sim\/v1\/(device|events)(\?.*)?$/, async (route) => {
        heldUrls.push(new URL(route.request().url()).pathname);
        await held;
        await route.continue();
      });
      pg.once('load', () => {
        atLoad = (async () => {
          try {
            const dom = await pg.evaluate(() => ({
              ready: document.body.dataset.ready,
              conn: document.getElementById('conn')?.textContent ?? '',
              modules: [...document.querySelectorAll('#rail article.module[data-slot]:not(.head)')].map((a) => [
                (a as HTMLElement).dataset.slot ?? '', a.querySelector('h2')?.textContent ?? '', a.querySelectorAll('[data-io]').length,
              ] as [string, string, number]),
              head: document.getElementById('head')?.textContent ?? '',
              railHeight: document.getElementById('rail')?.getBoundingClientRect().height ?? 0,
              litInView: [...document.querySelectorAll('#rail [data-io]')].filter((n) => n.getBoundingClientRect().top < innerHeight).length,
            }));
            return { dom, shot: await pg.screenshot() };
          } finally {
            release();
          }
        })();
      });
    });
    try {
      expect(atLoad).toBeDefined();
      const { dom, shot } = await atLoad!;
      // Drawn from the snapshot in the page: the app was not ready and had no answer from the device yet.
      expect(dom.ready).toBeUndefined();
      expect(heldUrls.length).toBeGreaterThan(0);
      expect(dom.conn).not.toMatch(/^connecting/);
      const modules = device.slots.filter((s) => s.slot !== 0);
      expect(dom.modules).toEqual(modules.map((m) => [String(m.slot), m.module, m.channels?.length ?? 0]));
      expect(dom.head).toContain(device.serialNumber);
      expect(dom.railHeight).toBeGreaterThan(200);
      expect(dom.litInView).toBeGreaterThan(50);
      expect(shot.length).toBeGreaterThan(0);
      // Then it goes live as before.
      await p.locator('#conn', { hasText: 'live' }).waitFor(WAIT);
    } finally {
      release();
      await b.close();
    }
  });
});
