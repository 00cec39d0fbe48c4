/**
 * Accounts on the emulator API over real HTTP: the app from test/helpers/sim-app.ts, with
 * a fresh profile per test and the log captured, so that no password can leak unnoticed.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Role } from '../../src/config/accounts.js';
import { profileSchema, type Profile } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { ROUTE_ACCESS } from '../../src/http/access.js';
import { REALM, SESSION_COOKIE } from '../../src/http/auth.js';
import { startSimApp } from '../helpers/sim-app.js';
import { basic as basicValue } from '../helpers/http.js';

const PASSWORDS: Record<Role, string> = { administrator: 'Adm1n!pass', operator: 'Op3r@tor', user: 'Us3r#pw' };
const NAMES: Record<Role, string> = { administrator: 'root', operator: 'op', user: 'viewer' };

/** Parsed once: the plaintext passwords are hashed here (scrypt), not in every test. */
const base = profileSchema.parse({
  device: { name: 'auth-test' },
  slots: [
    { slot: 1, module: '45MR-1600' },
    { slot: 2, module: '45MR-2600' },
  ],
  http: {
    accounts: {
      enabled: true,
      users: (['administrator', 'operator', 'user'] as const).map((role) => ({ role, name: NAMES[role], password: PASSWORDS[role] })),
    },
  },
});

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close();
});

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
  body: any;
}

async function start(change: (profile: Profile) => void = () => {}) {
  const profile = structuredClone(base);
  change(profile);
  const clock = new ManualClock();
  let logText = '';
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logText += chunk.toString();
        callback();
      },
    }),
  );
  const sim = await startSimApp(profile, { clock, logger });
  open.push(sim);
  const { listener, config } = sim;
  const replies: string[] = [];
  const call = async (method: string, path: string, { body, headers = {}, raw }: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<Reply> => {
    const res = await fetch(`http://${listener.address}/sim/v1${path}`, {
      method,
      headers: { ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...headers },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    replies.push([...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n'), text);
    return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
  };
  return { profile, config, call, logs: () => logText, replies };
}

const basic = (name: string, password: string) => ({ authorization: basicValue(name, password) });
const as = (role: Role) => basic(NAMES[role], PASSWORDS[role]);

function expectError(reply: Reply, statusCode: number, code: string, path: string | null = null): void {
  expect(reply.status, reply.text).toBe(statusCode);
  expect(reply.body).toMatchObject({ statusCode, code, path });
  expect(Object.keys(reply.body).sort()).toEqual(['code', 'error', 'message', 'path', 'statusCode']);
}

function expectChallenge(reply: Reply): void {
  expectError(reply, 401, 'AUTH_REQUIRED');
  expect(reply.headers.get('www-authenticate')).toMatch(new RegExp(`^Basic realm="${REALM}"`));
}

const diOn = { level: 1 };
const allowlist = { enabled: false, additionalRestrictions: false, entries: [] };

describe('accounts disabled (the default)', () => {
  it('leaves every route open and reports everyone as the administrator', async () => {
    const h = await start((p) => (p.http.accounts.enabled = false));
    expect((await h.call('GET', '/device')).status).toBe(200);
    expect((await h.call('PUT', '/slots/1/channels/0', { body: diOn })).status).toBe(200);
    expect((await h.call('PUT', '/modbus/accessible-ips', { body: allowlist })).status).toBe(200);
    expect((await h.call('GET', '/config')).status).toBe(200);
    const accounts = await h.call('GET', '/accounts');
    expect(accounts.status).toBe(200);
    expect((await h.call('GET', '/whoami')).body).toEqual({ accountsEnabled: false, name: null, role: 'administrator' });
  });

  it('is what a profile without http.accounts gets, with the documented factory accounts', () => {
    const profile = profileSchema.parse({});
    expect(profile.http.accounts.enabled).toBe(false);
    expect(profile.http.accounts.users.map(({ role, name, enabled }) => ({ role, name, enabled }))).toEqual([
      { role: 'administrator', name: 'admin', enabled: true },
      { role: 'operator', name: 'operator', enabled: false },
      { role: 'user', name: 'user', enabled: false },
    ]);
  });
});

describe('accounts enabled', () => {
  it('answers 401 with a Basic challenge without credentials, and leaves health, openapi and login open', async () => {
    const h = await start();
    expectChallenge(await h.call('GET', '/device'));
    expectChallenge(await h.call('PUT', '/slots/1/channels/0', { body: diOn }));
    expectChallenge(await h.call('GET', '/events'));
    expect((await h.call('GET', '/health')).status).toBe(200);
    expect((await h.call('GET', '/openapi.json')).status).toBe(200);
    expect((await h.call('POST', '/logout')).body).toEqual({ loggedOut: false });
    // No route, nothing to guard: 404 as ever.
    expectError(await h.call('GET', '/nowhere'), 404, 'HTTP_NOT_FOUND');
  });

  it('lets a user read but not write a channel', async () => {
    const h = await start();
    expect((await h.call('GET', '/device', { headers: as('user') })).status).toBe(200);
    expect((await h.call('GET', '/slots/1/channels/0', { headers: as('user') })).status).toBe(200);
    const refused = await h.call('PUT', '/slots/1/channels/0', { body: diOn, headers: as('user') });
    expectError(refused, 403, 'AUTH_FORBIDDEN');
    expect(refused.body.message).toMatch(/operator/);
    expectError(await h.call('GET', '/config', { headers: as('user') }), 403, 'AUTH_FORBIDDEN');
    expect((await h.call('GET', '/whoami', { headers: as('user') })).body).toEqual({ accountsEnabled: true, name: 'viewer', role: 'user' });
  });

  it('lets an operator write channels, registers and the clock, but not the accessible-IP list', async () => {
    const h = await start();
    const write = await h.call('PUT', '/slots/1/channels/0', { body: diOn, headers: as('operator') });
    expect(write.status).toBe(200);
    expect(write.body.field.level).toBe(1);
    expect((await h.call('PUT', '/internal-registers/WIR-00', { body: { value: 7 }, headers: as('operator') })).status).toBe(200);
    expect((await h.call('POST', '/clock/advance', { body: { ms: 10 }, headers: as('operator') })).status).toBe(200);
    expectError(await h.call('PUT', '/modbus/accessible-ips', { body: allowlist, headers: as('operator') }), 403, 'AUTH_FORBIDDEN');
    expectError(await h.call('GET', '/accounts', { headers: as('operator') }), 403, 'AUTH_FORBIDDEN');
  });

  it('lets the administrator do everything', async () => {
    const h = await start();
    expect((await h.call('PUT', '/slots/1/channels/0', { body: diOn, headers: as('administrator') })).status).toBe(200);
    expect((await h.call('PUT', '/modbus/accessible-ips', { body: allowlist, headers: as('administrator') })).status).toBe(200);
    expect((await h.call('GET', '/config', { headers: as('administrator') })).status).toBe(200);
    expect((await h.call('GET', '/accounts', { headers: as('administrator') })).body).toEqual({
      enabled: true,
      users: [
        { role: 'administrator', name: 'root', enabled: true },
        { role: 'operator', name: 'op', enabled: true },
        { role: 'user', name: 'viewer', enabled: true },
      ],
    });
  });

  it('refuses a wrong password, an unknown name, a disabled account and other schemes with 401', async () => {
    const h = await start((p) => (p.http.accounts.users[2]!.enabled = false));
    expectChallenge(await h.call('GET', '/device', { headers: basic('root', 'wrong!1') }));
    expectChallenge(await h.call('GET', '/device', { headers: basic('nobody', PASSWORDS.administrator) }));
    expectChallenge(await h.call('GET', '/device', { headers: as('user') }));
    expectChallenge(await h.call('GET', '/device', { headers: { authorization: 'Bearer abc' } }));
    expectChallenge(await h.call('GET', '/device', { headers: { authorization: 'Basic bm9jb2xvbg==' } }));
    expectError(await h.call('POST', '/login', { body: { name: 'viewer', password: PASSWORDS.user } }), 401, 'AUTH_REQUIRED');
  });

  it('follows the change of the running config at once (no restart)', async () => {
    const h = await start((p) => (p.http.accounts.enabled = false));
    expect((await h.call('GET', '/device')).status).toBe(200);
    h.profile.http.accounts = { ...h.profile.http.accounts, enabled: true };
    expectChallenge(await h.call('GET', '/device'));
  });
});

describe('session cookie', () => {
  it('logs in, is used instead of Basic, logs out, and is refused afterwards', async () => {
    const h = await start();
    expectError(await h.call('POST', '/login', { body: { name: 'op', password: 'nope!1' } }), 401, 'AUTH_REQUIRED');
    const login = await h.call('POST', '/login', { body: { name: 'op', password: PASSWORDS.operator } });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ name: 'op', role: 'operator' });
    const setCookie = login.headers.getSetCookie()[0]!;
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; Max-Age=28800/);
    const cookie = { cookie: setCookie.split(';')[0]! };

    expect((await h.call('GET', '/whoami', { headers: cookie })).body).toEqual({ accountsEnabled: true, name: 'op', role: 'operator' });
    expect((await h.call('PUT', '/slots/1/channels/0', { body: diOn, headers: cookie })).status).toBe(200);
    expectError(await h.call('PUT', '/modbus/accessible-ips', { body: allowlist, headers: cookie }), 403, 'AUTH_FORBIDDEN');

    const logout = await h.call('POST', '/logout', { headers: cookie });
    expect(logout.body).toEqual({ loggedOut: true });
    expect(logout.headers.getSetCookie()[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Expires=Thu, 01 Jan 1970`));
    expectChallenge(await h.call('GET', '/device', { headers: cookie }));
    expectChallenge(await h.call('GET', '/device', { headers: { cookie: `${SESSION_COOKIE}=forged` } }));
  });

  it('ends when the account is disabled or its password changes', async () => {
    const h = await start();
    const login = async (role: Role) => ({
      cookie: (await h.call('POST', '/login', { body: { name: NAMES[role], password: PASSWORDS[role] } })).headers.getSetCookie()[0]!.split(';')[0]!,
    });
    const user = await login('user');
    const operator = await login('operator');
    expect((await h.call('PUT', '/accounts/user', { body: { enabled: false }, headers: as('administrator') })).status).toBe(200);
    expectChallenge(await h.call('GET', '/device', { headers: user }));
    expect((await h.call('PUT', '/accounts/operator', { body: { password: 'N3w!pass' }, headers: as('administrator') })).status).toBe(200);
    expectChallenge(await h.call('GET', '/device', { headers: operator }));
  });
});

describe('account management', () => {
  it('changes an account in the running config, hashes the password, and asks for it to be persisted', async () => {
    const h = await start();
    const put = await h.call('PUT', '/accounts/operator', { body: { name: 'shift1', password: 'Shift#2024' }, headers: as('administrator') });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ role: 'operator', name: 'shift1', enabled: true });
    expect(h.config.changes).toBe(1);
    const operator = h.profile.http.accounts.users.find((a) => a.role === 'operator')!;
    expect(operator.name).toBe('shift1');
    expect(operator.password.scrypt).toMatch(/^scrypt\$N=16384,r=8,p=1\$/);
    expectChallenge(await h.call('GET', '/device', { headers: as('operator') }));
    expect((await h.call('GET', '/device', { headers: basic('shift1', 'Shift#2024') })).status).toBe(200);
    // The hash does not leave through the accounts list.
    const list = await h.call('GET', '/accounts', { headers: as('administrator') });
    expect(list.text).not.toMatch(/scrypt|password/);
  });

  it('enforces the device password rule, naming password', async () => {
    const h = await start();
    for (const password of ['abcdef!', 'abc123', 'ab 1!cd', '', 'A1!'.repeat(11)]) {
      const reply = await h.call('PUT', '/accounts/user', { body: { password }, headers: as('administrator') });
      expectError(reply, 400, 'HTTP_BAD_REQUEST', 'password');
    }
    expect(h.config.changes).toBe(0);
  });

  it('refuses to disable the administrator, a name in use, a bad name, an empty body and an unknown role', async () => {
    const h = await start();
    const admin = as('administrator');
    expectError(await h.call('PUT', '/accounts/administrator', { body: { enabled: false }, headers: admin }), 400, 'HTTP_BAD_REQUEST', 'enabled');
    expectError(await h.call('PUT', '/accounts/user', { body: { name: 'op' }, headers: admin }), 400, 'HTTP_BAD_REQUEST', 'name');
    expectError(await h.call('PUT', '/accounts/user', { body: { name: 'two words' }, headers: admin }), 400, 'HTTP_BAD_REQUEST', 'name');
    expectError(await h.call('PUT', '/accounts/user', { body: {}, headers: admin }), 400, 'HTTP_BAD_REQUEST');
    expectError(await h.call('PUT', '/accounts/guest', { body: { enabled: true }, headers: admin }), 400, 'HTTP_BAD_REQUEST', 'role');
    expectError(await h.call('PUT', '/accounts/user', { body: { enabled: true }, headers: as('operator') }), 403, 'AUTH_FORBIDDEN');
    expect(h.config.changes).toBe(0);
  });
});

describe('secrets', () => {
  it('never shows a password or an Authorization header in a response, GET /config or the log', async () => {
    const h = await start();
    const newPassword = 'Fresh$Pass9';
    await h.call('POST', '/login', { body: { name: 'root', password: PASSWORDS.administrator } });
    await h.call('POST', '/login', { body: { name: 'root', password: 'Wrong&Guess1' } });
    await h.call('GET', '/device', { headers: basic('root', 'Wrong&Guess2') });
    await h.call('PUT', '/accounts/user', { body: { password: newPassword }, headers: as('administrator') });
    await h.call('PUT', '/accounts/user', { body: { password: 'no digit!' }, headers: as('administrator') });
    await h.call('GET', '/device', { headers: basic('viewer', newPassword) });
    // Malformed JSON: V8's parse error quotes the body; the reply and the log must not.
    const malformed = await h.call('POST', '/login', { body: undefined, headers: { 'content-type': 'application/json' }, raw: '{"name":"root","password":Bad!Json1}' });
    expectError(malformed, 400, 'HTTP_BAD_REQUEST');
    const config = await h.call('GET', '/config', { headers: as('administrator') });
    expect(config.status).toBe(200);
    expect(config.body.http.accounts.users[0].password).toEqual({ scrypt: expect.stringMatching(/^scrypt\$/) });

    const secrets = [...Object.values(PASSWORDS), newPassword, 'Wrong&Guess1', 'Wrong&Guess2', 'no digit!', 'Bad!Json1'];
    const headers = [as('administrator'), basic('root', 'Wrong&Guess2'), basic('viewer', newPassword)].map((h) => h.authorization.slice('Basic '.length));
    const logs = h.logs();
    expect(logs).toMatch(/login failed/);
    expect(logs).toMatch(/account changed/);
    for (const text of [...h.replies, config.text, logs]) {
      for (const secret of [...secrets, ...headers]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
    }
  });
});

describe('access table', () => {
  it('names every /sim/v1 route, and openapi.json documents the role and 401/403', async () => {
    const h = await start((p) => (p.http.accounts.enabled = false));
    const doc = (await h.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown>; 'x-required-role': string }>> };
    const missing: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const key = `${method.toUpperCase()} ${path.replace('/sim/v1', '').replace(/\{(\w+)\}/g, ':$1')}`;
        if (!(key in ROUTE_ACCESS)) missing.push(key);
        expect(operation['x-required-role'], key).toBe(ROUTE_ACCESS[key] ?? 'administrator');
        if (operation['x-required-role'] !== 'open') expect(Object.keys(operation.responses), key).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
    expect(missing, 'routes without an entry in src/http/access.ts').toEqual([]);
  });
});
