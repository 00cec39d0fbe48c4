/**
 * Which 401s carry the Basic challenge (#20 part 4): the web UI's own calls (X-Requested-With)
 * and its event streams get none, so chromium shows the page's login form instead of its own
 * prompt; scripts (curl -u, a bare request, a browser opening an API address) are challenged
 * exactly as before. The page itself loads without credentials; the API stays guarded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { REALM, UI_MARKER } from '../../src/http/auth.js';
import { startSimApp } from '../helpers/sim-app.js';
import { basic as basicValue } from '../helpers/http.js';

const PASSWORD = 'Adm1n!pass';
const profile = profileSchema.parse({
  device: { name: 'challenge-test' },
  slots: [{ slot: 1, module: '45MR-1600' }],
  http: { accounts: { enabled: true, users: [{ role: 'administrator', name: 'root', password: PASSWORD }] } },
});

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

async function start() {
  const sim = await startSimApp(structuredClone(profile));
  open.push(sim);
  return async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    const res = await fetch(`http://${sim.listener.address}${path}`, { method, headers });
    const text = await res.text();
    return { status: res.status, challenge: res.headers.get('www-authenticate'), type: res.headers.get('content-type'), text };
  };
}

const basic = (name: string, password: string) => ({ authorization: basicValue(name, password) });
const CHALLENGE = new RegExp(`^Basic realm="${REALM}", charset="UTF-8"$`);

describe('the Basic challenge with accounts on', () => {
  it('is sent to a bare request and to curl -u with a wrong password, as before', async () => {
    const get = await start();
    for (const reply of [
      await get('/sim/v1/device'),
      await get('/sim/v1/device', { accept: '*/*' }), // curl's own Accept
      await get('/sim/v1/device', basic('root', 'wrong!1')),
      await get('/sim/v1/device', basic('nobody', PASSWORD)),
      await get('/sim/v1/device', { cookie: 'iothinx_sim_session=ended' }),
      await get('/sim/v1/events', basic('root', 'wrong!1')), // an event stream with Basic: a script's
      await get('/metrics'),
      // A browser opening an API address itself (a navigation): its own prompt is the way in.
      await get('/sim/v1/device', { accept: 'text/html,application/xhtml+xml', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' }),
    ]) {
      expect(reply.status, reply.text).toBe(401);
      expect(JSON.parse(reply.text)).toMatchObject({ code: 'AUTH_REQUIRED' });
      expect(reply.challenge).toMatch(CHALLENGE);
    }
    // The right credentials still work.
    expect((await get('/sim/v1/device', basic('root', PASSWORD))).status).toBe(200);
  });

  it('is not sent to the web UI: its calls carry X-Requested-With, its event streams cannot', async () => {
    const get = await start();
    for (const reply of [
      await get('/sim/v1/device', { 'x-requested-with': UI_MARKER }),
      await get('/sim/v1/whoami', { 'x-requested-with': UI_MARKER, cookie: 'iothinx_sim_session=ended' }),
      await get('/sim/v1/reset', { 'x-requested-with': UI_MARKER, 'content-type': 'application/json' }, 'POST'),
      await get('/sim/v1/events', { accept: 'text/event-stream' }), // what EventSource sends
      await get('/sim/v1/mqtt/log/stream', { accept: 'text/event-stream', 'cache-control': 'no-cache' }),
    ]) {
      expect(reply.status, reply.text).toBe(401);
      expect(JSON.parse(reply.text)).toMatchObject({ code: 'AUTH_REQUIRED' });
      expect(reply.challenge).toBeNull();
    }
  });

  it('leaves the page and its files open, and the API guarded', async () => {
    const get = await start();
    for (const path of ['/', '/index.html', '/app.js', '/js/login.js', '/js/util.js', '/settings.css', '/favicon.svg']) {
      const reply = await get(path);
      expect(reply.status, path).toBe(200);
      expect(reply.challenge, path).toBeNull();
    }
    expect((await get('/')).text).toContain('<header class="top">');
    expect((await get('/sim/v1/health')).status).toBe(200);
    expect((await get('/sim/v1/device', { 'x-requested-with': UI_MARKER })).status).toBe(401);
  });
});
