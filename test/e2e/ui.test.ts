/**
 * The web UI (issue 8) in Debian's chromium driven by playwright-core (never a downloaded
 * browser): the built CLI runs as a child on free ports with a manual clock, so nothing moves
 * unless a test moves it. Every wait is an auto-waiting locator or page.waitForFunction.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel, WAIT } from '../helpers/browser.js';
import { cleanupProcesses, startCli, type Started } from '../helpers/process.js';
import { bitsOf, RawModbusClient, readPdu } from '../helpers/modbus-client.js';

const SCREENSHOT = new URL('../../docs/ui.png', import.meta.url).pathname;
const MODULES = ['45MR-1600', '45MR-2600', '45MR-2404', '45MR-3800', '45MR-3810', '45MR-4420', '45MR-6600', '45MR-6810'];

let started: Started;
let browser: Browser;
let page: Page;
let base: string;

function split(hostPort: string): [string, number] {
  const at = hostPort.lastIndexOf(':');
  return [hostPort.slice(0, at), Number(hostPort.slice(at + 1))];
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(base + path, init);
  expect(res.ok, `${path}: HTTP ${res.status}`).toBe(true);
  return (await res.json()) as T;
}

/** A channel's control row, under the faceplate once the channel is open. */
const row = (ioName: string) => page.locator(`#details [data-io="${ioName}"]`);
/** A channel on the faceplate. */
const led = (ioName: string) => page.locator(`#rail [data-io="${ioName}"]`);

/** Back to the device view and the controls of one channel, as a user clicks it on the faceplate. */
async function openChannel(ioName: string): Promise<void> {
  await showPanel(page, 'device');
  await led(ioName).click();
  await row(ioName).waitFor(WAIT);
}

beforeAll(async () => {
  started = await startCli(['--http', '127.0.0.1:0', '--https', 'off', '--modbus', '127.0.0.1:0', '--mqtt', 'embedded', '--broker', '127.0.0.1:0', '--clock', 'manual', '--quiet']);
  base = `http://${started.ready.http}`;
  ({ browser, page } = await openUi(base));
});

afterAll(async () => {
  await browser?.close();
  await cleanupProcesses();
});

describe('web UI', () => {
  it('shows the head unit and every module of the default profile', async () => {
    await page.locator('#head', { hasText: 'TAGCB1100001' }).waitFor(WAIT);
    for (const [i, model] of MODULES.entries()) {
      await page.locator(`#rail article.module[data-slot="${i + 1}"] h2`, { hasText: model }).waitFor(WAIT);
    }
    expect(await page.locator('#rail article.module:not(.head)').count()).toBe(MODULES.length);
  });

  it('toggles DO-00 of slot 2 and the device API and Modbus/TCP see it', async () => {
    const ioName = '45MR-2600-0@DO-00';
    await openChannel(ioName);
    await row(ioName).locator('button.lamp').click();
    await row(ioName).locator('button.lamp[aria-pressed="true"]').waitFor(WAIT);
    await page.locator(`#rail [data-io="${ioName}"][data-on="1"]`).waitFor(WAIT);

    const api = await json<{ value: number }>(`/api/io/do/${ioName}/doStatus`, { headers: { Accept: 'vdn.dac.v2', 'Content-Type': 'application/json' } });
    expect(api).toEqual({ value: 1 });

    const map = await json<{ ioName: string; parameter: string; table: string; address: number }[]>('/sim/v1/modbus/map');
    const coil = map.find((r) => r.ioName === ioName && r.parameter === 'doStatus');
    expect(coil?.table).toBe('coil');
    const [host, port] = split(started.ready.modbus!);
    const client = await RawModbusClient.connect(port, { host });
    try {
      const pdu = await client.call(readPdu(1, coil!.address, 1));
      expect(bitsOf(pdu, 1)).toEqual([1]);
    } finally {
      client.socket.destroy();
    }
  });

  it('sets the AI of slot 4 channel 1 (4-20mA) to 12 and shows scaled 12', async () => {
    const ioName = '45MR-3800-0@AI-01';
    await openChannel(ioName);
    const field = page.locator('#ch-4-1-physical');
    await field.fill('12');
    await field.press('Tab');
    await row(ioName).locator('.val', { hasText: /^12 mA$/ }).waitFor(WAIT);
    await led(ioName).locator('.val', { hasText: /^12 mA$/ }).waitFor(WAIT);
    const channel = await json<{ aiValueScaled: number }>('/sim/v1/slots/4/channels/1');
    expect(channel.aiValueScaled).toBe(12);
  });

  it('rejects an invalid allowlist entry with the server message next to the field, changing nothing', async () => {
    const before = await json<unknown>('/sim/v1/modbus/accessible-ips');
    await showPanel(page, 'acl-panel');
    await page.locator('#acl-0-ip').fill('300.1.2.3');
    await page.getByRole('button', { name: 'Save' }).click();
    const error = page.locator('#acl-0-ip-error');
    await error.waitFor({ state: 'visible', ...WAIT });
    const text = await error.textContent();
    expect(text).toMatch(/ip/i);
    expect(await page.locator('#acl-0-ip').getAttribute('aria-invalid')).toBe('true');
    expect(await json<unknown>('/sim/v1/modbus/accessible-ips')).toEqual(before);
  });

  it('shows a change made through the API in the live log', async () => {
    const put = await fetch(`${base}/sim/v1/slots/1/channels/5`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ level: 1 }) });
    expect(put.status).toBe(200);
    await showPanel(page, 'log-panel');
    await page.locator('#live-log li', { hasText: '45MR-1600-0@DI-05 diStatus 0 → 1' }).waitFor(WAIT);
    await showPanel(page, 'device');
    await page.locator('#rail [data-io="45MR-1600-0@DI-05"][data-on="1"]').waitFor(WAIT);
  });

  it('toggles a DI in the UI and shows its diStatus publication in the MQTT log', async () => {
    await openChannel('45MR-1600-0@DI-07');
    await row('45MR-1600-0@DI-07').locator('button.lamp').click();
    await showPanel(page, 'mqtt-panel');
    const topic = 'ioThinx_4510/read/45MR-1600-0@DI-07/diStatus';
    const line = page.locator(`#mqtt-log li[data-topic="${topic}"]`, { hasText: '"value":1' });
    await line.first().waitFor(WAIT);
    expect(await line.first().locator('.dir').textContent()).toContain('out');
    const log = await json<{ direction: string; topic: string; payload: string }[]>('/sim/v1/mqtt/log');
    expect(log.some((m) => m.direction === 'out' && m.topic === topic && JSON.parse(m.payload).value === 1)).toBe(true);
  });

  it('attaches a sine to an AI from its row, shows it, and detaches it', async () => {
    await openChannel('45MR-3810-0@AI-00');
    const r = row('45MR-3810-0@AI-00');
    await r.locator('summary', { hasText: 'Signal' }).click();
    await page.locator('#ch-5-0-sig-kind').selectOption('sine');
    await page.locator('#ch-5-0-sig-offset').fill('5');
    await page.locator('#ch-5-0-sig-amplitude').fill('2');
    await r.getByRole('button', { name: 'Attach' }).click();
    await r.locator('.sig', { hasText: 'signal: sine' }).waitFor(WAIT);
    expect((await json<{ signal: { kind: string; offset: number } }>('/sim/v1/slots/5/channels/0')).signal).toMatchObject({ kind: 'sine', offset: 5, amplitude: 2 });
    await r.getByRole('button', { name: 'Detach' }).click();
    await page.waitForFunction(() => document.querySelector('#details [data-io="45MR-3810-0@AI-00"] span.sig')?.textContent === '', undefined, WAIT);
    expect((await json<{ signal: unknown }>('/sim/v1/slots/5/channels/0')).signal).toBeNull();
  });

  it('moves a slot\'s coil base address, refreshes the address table, and reloads the defaults', async () => {
    await showPanel(page, 'base-panel');
    const input = page.locator('#base-2-coil');
    const before = Number(await input.inputValue());
    await input.fill('1000');
    await page.getByRole('button', { name: 'Apply base addresses' }).click();
    await page.locator('#base-saved', { hasText: 'Saved' }).waitFor(WAIT);
    const overrides = await json<{ overrides: { slot: number; coil?: number }[] }>('/sim/v1/modbus/base-addresses');
    expect(overrides.overrides).toEqual([{ slot: 2, coil: 1000 }]);
    await page.locator('#map-rows tr', { hasText: '45MR-2600-0@DO-00' }).filter({ hasText: 'coil' }).filter({ hasText: '1000' }).first().waitFor({ state: 'attached', ...WAIT });
    await page.getByRole('button', { name: 'Reload defaults' }).click();
    await page.locator('#base-saved', { hasText: 'Defaults restored' }).waitFor(WAIT);
    expect(Number(await input.inputValue())).toBe(before);
  });

  it('rejects an invalid device name with the server message next to the field', async () => {
    await showPanel(page, 'cfg-panel');
    await page.locator('#cfg-device-name').fill('bad name');
    await page.getByRole('button', { name: 'Apply and restart' }).click();
    const error = page.locator('#cfg-device-name-error');
    await error.waitFor({ state: 'visible', ...WAIT });
    expect(await error.textContent()).toMatch(/device\.name: no spaces/);
    expect(await page.locator('#cfg-device-name').getAttribute('aria-invalid')).toBe('true');
    expect((await json<{ device: { name: string } }>('/sim/v1/config')).device.name).toBe('ioThinx_4510');
  });

  it('renames the device: the emulator restarts, the head card and the device API show the new name', async () => {
    await showPanel(page, 'cfg-panel');
    await page.locator('#cfg-device-name').fill('Rig_42');
    await page.getByRole('button', { name: 'Apply and restart' }).click();
    await page.locator('#cfg-saved', { hasText: 'Applied.' }).waitFor(WAIT);
    await showPanel(page, 'device');
    await page.locator('#head', { hasText: 'Rig_42' }).waitFor(WAIT);
    const sys = await json<{ deviceName: string }>('/api/sysInfo/device', { headers: { Accept: 'vdn.dac.v2', 'Content-Type': 'application/json' } });
    expect(sys.deviceName).toBe('Rig_42');
    // The streams were reopened: a change after the restart still shows up live.
    await openChannel('45MR-2600-0@DO-03');
    await row('45MR-2600-0@DO-03').locator('button.lamp').click();
    await showPanel(page, 'log-panel');
    await page.locator('#live-log li', { hasText: '45MR-2600-0@DO-03 doStatus 0 → 1' }).waitFor(WAIT);
    await showPanel(page, 'mqtt-panel');
    await page.locator('#mqtt-log li[data-topic="Rig_42/read/45MR-2600-0@DO-03/doStatus"]').first().waitFor(WAIT);
  });

  it('turns the device REST API off and on again from Configure', async () => {
    const device = () => fetch(`${base}/api/sysInfo/device`, { headers: { Accept: 'vdn.dac.v2', 'Content-Type': 'application/json' } });
    expect((await device()).status).toBe(200);
    await showPanel(page, 'cfg-panel');
    await page.locator('#cfg-http-restApi').uncheck();
    await page.getByRole('button', { name: 'Apply and restart' }).click();
    await page.locator('#cfg-http-restApi[data-initial="false"]').waitFor({ state: 'attached', ...WAIT });
    await page.locator('#cfg-saved', { hasText: 'Applied.' }).waitFor(WAIT);
    expect((await device()).status).toBe(404);
    expect((await json<{ http: { restApi: boolean } }>('/sim/v1/config')).http.restApi).toBe(false);
    await page.locator('#cfg-http-restApi').check();
    await page.getByRole('button', { name: 'Apply and restart' }).click();
    await page.locator('#cfg-http-restApi[data-initial="true"]').waitFor({ state: 'attached', ...WAIT });
    await page.locator('#cfg-saved', { hasText: 'Applied.' }).waitFor(WAIT);
    expect((await device()).status).toBe(200);
  });

  it('rejects an RTU profile name with a "." with the server message next to that field', async () => {
    await showPanel(page, 'cfg-panel');
    await page.getByRole('button', { name: 'Add RTU profile' }).click();
    const name = page.locator('#cfg-serial-profiles-0-name');
    await name.fill('bad.name');
    await page.getByRole('button', { name: 'Apply and restart' }).click();
    const error = page.locator('#cfg-serial-profiles-0-name-error');
    await error.waitFor({ state: 'visible', ...WAIT });
    expect(await error.textContent()).toMatch(/no "\." allowed/);
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    expect((await json<{ serial: { profiles: unknown[] } }>('/sim/v1/config')).serial.profiles).toEqual([]);
    await page.getByRole('button', { name: 'Discard edits' }).click();
    await name.waitFor({ state: 'detached', ...WAIT });
  });

  it('rejects a weak operator password next to the field, then sets a good one', async () => {
    await showPanel(page, 'acct-panel');
    const password = page.locator('#acct-operator-password');
    await password.fill('abc');
    await page.getByRole('button', { name: 'Update operator' }).click();
    const error = page.locator('#acct-operator-password-error');
    await error.waitFor({ state: 'visible', ...WAIT });
    expect(await error.textContent()).toMatch(/digit/);
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    await password.fill('Op3rator!');
    await page.getByRole('button', { name: 'Update operator' }).click();
    await page.locator('#acct-operator-saved', { hasText: 'Saved.' }).waitFor(WAIT);
    await error.waitFor({ state: 'hidden', ...WAIT });
    const accounts = await json<{ users: { role: string; name: string; enabled: boolean }[] }>('/sim/v1/accounts');
    expect(accounts.users.some((u) => u.role === 'operator')).toBe(true);
  });

  it('has no horizontal overflow at 375 px', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    const width = () => page.evaluate(() => document.documentElement.scrollWidth);
    try {
      await openChannel('45MR-3800-0@AI-01');
      expect(await width()).toBeLessThanOrEqual(375);
      await showPanel(page, 'cfg-panel');
      await page.getByRole('button', { name: 'Add RTU profile' }).click();
      expect(await width()).toBeLessThanOrEqual(375);
    } finally {
      await page.getByRole('button', { name: 'Discard edits' }).click();
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('takes a full-page screenshot of the faceplate, with the controls of a channel open', async () => {
    // A rail at work: a few inputs on and outputs switched, as over Modbus or the device API.
    const on = [['1/3', 'level'], ['1/6', 'level'], ['2/0', 'doStatus'], ['2/4', 'doStatus'], ['3/1', 'relayStatus']] as const;
    const ioNames: string[] = [];
    const put = async (at: string, what: string, value: 0 | 1) => {
      const path = `/sim/v1/slots/${at.replace('/', '/channels/')}`;
      const res = what === 'level'
        ? await fetch(base + path, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ level: value }) })
        : await fetch(`${base}${path}/attributes/${what}`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ value }) });
      expect(res.status, `${at} ${what}`).toBe(200);
      return (await json<{ ioName: string }>(path)).ioName;
    };
    const shown = (value: '0' | '1') => Promise.all(ioNames.map((ioName) => page.locator(`#rail [data-io="${ioName}"][data-on="${value}"]`).waitFor({ state: 'attached', ...WAIT })));
    // Off first, as the page shows it (an earlier test may have left one on), then on: each LED
    // the wait sees lit is one this test's change reached. The rail may be behind another panel
    // until openChannel brings it back: attached, not visible.
    for (const [at, what] of on) ioNames.push(await put(at, what, 0));
    await shown('0');
    for (const [at, what] of on) await put(at, what, 1);
    await openChannel('45MR-3800-0@Level');
    await shown('1');
    expect(await page.locator('#device').isVisible()).toBe(true);
    expect(await page.locator('section.panel:visible').count()).toBe(0);
    await mkdir(new URL('../../docs/', import.meta.url), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
