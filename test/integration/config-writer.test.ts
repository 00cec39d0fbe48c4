/**
 * Issue #14, data safety: one config writer. Each test does what the attack did, against the
 * built CLI with a data dir, over real sockets.
 */
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, startCli, tempDir } from '../helpers/process.js';
import { until } from '../helpers/until.js';

afterEach(cleanupProcesses);

const ARGS = ['--http', '127.0.0.1:0', '--modbus', 'off', '--mqtt', 'off', '--quiet', '--clock', 'manual'];
const CONFIG = 'running-config.yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature; the tests read the fields they check.
type Json = any;

interface Reply {
  status: number;
  body: Json;
  /** host:port of our end, as the emulator journals it. */
  local: string;
}

/** One request from a chosen local address; a socket error rejects. */
function send(address: string, method: string, path: string, body?: unknown, { localAddress = '127.0.0.1', type = 'application/json' } = {}): Promise<Reply> {
  const [host, port] = address.split(':');
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    let local = '';
    const req = request({ host, port: Number(port), path: `/sim/v1${path}`, method, localAddress, headers: { 'content-type': type, 'content-length': Buffer.byteLength(data ?? '') } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, local }));
    });
    req.on('socket', (socket) => socket.once('connect', () => (local = `${socket.localAddress}:${socket.localPort}`)));
    req.on('error', reject);
    req.end(data);
  });
}

async function saved(data: string): Promise<Json> {
  return parse(await readFile(join(data, CONFIG), 'utf8')) as Json;
}

async function deviceName(http: string): Promise<string | undefined> {
  try {
    return (await send(http, 'GET', '/device')).body?.name as string | undefined;
  } catch {
    return undefined; // between stop and start
  }
}

/** The CLI (ARGS) with a data dir, in a fresh temp dir. */
async function startWithData() {
  const dir = await tempDir();
  const data = join(dir, 'data');
  const started = await startCli([...ARGS, '--data-dir', data], dir);
  return { ...started, data, http: started.ready.http! };
}

const ipList = (n: number) => ({ enabled: false, additionalRestrictions: false, entries: [{ ip: `10.${(n >> 8) & 255}.${n & 255}.0`, netmask: '255.255.255.0', active: true }] });

describe('#14 config writer', () => {
  it('#14.1: PUT /sim/v1/config with an empty body or {} is 400 naming what is missing, and changes nothing', async () => {
    const { data, http } = await startWithData();
    const before = (await send(http, 'GET', '/device')).body.slots.length;
    const empty = await send(http, 'PUT', '/config');
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/the body is empty|missing device/);
    const braces = await send(http, 'PUT', '/config', {});
    expect(braces.status).toBe(400);
    expect(braces.body.path).toBe('device');
    expect(braces.body.message).toContain('missing device, slots, internalRegisters, modbus, http, mqtt, serial, snmp, wiring, limits');
    // A document without one section names that one.
    const { slots: _slots, ...noSlots } = (await send(http, 'GET', '/config')).body;
    const partial = await send(http, 'PUT', '/config', noSlots);
    expect(partial.status).toBe(400);
    expect(partial.body).toMatchObject({ path: 'slots', message: expect.stringContaining('missing slots:') });
    expect(await readdir(data)).not.toContain(CONFIG);
    expect((await send(http, 'GET', '/device')).body.slots).toHaveLength(before);
  });

  it('#14.1: PATCH /sim/v1/config merges one setting (RFC 7396) onto the current config and keeps the rest', async () => {
    const { data, http } = await startWithData();
    const slots = (await send(http, 'GET', '/config')).body.slots.length;
    expect((await send(http, 'PUT', '/modbus/accessible-ips', ipList(7))).status).toBe(200);
    const reply = await send(http, 'PATCH', '/config', { device: { name: 'Line4' }, modbus: { maxConnections: 4 } }, { type: 'application/merge-patch+json' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ applied: true, persisted: true, restart: true, config: { device: { name: 'Line4', serialNumber: 'TAGCB1100001' } } });
    await until('the restart', async () => ((await deviceName(http)) === 'Line4' ? true : undefined));
    const config = (await send(http, 'GET', '/config')).body;
    expect(config.slots).toHaveLength(slots);
    expect(config.modbus).toMatchObject({ maxConnections: 4, accessibleIps: ipList(7) });
    expect((await saved(data)).device.name).toBe('Line4');
    // null removes a member: its default applies. A bad value names the field of the merged document.
    expect((await send(http, 'PATCH', '/config', { device: { name: 'Line5' }, modbus: { maxConnections: null } })).body.config.modbus.maxConnections).toBe(16);
    await until('the restart', async () => ((await deviceName(http)) === 'Line5' ? true : undefined));
    const bad = await send(http, 'PATCH', '/config', { modbus: { maxConnections: 0 } });
    expect(bad).toMatchObject({ status: 400, body: { code: 'HTTP_BAD_REQUEST', path: 'modbus.maxConnections' } });
    const deep = await send(http, 'PATCH', '/config', JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`));
    expect(deep.status).toBe(400);
  });

  it('#14.2: a runtime edit landing during the in-process restart never writes the old config over an acknowledged PUT', async () => {
    const { data, http, child, exited } = await startWithData();
    for (let round = 1; round <= 3; round++) {
      const config = (await send(http, 'GET', '/config')).body;
      config.device.name = `Round${round}`;
      // IP-list edits from the PUT's answer until the new emulator answers: some land in the restart.
      let restarted = false;
      let n = round * 1000;
      const edits = (async () => {
        while (!restarted) await send(http, 'PUT', '/modbus/accessible-ips', ipList(++n)).catch(() => undefined);
      })();
      const put = await send(http, 'PUT', '/config', config);
      expect(put.body).toMatchObject({ applied: true, persisted: true });
      await until('the restart', async () => ((await deviceName(http)) === `Round${round}` ? true : undefined));
      restarted = true;
      await edits;
      // Every write has been answered: the data dir holds the acknowledged PUT.
      expect((await saved(data)).device.name).toBe(`Round${round}`);
    }
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
    expect((await saved(data)).device.name).toBe('Round3');
  });

  it('#14.3: a runtime edit is answered once it is on disk; a write that fails is 500 CONFIG_WRITE_FAILED, counted, and changes nothing', async () => {
    const { data, http } = await startWithData();
    for (let n = 1; n <= 20; n++) {
      expect((await send(http, 'PUT', '/modbus/accessible-ips', ipList(n))).status).toBe(200);
      // No waiting: the 200 means it is there.
      expect((await saved(data)).modbus.accessibleIps).toEqual(ipList(n));
    }
    // The data dir cannot take the file any more (a directory in its place: fails for root too).
    await rm(join(data, CONFIG));
    await mkdir(join(data, CONFIG, 'blocked'), { recursive: true });
    const refused = await send(http, 'PUT', '/modbus/accessible-ips', ipList(99));
    expect(refused.status).toBe(500);
    expect(refused.body.code).toBe('CONFIG_WRITE_FAILED');
    expect((await send(http, 'GET', '/modbus/accessible-ips')).body).toEqual(ipList(20));
    expect((await send(http, 'GET', '/config')).body.modbus.accessibleIps).toEqual(ipList(20));
    const base = await send(http, 'PUT', '/modbus/base-addresses', { overrides: [{ slot: 1, input: 20000 }] });
    expect(base.status).toBe(500);
    expect((await send(http, 'GET', '/modbus/base-addresses')).body.overrides).toEqual([]);
    const account = await send(http, 'PUT', '/accounts/operator', { enabled: true });
    expect(account.status).toBe(500);
    expect((await send(http, 'GET', '/accounts')).body.users).toContainEqual({ role: 'operator', name: 'operator', enabled: false });
    const metrics = await (await fetch(`http://${http}/metrics`)).text();
    expect(metrics).toMatch(/iothinx_limit_refusals_total\{limit="config_write_failed"\} 3/);
    // The disk takes writes again: so does the emulator.
    await rm(join(data, CONFIG), { recursive: true });
    expect((await send(http, 'PUT', '/modbus/accessible-ips', ipList(100))).status).toBe(200);
    expect((await saved(data)).modbus.accessibleIps).toEqual(ipList(100));
  });

  it('#14.4: a flood of IP-list edits queues no writes beyond the one in flight; PUT /config and SIGTERM are not held up', async () => {
    const { data, http, child, exited } = await startWithData();
    expect((await send(http, 'PUT', '/modbus/accessible-ips', ipList(0))).status).toBe(200);
    let next = 0;
    const worker = async () => {
      while (next < 1000) await send(http, 'PUT', '/modbus/accessible-ips', ipList(++next));
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    // Every edit is answered; the writes that come after that are the queue the flood left behind.
    let writes = 0;
    const watcher = watch(data, (_event, name) => {
      if (name === CONFIG) writes++;
    });
    try {
      const config = (await send(http, 'GET', '/config')).body;
      config.device.name = 'AfterFlood';
      expect((await send(http, 'PUT', '/config', config)).status).toBe(200);
      expect((await saved(data)).device.name).toBe('AfterFlood');
    } finally {
      watcher.close();
    }
    // The PUT's own write (a rename and a change event at most), no backlog of flood writes.
    expect(writes).toBeLessThanOrEqual(2);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('#14.5: a config whose HTTPS certificate does not exist is 400 naming the field, nothing is written, and the data dir still starts', async () => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    // MQTT from the profile (the default's embedded broker), so its TLS files would be read too.
    const args = ['--http', '127.0.0.1:0', '--modbus', 'off', '--mqtt', 'profile', '--broker', '127.0.0.1:0', '--quiet', '--clock', 'manual', '--https', '127.0.0.1:0', '--data-dir', data];
    const first = await startCli(args, dir);
    const http = first.ready.http!;
    const config = (await send(http, 'GET', '/config')).body;
    config.http.https = { ...config.http.https, enabled: true, cert: 'missing.crt', key: 'missing.key' };
    const reply = await send(http, 'PUT', '/config', config);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ code: 'PROFILE_INVALID', path: 'http.https.cert', message: expect.stringContaining('missing.crt') });
    const patch = await send(http, 'PATCH', '/config', { mqtt: { enabled: true, url: 'mqtts://127.0.0.1:8883', tls: { ca: 'nowhere/ca.crt' } } });
    expect(patch.status).toBe(400);
    expect(patch.body.path).toBe('mqtt.tls.ca');
    expect(await readdir(data)).not.toContain(CONFIG);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    // A fresh dir for the ready file: the first run's is still there.
    const second = await startCli(args);
    expect(await deviceName(second.ready.http!)).toBe('ioThinx_4510');
  });

  it('#14.5: a config that passes the checks but does not start goes back to the previous one, in memory and on disk', async () => {
    const dir = await tempDir();
    const data = join(dir, 'data');
    // A port the embedded broker will want, taken.
    const squatter = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => squatter.once('listening', resolve));
    const busy = (squatter.address() as AddressInfo).port;
    try {
      const profile = join(dir, 'profile.yaml');
      await writeFile(profile, stringify({ slots: [{ slot: 1, module: '45MR-1600' }], mqtt: { enabled: false, url: 'embedded' }, snmp: { enabled: false } }));
      const args = ['--profile', profile, '--http', '127.0.0.1:0', '--modbus', 'off', '--mqtt', 'profile', '--broker', `127.0.0.1:${busy}`, '--quiet', '--clock', 'manual', '--data-dir', data];
      const first = await startCli(args, dir);
      const http = first.ready.http!;
      const config = (await send(http, 'GET', '/config')).body;
      config.device.name = 'Before';
      expect((await send(http, 'PUT', '/config', config)).status).toBe(200);
      await until('the restart', async () => ((await deviceName(http)) === 'Before' ? true : undefined));
      config.device.name = 'NoStart';
      config.mqtt.enabled = true;
      const reply = await send(http, 'PUT', '/config', config);
      expect(reply.body).toMatchObject({ applied: true, persisted: true });
      // The restart fails on the broker's port; the previous config runs again and is written back.
      await until('the previous config back on disk', async () => ((await saved(data)).device.name === 'Before' ? true : undefined));
      await until('the previous config running', async () => ((await deviceName(http)) === 'Before' ? true : undefined));
      expect((await send(http, 'GET', '/config')).body.mqtt.enabled).toBe(false);
      first.child.kill('SIGTERM');
      expect((await first.exited).code).toBe(0);
      const second = await startCli(args);
      expect(await deviceName(second.ready.http!)).toBe('Before');
    } finally {
      squatter.close();
    }
  });

  it('#14.18: after PUT /sim/v1/config or POST /sim/v1/reset, signal changes are journaled without the peer of the client that caused the restart', async () => {
    const dir = await tempDir();
    // A real clock: the default profile's 1 Hz square wave on DI-02 runs on its own timers.
    const { ready } = await startCli(['--http', '127.0.0.1:0', '--modbus', 'off', '--mqtt', 'off', '--quiet', '--clock', 'real'], dir);
    const http = ready.http!;
    const signalChanges = async () => (await send(http, 'GET', '/journal?kind=change&source=signal')).body.entries as { peer: string | null }[];
    for (const restart of ['PUT /config', 'POST /reset']) {
      const config = (await send(http, 'GET', '/config')).body;
      config.device.name = 'Journal1';
      const reply = restart === 'PUT /config' ? await send(http, 'PUT', '/config', config, { localAddress: '127.0.0.2' }) : await send(http, 'POST', '/reset', undefined, { localAddress: '127.0.0.2' });
      expect(reply.status).toBe(200);
      const name = restart === 'PUT /config' ? 'Journal1' : 'ioThinx_4510';
      await until('the restart', async () => ((await deviceName(http)) === name ? true : undefined));
      // The new emulator's journal: two square-wave edges at least.
      const entries = await until('signal changes', async () => {
        const list = await signalChanges().catch(() => []);
        return list.length >= 2 ? list : undefined;
      });
      expect(entries.map((e) => e.peer)).toEqual(entries.map(() => null));
      expect((await send(http, 'GET', `/journal?kind=change&peer=${encodeURIComponent(reply.local)}`)).body.entries).toEqual([]);
    }
  });
});
