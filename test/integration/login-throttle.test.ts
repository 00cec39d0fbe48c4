/**
 * The login throttle over real HTTP (issue #14 point 13): an attempt is counted before its
 * password is hashed, per address and per account name; a throttled address is refused even with
 * the right password; failed logins are logged at a bounded rate. Requests from other addresses
 * leave from 127.0.0.x (the whole of 127/8 is loopback on Linux).
 */
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema, type Profile } from '../../src/config/profile.js';
import { basic as basicAuth } from '../helpers/http.js';
import { startSimApp, type SimApp } from '../helpers/sim-app.js';

const PASSWORD = 'Op3r@tor';

const base = profileSchema.parse({
  device: { name: 'login-test' },
  slots: [{ slot: 1, module: '45MR-1600' }],
  http: {
    accounts: {
      enabled: true,
      users: [
        { role: 'administrator', name: 'root', password: 'Adm1n!pass' },
        { role: 'operator', name: 'op', password: PASSWORD },
        { role: 'user', name: 'viewer', password: 'Us3r#pw' },
      ],
    },
  },
});

const open: SimApp[] = [];
afterEach(async () => {
  for (const sim of open.splice(0)) await sim.close();
});

interface Reply {
  status: number;
  retryAfter: string | undefined;
}

async function start(change: (profile: Profile) => void = () => {}) {
  const profile = structuredClone(base);
  // 200 concurrent connections from one address, whatever the per-host cap defaults to.
  profile.limits.http.maxConnectionsPerHost = 1024;
  profile.limits.http.maxConnections = 2048;
  change(profile);
  const lines: { msg: string; suppressed?: number }[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as { msg: string });
        callback();
      },
    }),
  );
  const sim = await startSimApp(profile, { logger });
  open.push(sim);
  const [host, port] = [sim.listener.address.slice(0, sim.listener.address.lastIndexOf(':')), Number(sim.listener.address.slice(sim.listener.address.lastIndexOf(':') + 1))];
  /** One request from `from` (a loopback address), on a connection of its own. */
  const send = (method: string, path: string, headers: Record<string, string | number>, body: string | undefined, from: string) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request({ host, port, localAddress: from, agent: false, method, path: `/sim/v1${path}`, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  const login = (name: string, password: string, from = '127.0.0.1') => {
    const body = JSON.stringify({ name, password });
    return send('POST', '/login', { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, body, from);
  };
  const basic = (name: string, password: string, from = '127.0.0.1') => send('GET', '/device', { authorization: basicAuth(name, password) }, undefined, from);
  const failedLines = () => lines.filter((l) => l.msg === 'login failed');
  return { sim, login, basic, failedLines, refusals: sim.device.refusals };
}

const count = (replies: Reply[], status: number) => replies.filter((r) => r.status === status).length;

describe('login throttle (#14 point 13)', () => {
  it('#14.13: of 200 concurrent wrong passwords from one address only maxFailuresPerAddress are checked; the right password inside the burst is 429 too', async () => {
    const h = await start((p) => (p.limits.login.failureLogsPerMinute = 3));
    let firstRefusal!: () => void;
    const refused = new Promise<void>((resolve) => (firstRefusal = resolve));
    const burst = Array.from({ length: 200 }, (_, i) =>
      h.login('op', `Wrong#${i}`).then((reply) => {
        if (reply.status === 429) firstRefusal();
        return reply;
      }),
    );
    // The first 429 means every slot is taken: a correct password now is inside the burst.
    await refused;
    const correct = await h.login('op', PASSWORD);
    const replies = await Promise.all(burst);

    expect(count(replies, 401)).toBe(10); // maxFailuresPerAddress: the only ones that cost a scrypt
    expect(count(replies, 429)).toBe(190);
    expect(correct.status).toBe(429);
    expect(Number(correct.retryAfter)).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 429).every((r) => Number(r.retryAfter) > 0)).toBe(true);
    expect(h.refusals.get('login_throttle')).toBe(191);

    // Another address is not throttled by this one (the name has 10 of its 20 failures).
    expect((await h.login('op', PASSWORD, '127.0.0.2')).status).toBe(200);

    // failureLogsPerMinute = 3: three lines, the other seven failures counted, not logged.
    expect(h.failedLines()).toHaveLength(3);
    expect(h.refusals.get('login_log')).toBe(7);
  });

  it('#14.13: parallel Basic requests with one right password share one check, and are not throttled', async () => {
    const h = await start();
    const replies = await Promise.all(Array.from({ length: 30 }, () => h.basic('op', PASSWORD)));
    expect(count(replies, 200)).toBe(30);
    // The same wrong password 30 times at once is one guess: one check, one failure.
    const wrong = await Promise.all(Array.from({ length: 30 }, () => h.basic('op', 'Wrong#1', '127.0.0.7')));
    expect(count(wrong, 401)).toBe(30);
    expect(h.failedLines()).toHaveLength(1);
    expect(h.refusals.get('login_throttle')).toBe(0);
  });

  it('#14.13: logins from many addresses, each within its own budget, wait for at most maxChecksInFlight password checks', async () => {
    const h = await start((p) => (p.limits.login.maxChecksInFlight = 4));
    // 40 addresses, one wrong guess each, for 40 different names: no address or name is over its budget.
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => h.login(`name${i}`, 'Wrong#1', `127.0.2.${i + 1}`)));
    expect(count(replies, 401) + count(replies, 429)).toBe(40);
    expect(count(replies, 429)).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 429).every((r) => r.retryAfter === '1')).toBe(true);
    expect(h.refusals.get('login_throttle')).toBe(count(replies, 429));
    // Once the checks are done, logins are checked again.
    expect((await h.login('op', PASSWORD, '127.0.2.200')).status).toBe(200);
  });

  it('#14.13: an account name is throttled across addresses; another name still logs in', async () => {
    const h = await start((p) => (p.limits.login.maxFailuresPerAccount = 4));
    const replies = await Promise.all(['127.0.0.3', '127.0.0.4', '127.0.0.5'].flatMap((from) => [h.login('root', `Wrong#1${from}`, from), h.login('root', `Wrong#2${from}`, from)]));
    expect(count(replies, 401)).toBe(4);
    expect(count(replies, 429)).toBe(2);
    const right = await h.login('root', 'Adm1n!pass', '127.0.0.6');
    expect(right.status).toBe(429);
    expect(Number(right.retryAfter)).toBeGreaterThan(0);
    expect((await h.login('op', PASSWORD, '127.0.0.6')).status).toBe(200);
    expect(h.refusals.get('login_throttle')).toBe(3);
  });
});
