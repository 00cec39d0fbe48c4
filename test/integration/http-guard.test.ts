import { request, type OutgoingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Runner } from '../../src/app/runner.js';
import { profileSchema } from '../../src/config/profile.js';
import { SimClient } from '../../src/testing/client.js';
import { basic, getFrom } from '../helpers/http.js';
import { startSimApp, type SimApp } from '../helpers/sim-app.js';
import { until } from '../helpers/until.js';

let emulator: Runner | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});


async function start(additionalRestrictions: boolean): Promise<string> {
  const profile = profileSchema.parse({
    slots: [{ slot: 1, module: '45MR-1600' }],
    modbus: { accessibleIps: { enabled: true, additionalRestrictions, entries: [{ ip: '127.0.0.2' }] } },
  });
  emulator = await Runner.start({ profileFile: '(inline)', profile, store: undefined, dataDir: undefined, http: { host: '127.0.0.1', port: 0 }, https: null, modbus: null, mqtt: 'off', broker: null, snmp: null, clock: 'manual', seed: 1, logger: pino({ level: 'silent' }) });
  return emulator.addresses.http!;
}

describe('accessible-IP list on HTTP ("additional restrictions")', () => {
  it('closes connections from hosts not on the list, before any response', async () => {
    const http = await start(true);
    expect(await getFrom('127.0.0.2', http, '/sim/v1/health')).toBe(200);
    expect(await getFrom('127.0.0.1', http, '/sim/v1/health')).toBe('ECONNRESET');
  });

  it('leaves HTTP open to everyone without additional restrictions', async () => {
    const http = await start(false);
    expect(await getFrom('127.0.0.1', http, '/sim/v1/health')).toBe(200);
  });
});

describe('in-process restart', () => {
  it('keeps the self-signed HTTPS certificate when the config is replaced', async () => {
    const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }], http: { https: { enabled: true } } });
    const runner = await Runner.start({ profileFile: '(inline)', profile, store: undefined, dataDir: undefined, http: null, https: { host: '127.0.0.1', port: 0 }, modbus: null, mqtt: 'off', broker: null, snmp: null, clock: 'manual', seed: 1, logger: pino({ level: 'silent' }) });
    emulator = runner;
    const before = runner.emulatorNow.certificate?.fingerprint256;
    const address = runner.addresses.https;
    expect(before).toMatch(/^[0-9A-F:]+$/);
    const { apply } = await runner.replace(() => profileSchema.parse({ ...profile, device: { name: 'Renamed' } }));
    await apply();
    expect(runner.emulatorNow.device.identity.name).toBe('Renamed');
    expect(runner.addresses.https).toBe(address);
    expect(runner.emulatorNow.certificate?.fingerprint256).toBe(before);
  });
});

const apps: SimApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function startApp(http: object = {}): Promise<SimApp> {
  const sim = await startSimApp(profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }, { slot: 2, module: '45MR-2600' }], limits: { http } }));
  apps.push(sim);
  return sim;
}

/** One request with exactly these headers (Host and Origin included, which fetch will not send as given). */
function raw(address: string, method: string, path: string, headers: OutgoingHttpHeaders, body = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path, headers: { 'content-length': Buffer.byteLength(body), ...headers }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const OVERRIDE = { overrides: [{ slot: 2, coil: 500 }] };

describe('#14.12: cross-site request forgery and DNS rebinding', () => {
  it('#14.12: an empty-body form POST from another origin cannot reset the device or reload default addresses', async () => {
    const sim = await startApp();
    const address = sim.listener.address;
    const put = await fetch(`${sim.base}/modbus/base-addresses`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OVERRIDE) });
    expect(put.status).toBe(200);
    const forms: OutgoingHttpHeaders[] = [
      // What chromium sends for <form method=post action=http://127.0.0.1:PORT/...> on evil.example.
      { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
      { 'content-type': 'text/plain', origin: 'http://evil.example' },
      // fetch(url, {method: 'POST', mode: 'no-cors'}) with no body: no Content-Type at all.
      { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of forms) {
      for (const path of ['/sim/v1/reset', '/sim/v1/modbus/base-addresses/reload-defaults']) {
        const reply = await raw(address, 'POST', path, headers);
        expect(reply.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(reply.body).toMatchObject({ statusCode: 403, code: 'HTTP_CROSS_SITE' });
      }
    }
    // Also a DELETE, and a form post that carries a body.
    expect((await raw(address, 'DELETE', '/sim/v1/faults', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await raw(address, 'POST', '/sim/v1/reset', { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' }, 'a=1')).status).toBe(403);
    expect(sim.config.applied).toBe(0);
    expect(sim.modbus.baseAddresses().overrides).toEqual(OVERRIDE.overrides);
    expect(sim.device.refusals.get('http_cross_site')).toBe(8);
  });

  it('#14.12: a Host the emulator does not serve (DNS rebinding) is refused, reads included', async () => {
    const sim = await startApp();
    const address = sim.listener.address;
    for (const host of ['evil.example', `evil.example:${address.split(':')[1]}`, 'rebind.127.0.0.1.nip.io']) {
      const read = await raw(address, 'GET', '/sim/v1/device', { host });
      expect(read.status, host).toBe(421);
      expect(read.body).toMatchObject({ code: 'HTTP_HOST_NOT_ALLOWED' });
      expect(String(read.body.message)).toContain('Host');
    }
    const change = await raw(address, 'POST', '/sim/v1/modbus/base-addresses/reload-defaults', { host: 'evil.example', 'content-type': 'application/json' });
    expect(change.status).toBe(421);
    const api = await raw(address, 'GET', '/api/sysInfo/device', { host: 'evil.example', accept: 'vdn.dac.v2', 'content-type': 'application/json' });
    expect(api.status).toBe(421);
    expect(sim.device.refusals.get('http_host')).toBe(5);
  });

  it('#14.12: IP literals, localhost, allowedHosts and same-origin browsers are served; plain clients send JSON', async () => {
    const sim = await startApp({ allowedHosts: ['iothinx.plant.example'] });
    const address = sim.listener.address;
    const port = address.split(':')[1]!;
    for (const host of [address, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, 'iothinx.plant.example', `iothinx.plant.example.:${port}`]) {
      expect((await raw(address, 'GET', '/sim/v1/health', { host })).status, host).toBe(200);
    }
    // The web UI: its own origin (Sec-Fetch-Site, or Origin alone in older browsers), with or without JSON.
    expect((await raw(address, 'POST', '/sim/v1/modbus/base-addresses/reload-defaults', { 'sec-fetch-site': 'same-origin', origin: `http://${address}` })).status).toBe(200);
    expect((await raw(address, 'POST', '/sim/v1/modbus/base-addresses/reload-defaults', { origin: `http://${address}` })).status).toBe(200);
    expect((await raw(address, 'POST', '/sim/v1/modbus/base-addresses/reload-defaults', { 'sec-fetch-site': 'none' })).status).toBe(200);
    // curl -X POST -H 'Content-Type: application/json', an empty body.
    expect((await raw(address, 'POST', '/sim/v1/modbus/base-addresses/reload-defaults', { 'content-type': 'application/json' })).status).toBe(200);
    // Without it the refusal says what to send.
    const bare = await raw(address, 'POST', '/sim/v1/modbus/base-addresses/reload-defaults', {});
    expect(bare.status).toBe(403);
    expect(String(bare.body.message)).toContain('Content-Type: application/json');
    // A non-JSON body from a plain client still learns that the body must be JSON.
    expect((await raw(address, 'POST', '/sim/v1/clock/advance', { 'content-type': 'text/plain' }, '{"ms":1}')).status).toBe(415);
    // The typed client sends JSON on every change, bodiless ones included.
    const client = new SimClient(`http://${address}`);
    await client.request('post', '/modbus/base-addresses/reload-defaults');
    await client.request('delete', '/faults');
    // The device API's PUT (JSON, as the real device demands).
    const root = `http://${address}`;
    const put = await fetch(`${root}/api/io/do/45MR-2600-0@DO-00/doStatus`, { method: 'PUT', headers: { accept: 'vdn.dac.v2', 'content-type': 'application/json' }, body: '{"value":1}' });
    expect(put.status).toBe(200);
    expect(sim.device.refusals.get('http_host')).toBe(0);
    expect(sim.device.refusals.get('http_cross_site')).toBe(1);
  });
});

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

/** A raw connection from `localAddress` that sends `text` and keeps what it gets; `closed()` once the server closed it. */
function rawFrom(address: string, localAddress: string, text: string): { received(): string; closed(): boolean; send(more: string): void } {
  const [host, port] = address.split(':');
  const socket = connect({ host, port: Number(port), localAddress });
  sockets.push(socket);
  let got = '';
  let closed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (got += chunk));
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  socket.write(text);
  return { received: () => got, closed: () => closed, send: (more) => socket.write(more) };
}

const streamRequest = (authorization?: string) => `GET /sim/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${authorization ? `Authorization: ${authorization}\r\n` : ''}\r\n`;

/** 127.0.0.1 and 127.0.0.2 on the list, guarding HTTP too; keep-alive long enough that only a list change closes an idle connection. */
function startListed(): Promise<Runner> {
  const profile = profileSchema.parse({
    slots: [{ slot: 1, module: '45MR-1600' }],
    modbus: { accessibleIps: { enabled: true, additionalRestrictions: true, entries: [{ ip: '127.0.0.1' }, { ip: '127.0.0.2' }] } },
    limits: { http: { keepAliveTimeoutMs: 600_000 } },
  });
  return Runner.start({ profileFile: '(inline)', profile, store: undefined, dataDir: undefined, http: { host: '127.0.0.1', port: 0 }, https: null, modbus: null, mqtt: 'off', broker: null, snmp: null, clock: 'manual', seed: 1, logger: pino({ level: 'silent' }) });
}

describe('#14.14: narrowing who is allowed closes what they hold open', () => {
  it('#14.14: a host removed from the accessible-IP list loses its event stream and its keep-alive connection at once', async () => {
    emulator = await startListed();
    const http = emulator.addresses.http!;
    const stream = rawFrom(http, '127.0.0.2', streamRequest());
    const keepAlive = rawFrom(http, '127.0.0.2', 'GET /sim/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const staying = rawFrom(http, '127.0.0.1', streamRequest());
    await until('the streams and the keep-alive answer', () => (stream.received().includes('iothinx-sim events') && staying.received().includes('iothinx-sim events') && keepAlive.received().includes('"ok"') ? true : undefined));

    const put = await fetch(`http://${http}/sim/v1/modbus/accessible-ips`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, additionalRestrictions: true, entries: [{ ip: '127.0.0.1' }] }),
    });
    expect(put.status).toBe(200);
    await until('the removed host\'s connections to be closed', () => (stream.closed() && keepAlive.closed() ? true : undefined));
    expect(await getFrom('127.0.0.2', http, '/sim/v1/health')).toBe('ECONNRESET');
    // The host still on the list keeps its stream, and its events.
    emulator.emulatorNow.device.channel(1, 0).applyField({ level: 1 }, 'field');
    await until('the change on the remaining stream', () => (staying.received().includes('event: change') ? true : undefined));
    expect(staying.closed()).toBe(false);
  });

  it('#14.14: a request on a connection that a removed host still holds is not served', async () => {
    emulator = await startListed();
    const http = emulator.addresses.http!;
    const held = rawFrom(http, '127.0.0.2', 'GET /sim/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until('the first answer', () => (held.received().includes('"ok"') ? true : undefined));
    // The list narrows without an HTTP request, so no re-check has closed the connection yet.
    const modbus = emulator.emulatorNow.modbus;
    modbus.apply({ baseAddresses: modbus.baseAddresses().overrides, accessibleIps: { ...modbus.accessibleIps(), entries: [{ ip: '127.0.0.1', netmask: '255.255.255.255', active: true }] } });
    const body = '{"level":1}';
    held.send(`PUT /sim/v1/slots/1/channels/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    await until('the held connection to be closed', () => (held.closed() ? true : undefined));
    expect(held.received().match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(emulator.emulatorNow.device.channel(1, 0).read('diStatus')).toBe(0);
  });

  it('#14.14: an account disabled, renamed or given a new password loses its open event streams; the others keep theirs', async () => {
    const passwords = { administrator: 'Adm1n!pass', operator: 'Op3r@tor', user: 'Us3r#pw' };
    const profile = profileSchema.parse({
      slots: [{ slot: 1, module: '45MR-1600' }],
      http: { accounts: { enabled: true, users: [{ role: 'administrator', name: 'root', password: passwords.administrator }, { role: 'operator', name: 'op', password: passwords.operator }, { role: 'user', name: 'viewer', password: passwords.user }] } },
    });
    const sim = await startSimApp(profile);
    apps.push(sim);
    const address = sim.listener.address;
    const admin = { authorization: basic('root', passwords.administrator), 'content-type': 'application/json' };
    const changes: [string, object, object][] = [
      ['disabled', { enabled: false }, { enabled: true }],
      ['renamed', { name: 'op2' }, { name: 'op' }],
      ['given a new password', { password: 'N3w!pass' }, { password: passwords.operator }],
    ];
    for (const [what, change, undo] of changes) {
      const operator = rawFrom(address, '127.0.0.1', streamRequest(basic('op', passwords.operator)));
      const viewer = rawFrom(address, '127.0.0.1', streamRequest(basic('viewer', passwords.user)));
      await until('both streams to open', () => (operator.received().includes('iothinx-sim events') && viewer.received().includes('iothinx-sim events') ? true : undefined));
      const res = await fetch(`${sim.base}/accounts/operator`, { method: 'PUT', headers: admin, body: JSON.stringify(change) });
      expect(res.status, what).toBe(200);
      await until(`the operator's stream to end once the account is ${what}`, () => (operator.closed() ? true : undefined));
      expect(viewer.closed(), what).toBe(false);
      expect((await fetch(`${sim.base}/accounts/operator`, { method: 'PUT', headers: admin, body: JSON.stringify(undo) })).status).toBe(200);
    }
  });
});
