/**
 * The web UI's page carries the device (#20 part 3): GET / inlines the body of GET /sim/v1/device
 * as <script id="device-snapshot" type="application/json">, escaped so that a name cannot end the
 * element, and only for a request that may read the device: by its session cookie or Basic
 * credentials the guard verified lately, never by hashing a password or counting a failed login.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { startSimApp, type SimApp } from '../helpers/sim-app.js';
import { basic } from '../helpers/http.js';

// `<!--<script>` in script data would swallow the element's own </script> (the HTML parser's
// "double escaped" state): the device name and a channel name carry it and a tag.
const NASTY = '<!--<script>';
const profile = (accounts: boolean) =>
  profileSchema.parse({
    device: { name: NASTY },
    slots: [
      { slot: 1, module: '45MR-1600', channels: [{ index: 0, name: '<b>Start' }] },
      { slot: 2, module: '45MR-2600' },
    ],
    http: { accounts: { enabled: accounts, users: [{ role: 'user', name: 'viewer', password: 'Us3r#pw!' }] } },
  });

const open: SimApp[] = [];
afterEach(async () => {
  for (const sim of open.splice(0)) await sim.close();
});

async function start(accounts: boolean): Promise<{ root: string; sim: SimApp }> {
  const sim = await startSimApp(profile(accounts));
  open.push(sim);
  return { root: `http://${sim.listener.address}`, sim };
}

const SCRIPT = /<script id="device-snapshot" type="application\/json">([^<]*)<\/script>/;

describe('GET / with the device inlined', () => {
  it('carries the snapshot of GET /sim/v1/device, with every < escaped, and is not cached stale', async () => {
    const { root } = await start(false);
    for (const path of ['/', '/index.html']) {
      const res = await fetch(root + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const html = await res.text();
      const inlined = SCRIPT.exec(html)?.[1];
      expect(inlined, 'the snapshot element').toBeDefined();
      // Nothing of the names is markup inside the element: each < is \u003c.
      expect(inlined).not.toContain('<');
      expect(inlined).toContain('\\u003c!--\\u003cscript>');
      expect(inlined).toContain('\\u003cb>Start');
      expect(html.split(NASTY)).toHaveLength(1);
      const device = (await (await fetch(`${root}/sim/v1/device`)).json()) as { name: string; slots: { channels?: { name: string }[] }[] };
      expect(JSON.parse(inlined!)).toEqual(device);
      expect(device.name).toBe(NASTY);
      expect(device.slots[1]?.channels?.[0]?.name).toBe('<b>Start');
      // One element, in the head, before the app's script reads it.
      expect(html.match(/id="device-snapshot"/g)).toHaveLength(1);
      expect(html.indexOf('id="device-snapshot"')).toBeLessThan(html.indexOf('</head>'));
    }
  });

  it('follows the device: a change made since shows in the next page', async () => {
    const { root } = await start(false);
    expect((await fetch(`${root}/sim/v1/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"level":1}' })).status).toBe(200);
    const html = await (await fetch(`${root}/`)).text();
    const device = JSON.parse(SCRIPT.exec(html)![1]!) as { slots: { slot: number; channels?: { index: number; diStatus?: number }[] }[] };
    expect(device.slots.find((s) => s.slot === 1)?.channels?.[0]?.diStatus).toBe(1);
  });

  it('with accounts on: no snapshot without credentials (and no Basic prompt), the snapshot for an account that may read the device', async () => {
    const { root } = await start(true);
    expect((await fetch(`${root}/sim/v1/device`)).status).toBe(401);
    const anonymous = await fetch(`${root}/`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get('www-authenticate')).toBeNull();
    expect(anonymous.headers.get('cache-control')).toBe('no-cache');
    const page = await anonymous.text();
    expect(page).not.toContain('device-snapshot');
    expect(page).not.toContain('45MR-1600');
    // The page itself is the rest of web/index.html.
    expect(page).toContain('<script type="module" src="app.js"></script>');

    const wrong = await fetch(`${root}/`, { headers: { authorization: basic('viewer', 'nope') } });
    expect(await wrong.text()).not.toContain('device-snapshot');
    expect(wrong.headers.get('www-authenticate')).toBeNull();

    // A right Basic password the guard has not verified yet: GET / hashes nothing, so it cannot tell.
    const unverified = await fetch(`${root}/`, { headers: { authorization: basic('viewer', 'Us3r#pw!') } });
    expect(await unverified.text()).not.toContain('device-snapshot');
    // Once an API request has verified it, the page inlines the device for it.
    expect((await fetch(`${root}/sim/v1/device`, { headers: { authorization: basic('viewer', 'Us3r#pw!') } })).status).toBe(200);
    const viewer = await fetch(`${root}/`, { headers: { authorization: basic('viewer', 'Us3r#pw!') } });
    const inlined = SCRIPT.exec(await viewer.text())?.[1];
    expect(inlined).toBeDefined();
    expect((JSON.parse(inlined!) as { slots: { module: string }[] }).slots.map((s) => s.module)).toEqual(['ioThinx 4510', '45MR-1600', '45MR-2600']);

    // The session cookie of POST /sim/v1/login (the web UI's login form); a made-up one gets nothing.
    const login = await fetch(`${root}/sim/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'viewer', password: 'Us3r#pw!' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(SCRIPT.exec(await (await fetch(`${root}/`, { headers: { cookie } })).text())).not.toBeNull();
    const forged = await fetch(`${root}/`, { headers: { cookie: `${cookie.split('=')[0]}=forged` } });
    expect(await forged.text()).not.toContain('device-snapshot');
    expect(forged.headers.get('set-cookie')).toBeNull();
  });

  it('a wrong Basic password on GET / is no failed login: 30 of them trip no throttle, log no line, count nothing, and the right password logs in', async () => {
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const sim = await startSimApp(profile(true), { logger });
    open.push(sim);
    const root = `http://${sim.listener.address}`;
    // Three times limits.login.maxFailuresPerAddress (10): as failed logins they would lock this address out.
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${root}/`, { headers: { authorization: basic('viewer', `wrong-${i}`) } });
      expect(res.status).toBe(200);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect(res.headers.get('retry-after')).toBeNull();
      expect(await res.text()).not.toContain('device-snapshot');
    }
    expect(lines.filter((l) => l.msg === 'login failed')).toEqual([]);
    expect(sim.device.refusals.get('login_throttle')).toBe(0);
    expect(sim.device.refusals.get('login_log')).toBe(0);
    expect((await fetch(`${root}/sim/v1/device`, { headers: { authorization: basic('viewer', 'Us3r#pw!') } })).status).toBe(200);
    const login = await fetch(`${root}/sim/v1/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'viewer', password: 'Us3r#pw!' }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(SCRIPT.exec(await (await fetch(`${root}/`, { headers: { cookie } })).text())).not.toBeNull();
    // The misses are bounded on their own (as failed logins would be, in a count apart): past 10
    // from this address even the right, verified password inlines nothing here, so GET / is no
    // free oracle for guessing it. The API and the cookie are not affected.
    const bounded = await fetch(`${root}/`, { headers: { authorization: basic('viewer', 'Us3r#pw!') } });
    expect(await bounded.text()).not.toContain('device-snapshot');
    expect((await fetch(`${root}/sim/v1/device`, { headers: { authorization: basic('viewer', 'Us3r#pw!') } })).status).toBe(200);
    expect(lines.filter((l) => l.msg === 'login failed')).toEqual([]);
  });
});
