import { describe, expect, it } from 'vitest';
import { DEFAULT_PASSWORD, ROLES } from '../../src/config/accounts.js';
import { hashPassword, hashPasswordSync, isPasswordHash, verifyPassword } from '../../src/config/password.js';
import { profileSchema } from '../../src/config/profile.js';
import { LogBudget } from '../../src/device/log-budget.js';
import { LoginThrottle } from '../../src/http/login-throttle.js';
import { SESSION_TTL_MS, SessionStore, VerifiedCredentials } from '../../src/http/sessions.js';
import { problems } from './helpers.js';

const paths = (input: unknown) => problems(input).map((p) => `${p.path}: ${p.message}`);

describe('passwords', () => {
  it('hash with scrypt, parameters in the string, and verify', async () => {
    const stored = await hashPassword('Secr3t!');
    expect(stored).toMatch(/^scrypt\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(isPasswordHash(stored)).toBe(true);
    expect(await verifyPassword('Secr3t!', stored)).toBe(true);
    expect(await verifyPassword('Secr3t?', stored)).toBe(false);
    expect(await verifyPassword('Secr3t!', undefined)).toBe(false);
    expect(await hashPassword('Secr3t!')).not.toBe(stored);
    expect(await verifyPassword('x', hashPasswordSync('x'))).toBe(true);
  });

  it('verify with the parameters stored, and refuse malformed or extravagant ones', async () => {
    const salt = Buffer.alloc(16, 1);
    const { scryptSync } = await import('node:crypto');
    const cheap = `scrypt$N=1024,r=1,p=1$${salt.toString('base64')}$${scryptSync('pw', salt, 32, { N: 1024, r: 1, p: 1 }).toString('base64')}`;
    expect(await verifyPassword('pw', cheap)).toBe(true);
    for (const bad of ['', 'scrypt$N=1000,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', cheap.replace('N=1024,r=1', 'N=1048576,r=8'), 'bcrypt$2b$10$abc']) {
      expect(isPasswordHash(bad), bad).toBe(false);
      expect(await verifyPassword('pw', bad)).toBe(false);
    }
  });
});

describe('profile: http.accounts', () => {
  it('has the three factory accounts, whose hashes are of the documented default password', async () => {
    const { users } = profileSchema.parse({}).http.accounts;
    expect(users.map((u) => u.role)).toEqual([...ROLES]);
    for (const user of users) expect(await verifyPassword(DEFAULT_PASSWORD, user.password.scrypt), user.role).toBe(true);
  });

  it('fills unlisted roles with the defaults, enables listed ones, and hashes a plaintext password at load', async () => {
    const { users } = profileSchema.parse({ http: { accounts: { enabled: true, users: [{ role: 'user', name: 'viewer', password: 'pw' }] } } }).http.accounts;
    expect(users.map(({ role, name, enabled }) => [role, name, enabled])).toEqual([
      ['administrator', 'admin', true],
      ['operator', 'operator', false],
      ['user', 'viewer', true],
    ]);
    expect(JSON.stringify(users)).not.toContain('"pw"');
    expect(await verifyPassword('pw', users[2]!.password.scrypt)).toBe(true);
  });

  it('keeps a stored hash as it is', () => {
    const scrypt = hashPasswordSync('Keep1!');
    const { users } = profileSchema.parse({ http: { accounts: { users: [{ role: 'operator', password: { scrypt } }] } } }).http.accounts;
    expect(users[1]!.password).toEqual({ scrypt });
  });

  it('reports every problem with its path', () => {
    expect(
      paths({
        http: {
          accounts: {
            users: [
              { role: 'operator', name: 'admin' },
              { role: 'operator' },
              { role: 'administrator', enabled: false, name: 'two words' },
            ],
          },
        },
      }),
    ).toEqual(['http.accounts.users.2.name: 1..30 characters, no spaces (M-38 page-34)']);
    expect(paths({ http: { accounts: { users: [{ role: 'operator', name: 'admin' }, { role: 'user' }, { role: 'administrator', enabled: false }] } } })).toEqual([
      'http.accounts.users.2.enabled: the administrator account cannot be disabled',
      "http.accounts.users.0.name: name admin is already the administrator's",
    ]);
    expect(paths({ http: { accounts: { users: [{ role: 'operator' }, { role: 'operator' }] } } })).toEqual([
      'http.accounts.users.1.role: the operator is listed twice; the device has one account per role',
    ]);
    expect(paths({ http: { accounts: { users: [{ role: 'user', password: { scrypt: 'plain' } }, { role: 'guest' }] } } })).toEqual([
      'http.accounts.users.0.password.scrypt: expected scrypt$N=<2^k>,r=<1..32>,p=<1..16>$<salt base64>$<hash base64>',
      'http.accounts.users.1.role: Invalid option: expected one of "administrator"|"operator"|"user"',
    ]);
  });
});

describe('profile: http.https', () => {
  it('defaults to off with a self-signed certificate, and wants cert and key together', () => {
    expect(profileSchema.parse({}).http.https).toEqual({ enabled: false, cert: null, key: null });
    expect(paths({ http: { https: { enabled: true, cert: 'device.crt' } } })).toEqual(['http.https.key: give both cert and key, or neither for a self-signed certificate']);
  });
});

describe('login state', () => {
  const account = { role: 'operator' as const, name: 'op', password: { scrypt: 'h' }, enabled: true };

  it('sessions last 8 hours on the clock given', () => {
    let now = 0;
    const store = new SessionStore(() => now);
    const token = store.create(account);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    now = SESSION_TTL_MS - 1;
    expect(store.get(token)).toMatchObject({ role: 'operator', name: 'op', hash: 'h' });
    now = SESSION_TTL_MS;
    expect(store.get(token)).toBeUndefined();
    const other = store.create(account);
    expect(store.delete(other)).toBe(true);
    expect(store.get(other)).toBeUndefined();
  });

  it('#14.13: the throttle counts attempts in flight, per address and per name, and a window ends them', () => {
    let now = 0;
    const limits = { maxFailuresPerAddress: 3, maxFailuresPerAccount: 5, windowS: 60, failureLogsPerMinute: 2, maxChecksInFlight: 32 };
    const throttle = new LoginThrottle(() => limits, () => now);
    // Three attempts in flight from one address fill it before any has failed.
    const slots = [0, 1, 2].map(() => throttle.admit('a', 'op'));
    expect(slots.every((s) => s.ok)).toBe(true);
    expect(throttle.admit('a', 'root')).toEqual({ ok: false, by: 'address', retryAfterS: 1 });
    for (const s of slots) if (s.ok) s.slot.failed();
    expect(throttle.admit('a', 'op')).toEqual({ ok: false, by: 'address', retryAfterS: 60 });
    expect(throttle.waitS('a')).toBe(60);
    // The name too: two more failures from elsewhere fill 'op' (5), not 'root'.
    for (const peer of ['b', 'c']) {
      const s = throttle.admit(peer, 'op');
      if (s.ok) s.slot.failed();
    }
    expect(throttle.admit('d', 'op')).toMatchObject({ ok: false, by: 'account' });
    const other = throttle.admit('d', 'root');
    expect(other.ok).toBe(true);
    // A success frees its slot and counts nothing; settling twice counts once.
    if (other.ok) {
      other.slot.released();
      other.slot.failed();
    }
    expect(throttle.waitS('d')).toBe(0);
    now = 30_000;
    expect(throttle.admit('a', 'x')).toEqual({ ok: false, by: 'address', retryAfterS: 30 });
    now = 60_000;
    expect(throttle.admit('a', 'x').ok).toBe(true);
  });

  it('#14.13: the failed-login log budget writes N lines a minute and tells how many it skipped', () => {
    let now = 0;
    const budget = new LogBudget(() => 2, () => now);
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([true, true, false, false]);
    now = 60_000;
    expect(budget.take()).toBe(true);
    expect(budget.suppressed()).toBe(2);
    expect(budget.suppressed()).toBe(0);
  });

  it('verified Basic credentials hold only while the account hash is unchanged', () => {
    let now = 0;
    const cache = new VerifiedCredentials(() => now);
    // The password has characters base64url never emits, so "not in the key" cannot fail by chance
    // (a random 43-character digest contains a given 2-letter pair in about 1% of runs: 42 places, 1/4096 each).
    const key = cache.key('op', 'p w!');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('p w!');
    expect(new VerifiedCredentials(() => now).key('op', 'p w!')).not.toBe(key);
    expect(cache.key('o', 'pp w!')).not.toBe(key);
    cache.add(key, 'h1');
    expect(cache.has(key, 'h1')).toBe(true);
    expect(cache.has(key, 'h2')).toBe(false);
    expect(cache.has(key, 'h1')).toBe(false);
    cache.add(key, 'h1');
    now = 10 * 60_000;
    expect(cache.has(key, 'h1')).toBe(false);
  });
});
