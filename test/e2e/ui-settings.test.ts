/**
 * Every setting of the Configure panel that #20 part 4 added, in Debian's chromium driven by
 * playwright-core: set in the form, applied (PUT /sim/v1/config, the emulator restarts
 * in-process), then GET /sim/v1/config has it and the form shows it after a reload; a value
 * out of the schema's bounds shows the server's message next to its field and changes nothing.
 * The built CLI runs as a child on free ports with a manual clock. Settings are batched per
 * apply where each one's assertion stays its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel, WAIT } from '../helpers/browser.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { basic } from '../helpers/http.js';
import { cleanupProcesses, startCli } from '../helpers/process.js';

/** The factory administrator (src/config/accounts.ts), for the part with accounts on. */
const ADMIN = basic('admin', 'moxa');

let browser: Browser;
let page: Page;
let base: string;
let certs: CertSet;

type Config = {
  slots: { slot: number; channels: { index: number; mode?: string | number }[] }[];
  modbus: { unitId: string | number; watchdog: { enabled: boolean; timeoutS: number } };
  http: { accounts: { enabled: boolean } };
  mqtt: {
    tls: { ca: string | null; cert: string | null; key: string | null; maxVersion: string };
    queue: { max: number };
    reconnect: { minMs: number; maxMs: number };
    connectTimeoutS: number;
    topics: Record<string, unknown>[];
  };
  serial: { responseTimeoutMs: number; retries: number; interCharTimeoutMs: number | null };
};

async function get<T>(path: string, auth = true): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, { headers: auth ? { Authorization: ADMIN } : {} });
  return { status: res.status, body: (await res.json()) as T };
}

async function config(): Promise<Config> {
  const { status, body } = await get<Config>('/sim/v1/config');
  expect(status).toBe(200);
  return body;
}

const input = (path: string) => page.locator(`#cfg-${path.replaceAll('.', '-')}`);

/** Applies the form and waits until the restarted emulator's config is back in it. */
async function apply(): Promise<void> {
  await page.getByRole('button', { name: 'Apply and restart' }).click();
  await page.locator('#cfg-saved', { hasText: 'Applied.' }).waitFor(WAIT);
}

/** Applies a bad value: its message shows next to `path`'s field and the config stays as it was. */
async function refused(path: string, message: RegExp): Promise<void> {
  const before = await config();
  await page.getByRole('button', { name: 'Apply and restart' }).click();
  const error = page.locator(`[data-error-for="${path}"]`);
  await error.waitFor({ state: 'visible', ...WAIT });
  expect(await error.textContent()).toMatch(message);
  expect(await config()).toEqual(before);
  await page.getByRole('button', { name: 'Discard edits' }).click();
  await error.waitFor({ state: 'hidden', ...WAIT });
}

/** A fresh page load, then the Configure panel once its form is drawn. */
async function reopen(): Promise<void> {
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, WAIT);
  await showPanel(page, 'cfg-panel');
  await page.locator('#cfg-form').waitFor({ state: 'visible', ...WAIT });
}

beforeAll(async () => {
  certs = await makeCerts();
  const started = await startCli(['--http', '127.0.0.1:0', '--https', 'off', '--modbus', '127.0.0.1:0', '--mqtt', 'embedded', '--broker', '127.0.0.1:0', '--clock', 'manual', '--quiet']);
  base = `http://${started.ready.http}`;
  // The page sends the administrator's credentials throughout: ignored while accounts are off,
  // and what lets it go on once the last test turns them on.
  ({ browser, page } = await openUi(base, (p) => p.setExtraHTTPHeaders({ Authorization: ADMIN })));
  await showPanel(page, 'cfg-panel');
  await page.locator('#cfg-form').waitFor({ state: 'visible', ...WAIT });
});

afterAll(async () => {
  await browser?.close();
  await cleanupProcesses();
  await certs?.remove();
});

describe('Configure: every setting (#20 part 4)', () => {
  it('offers each channel the modes of its module (GET /sim/v1/modules) and applies a change of mode', async () => {
    const { body: catalog } = await get<{ model: string; channels: { modes: { name: string }[] }[] }[]>('/sim/v1/modules');
    const modes = (model: string, index: number) => catalog.find((m) => m.model === model)!.channels[index]!.modes.map((m) => m.name);
    const offered = (slot: number, index: number) => page.locator(`#cfg-${slot}-${index}-mode option`).evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(await offered(4, 1)).toEqual(modes('45MR-3800', 1));
    expect(await offered(4, 1)).toEqual(['4-20mA', '4-20mA-burnout', '0-20mA', 'disable']);
    expect(await offered(1, 3)).toEqual(['di', 'counter']);
    expect(await offered(1, 4)).toEqual(['di']); // only DI 0-3 of a 45MR-1600 count (DS)
    expect(await offered(7, 0)).toEqual(modes('45MR-6600', 0));
    // A relay has no mode: no list to pick from.
    expect(await page.locator('#cfg-3-0-mode').count()).toBe(0);

    // A slot's channels fold under its summary, as a user opens them.
    for (const slot of [1, 4, 7]) await page.locator(`details.cfg-slot[data-slot="${slot}"] > summary`).click();
    await input('4-1-mode').selectOption('0-20mA');
    await input('1-3-mode').selectOption('counter');
    await input('7-0-mode').selectOption('PT1000');
    await apply();
    const after = await config();
    const mode = (slot: number, index: number) => after.slots.find((s) => s.slot === slot)!.channels.find((c) => c.index === index)?.mode;
    expect([mode(4, 1), mode(1, 3), mode(7, 0)]).toEqual(['0-20mA', 'counter', 'PT1000']);
    const { body: device } = await get<{ slots: { slot: number; channels: { index: number; modeName: string }[] }[] }>('/sim/v1/device');
    expect(device.slots[4]!.channels[1]!.modeName).toBe('0-20mA');

    await reopen();
    expect([await input('4-1-mode').inputValue(), await input('1-3-mode').inputValue(), await input('7-0-mode').inputValue()]).toEqual(['0-20mA', 'counter', 'PT1000']);
  });

  it('edits the per-topic MQTT rules: changed and added rules are written, the others as they were', async () => {
    const before = (await config()).mqtt.topics;
    expect(before).toHaveLength(3);
    await input('mqtt.topics.0.qos').selectOption('2');
    await input('mqtt.topics.0.retain').selectOption('false');
    await input('mqtt.topics.0.trigger').selectOption('onChangeWhereAllowed');
    await input('mqtt.topics.0.intervalMs').fill('5000');
    await page.getByRole('button', { name: 'Add topic rule' }).click();
    await input('mqtt.topics.3.ioName').fill('45MR-3800-0@Level');
    await input('mqtt.topics.3.parameter').fill('aiValueScaled');
    await input('mqtt.topics.3.enabled').selectOption('true');
    await input('mqtt.topics.3.trigger').selectOption('onChange');
    await input('mqtt.topics.3.deadband').fill('2.5');
    await apply();

    const expected = [
      { ioName: '*', parameter: '*', class: 'value', enabled: true, qos: 2, retain: false, trigger: 'onChangeWhereAllowed', intervalMs: 5000 },
      before[1],
      before[2],
      { ioName: '45MR-3800-0@Level', parameter: 'aiValueScaled', enabled: true, trigger: 'onChange', deadband: 2.5 },
    ];
    expect((await config()).mqtt.topics).toEqual(expected);
    // What the device publishes now follows the rules.
    const { body: topics } = await get<{ topic: string; qos: number; retain: boolean; trigger: string; intervalMs: number; deadband: number }[]>('/sim/v1/mqtt/topics');
    expect(topics.find((t) => t.topic === 'ioThinx_4510/read/45MR-3800-0@Level/aiValueScaled')).toMatchObject({ qos: 2, retain: false, trigger: 'onChange', deadband: 2.5 });
    expect(topics.find((t) => t.topic === 'ioThinx_4510/read/45MR-1600-0@Button/diCounterValue')).toMatchObject({ qos: 2, trigger: 'interval', intervalMs: 5000 });

    await reopen();
    expect(await page.locator('#cfg-mqtt-rules tr').count()).toBe(4);
    expect(await input('mqtt.topics.0.qos').inputValue()).toBe('2');
    expect(await input('mqtt.topics.0.intervalMs').inputValue()).toBe('5000');
    expect(await input('mqtt.topics.3.ioName').inputValue()).toBe('45MR-3800-0@Level');
    expect(await input('mqtt.topics.3.deadband').inputValue()).toBe('2.5');
    expect(await input('mqtt.topics.3.qos').inputValue()).toBe(''); // not set by this rule
  });

  it('refuses a rule out of bounds, or rules that enable too many topics, next to the field or the table', async () => {
    await input('mqtt.topics.3.intervalMs').fill('500');
    await refused('mqtt.topics.3.intervalMs', /mqtt\.topics\.3\.intervalMs/);
    await input('mqtt.topics.0.deadband').fill('-1');
    await refused('mqtt.topics.0.deadband', /mqtt\.topics\.0\.deadband/);
    // Without rule 2 (every IR off), rule 1 turns on all 192 IR topics: past the device's 256.
    await page.getByRole('button', { name: 'Remove rule 2' }).click();
    await refused('mqtt.topics', /at most 256/);
  });

  it('applies the MQTT TLS files, queue and reconnect, the Modbus unit id and watchdog, and the serial timeout and retries', async () => {
    await input('mqtt.tls.ca').fill(certs.caCert);
    await input('mqtt.tls.cert').fill(certs.clientCert);
    await input('mqtt.tls.key').fill(certs.clientKey);
    await input('mqtt.tls.maxVersion').selectOption('TLSv1.2');
    await input('mqtt.queue.max').fill('500');
    await input('mqtt.reconnect.minMs').fill('2000');
    await input('mqtt.reconnect.maxMs').fill('30000');
    await input('mqtt.connectTimeoutS').fill('10');
    await input('modbus.unitId').fill('7');
    await input('modbus.watchdog.enabled').check();
    await input('modbus.watchdog.timeoutS').fill('30');
    await input('serial.responseTimeoutMs').fill('250');
    await input('serial.retries').fill('3');
    await input('serial.interCharTimeoutMs').fill('2.5');
    await apply();

    const after = await config();
    expect(after.mqtt.tls).toMatchObject({ ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey, maxVersion: 'TLSv1.2' });
    expect([after.mqtt.queue.max, after.mqtt.reconnect, after.mqtt.connectTimeoutS]).toEqual([500, { minMs: 2000, maxMs: 30_000 }, 10]);
    expect([after.modbus.unitId, after.modbus.watchdog]).toEqual([7, { enabled: true, timeoutS: 30 }]);
    expect([after.serial.responseTimeoutMs, after.serial.retries, after.serial.interCharTimeoutMs]).toEqual([250, 3, 2.5]);

    await reopen();
    const shown: Record<string, string> = {};
    for (const path of ['mqtt.tls.ca', 'mqtt.tls.key', 'mqtt.tls.maxVersion', 'mqtt.queue.max', 'mqtt.reconnect.minMs', 'mqtt.reconnect.maxMs', 'modbus.unitId', 'modbus.watchdog.timeoutS', 'serial.responseTimeoutMs', 'serial.retries', 'serial.interCharTimeoutMs']) {
      shown[path] = await input(path).inputValue();
    }
    expect(shown).toEqual({
      'mqtt.tls.ca': certs.caCert,
      'mqtt.tls.key': certs.clientKey,
      'mqtt.tls.maxVersion': 'TLSv1.2',
      'mqtt.queue.max': '500',
      'mqtt.reconnect.minMs': '2000',
      'mqtt.reconnect.maxMs': '30000',
      'modbus.unitId': '7',
      'modbus.watchdog.timeoutS': '30',
      'serial.responseTimeoutMs': '250',
      'serial.retries': '3',
      'serial.interCharTimeoutMs': '2.5',
    });
    expect(await input('modbus.watchdog.enabled').isChecked()).toBe(true);
  });

  it('refuses each of those settings out of bounds next to its field, changing nothing', async () => {
    const cases: [string, string, RegExp][] = [
      ['modbus.unitId', '256', /modbus\.unitId/],
      ['modbus.watchdog.timeoutS', '0', /modbus\.watchdog\.timeoutS/],
      ['mqtt.queue.max', '0', /mqtt\.queue\.max/],
      ['mqtt.reconnect.minMs', '90000', /mqtt\.reconnect\.minMs: minMs must not exceed maxMs/],
      ['serial.responseTimeoutMs', '5', /serial\.responseTimeoutMs/],
      ['serial.retries', '11', /serial\.retries/],
    ];
    for (const [path, bad, message] of cases) {
      await input(path).fill(bad);
      await refused(path, message);
    }
    // A client certificate without its key.
    await input('mqtt.tls.key').fill('');
    await refused('mqtt.tls.key', /give both cert and key/);
  });

  it('turns accounts on: the API asks for credentials, the page (logged in) shows the switch on after a reload', async () => {
    expect((await get('/sim/v1/config', false)).status).toBe(200);
    await input('http.accounts.enabled').check();
    await apply();
    expect((await get('/sim/v1/config', false)).status).toBe(401);
    expect((await config()).http.accounts.enabled).toBe(true);
    await reopen();
    expect(await input('http.accounts.enabled').isChecked()).toBe(true);
  });
});
