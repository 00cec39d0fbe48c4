/**
 * The web UI's own login form and logout (#20 part 4) in Debian's chromium, against the built CLI
 * with accounts on: the page loads without credentials and shows its form, never the browser's
 * Basic prompt (no answer to the page carries WWW-Authenticate); a wrong password and the
 * throttle show next to the form; the right one shows the device, a reload keeps the session,
 * and logout brings the form back and ends the session on the server too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { openUi, showPanel, WAIT } from '../helpers/browser.js';
import { basic } from '../helpers/http.js';
import { cleanupProcesses } from '../helpers/process.js';
import { startUiDevice } from '../helpers/ui-device.js';

const ADMIN = { name: 'root', password: 'Adm1n!pass' };
const VIEWER = { name: 'viewer', password: 'Us3r#pw' };
const PROFILE = {
  device: { name: 'login-test' },
  slots: [
    { slot: 1, module: '45MR-1600' },
    { slot: 2, module: '45MR-2600' },
  ],
  http: {
    accounts: {
      enabled: true,
      users: [
        { role: 'administrator', ...ADMIN },
        { role: 'user', ...VIEWER },
      ],
    },
  },
  // Two failures for one name, then 429 (the last test), without touching the other names.
  limits: { login: { maxFailuresPerAccount: 2 } },
};

let browser: Browser;
let page: Page;
let base: string;
/** Every answer to the page's API calls: status and whether it challenged. */
const answers: { url: string; status: number; challenge: string | null }[] = [];

const dialog = () => page.locator('#login-dialog');
const ready = () => page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, WAIT);

async function logIn(who: { name: string; password: string }): Promise<void> {
  await page.locator('#login-name').fill(who.name);
  await page.locator('#login-password').fill(who.password);
  await page.locator('#login-submit').click();
}

/** A reset (a restart) ends every session under the logged-in page: its own form shows, no browser prompt. */
async function sessionEndsUnderPage(): Promise<void> {
  expect(await dialog().count()).toBe(0);
  const reset = await fetch(`${base}/sim/v1/reset`, { method: 'POST', headers: { authorization: basic(ADMIN.name, ADMIN.password), 'content-type': 'application/json' } });
  expect(reset.status).toBe(200);
  await dialog().waitFor({ state: 'visible', ...WAIT });
  expect(answers.filter((a) => a.challenge !== null)).toEqual([]);
}

beforeAll(async () => {
  ({ base } = await startUiDevice(PROFILE));
  // The device does not come before a login (the form is what shows): no wait for it.
  const listen = async (p: Page) => {
    p.on('response', (res) => {
      if (res.url().includes('/sim/v1/')) answers.push({ url: res.url(), status: res.status(), challenge: res.headers()['www-authenticate'] ?? null });
    });
  };
  ({ browser, page } = await openUi(base, listen, { waitReady: false }));
});

afterAll(async () => {
  await browser?.close();
  await cleanupProcesses();
});

describe('web UI login with accounts on', () => {
  it('shows its own form, not the browser prompt: the API refuses the page without a challenge', async () => {
    await dialog().waitFor({ state: 'visible', ...WAIT });
    expect(await page.locator('#login-name').isVisible()).toBe(true);
    expect(await page.locator('#login-password').getAttribute('type')).toBe('password');
    expect(await page.locator('#login-submit').textContent()).toBe('Log in');
    // The event stream is refused too (and retried by the page), with no challenge either.
    const refused = () => answers.filter((a) => a.status === 401).map((a) => new URL(a.url).pathname);
    await expect.poll(refused, WAIT).toEqual(expect.arrayContaining(['/sim/v1/whoami', '/sim/v1/device', '/sim/v1/events']));
    expect(answers.filter((a) => a.challenge !== null)).toEqual([]);
    expect(await page.locator('#logout').count()).toBe(0);
    // Scripts are still challenged: the marker is the page's.
    const bare = await fetch(`${base}/sim/v1/device`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toMatch(/^Basic realm="iothinx-sim"/);
  });

  it('shows a wrong password next to the form and keeps it open', async () => {
    await logIn({ name: ADMIN.name, password: 'wrong!1' });
    const error = page.locator('#login-error');
    await error.waitFor({ state: 'visible', ...WAIT });
    expect(await error.textContent()).toMatch(/wrong name or password/);
    expect(await page.locator('#login-password').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#login-password').inputValue()).toBe('');
    expect(await dialog().isVisible()).toBe(true);
  });

  it('logs in with the right password and loads the device, and a reload keeps the session', async () => {
    const since = answers.length;
    await logIn(ADMIN);
    await ready();
    const loaded = () => answers.slice(since).filter((a) => a.status === 200).map((a) => new URL(a.url).pathname);
    expect(loaded()).toEqual(expect.arrayContaining(['/sim/v1/whoami', '/sim/v1/device', '/sim/v1/events', '/sim/v1/accounts']));
    expect(await page.locator('#conn').textContent()).toBe('live');
    expect(await page.locator('#session-who').textContent()).toBe('root (administrator)');
    expect(await page.locator('#session-hint').count()).toBe(0);
    expect(await dialog().count()).toBe(0);
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'iothinx_sim_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    // The Accounts panel works for the administrator.
    await page.locator('#acct-forms form[data-role="user"]').waitFor({ state: 'attached', ...WAIT });

    const again = answers.length;
    await page.reload();
    await ready();
    expect(answers.slice(again).filter((a) => a.status === 401)).toEqual([]);
    expect(await page.locator('#session-who').textContent()).toBe('root (administrator)');
    expect(await dialog().count()).toBe(0);
  });

  it('logs out: the form is back and the server refuses the old cookie', async () => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'iothinx_sim_session')!;
    const withCookie = () => fetch(`${base}/sim/v1/device`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    expect((await withCookie()).status).toBe(200);
    await page.locator('#logout').click();
    await dialog().waitFor({ state: 'visible', ...WAIT });
    expect(await page.locator('#logout').count()).toBe(0);
    expect((await page.context().cookies()).find((c) => c.name === 'iothinx_sim_session')).toBeUndefined();
    const old = await withCookie();
    expect(old.status).toBe(401);
    expect(((await old.json()) as { code: string }).code).toBe('AUTH_REQUIRED');
  });

  it('tells a read-only user that changes are refused, and a change is refused (403)', async () => {
    await logIn(VIEWER);
    await ready();
    expect(await page.locator('#session-who').textContent()).toBe('viewer (user)');
    expect(await page.locator('#session-hint').textContent()).toMatch(/Read-only.*refused \(403\)/);
    expect(await page.locator('#acct-state').textContent()).toMatch(/needs the administrator/);
    // A change through the page's own API call: refused, and the status reaches the page.
    // (A string: the test runner rewrites a dynamic import in a function it is given.)
    const refused = await page.evaluate(`import('/js/util.js').then(({ api }) => api('PUT', '/slots/1/channels/0', { level: 1 }))
      .then(() => null, (e) => ({ status: e.status, message: e.message }))`);
    expect(refused).toMatchObject({ status: 403, message: expect.stringMatching(/needs the operator role/) });
    await page.locator('#logout').click();
    await dialog().waitFor({ state: 'visible', ...WAIT });
  });

  it('shows the form again when the session ends under the page (a restart ends every session)', async () => {
    await logIn(ADMIN);
    await ready();
    await sessionEndsUnderPage();
  });

  it('shows the form when the session ends under a panel that asks the API nothing: the refused event stream is enough', async () => {
    // A fresh page: the one before was ready once, so ready() would not wait for the login's reload.
    await page.reload();
    await dialog().waitFor({ state: 'visible', ...WAIT });
    await logIn(ADMIN);
    await ready();
    // The Clock panel asks the API nothing, nor does the faceplate behind it (module faults come by the event stream).
    await showPanel(page, 'clock-panel');
    await sessionEndsUnderPage();
  });

  it('shows the throttle (429) next to the form and holds the button', async () => {
    for (let i = 0; i < 2; i++) {
      await logIn({ name: 'ghost', password: 'nope!1' });
      await page.waitForFunction(() => !(document.getElementById('login-submit') as HTMLButtonElement).disabled, undefined, WAIT);
    }
    await logIn({ name: 'ghost', password: 'nope!1' });
    const error = page.locator('#login-error');
    await expect.poll(() => error.textContent(), WAIT).toMatch(/too many failed logins for this account name; try again in \d+ s/);
    expect(await page.locator('#login-submit').isDisabled()).toBe(true);
    expect(answers.filter((a) => a.challenge !== null)).toEqual([]);
  });
});
