/**
 * The embedded broker's bounds (#14 point 11, limits.broker, docs/security.md): the packet size
 * (raw sockets announcing 200 MB PUBLISH packets, as the attack did, and mqtt.js clients), the
 * number of clients, the accessible-IP list and the profile's credentials (the built CLI, with
 * peers on 127.0.0.1 and 127.0.0.2). Every refusal is counted; the other clients keep working.
 */
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connectAsync, MqttClient, type IClientOptions } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { Refusals } from '../../src/device/refusals.js';
import { startBroker, stopMqtt, subscriber } from '../helpers/mqtt-harness.js';
import { cleanupProcesses, startCli, tempDir } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const raws = new Set<Socket>();
const clients = new Set<MqttClient>();
afterEach(async () => {
  for (const socket of raws) socket.destroy();
  raws.clear();
  for (const client of clients) await client.endAsync(true);
  clients.clear();
  await stopMqtt();
  await cleanupProcesses();
});

const MiB = 1024 * 1024;

/** MQTT 3.1.1 §2.2.3: the Remaining Length, 7 bits a byte, least significant first. */
function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** A CONNECT (§3.1) for MQTT 3.1.1, clean session, keep-alive 60 s, no credentials. */
function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4]), Buffer.from('MQTT'), Buffer.from([4, 0x02, 0, 60, id.length >> 8, id.length & 0xff]), id]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** The fixed and variable header of a QoS 0 PUBLISH (§3.3) whose payload is `payloadBytes` long. */
function publishHeader(topic: string, payloadBytes: number): Buffer {
  const name = Buffer.from(topic);
  return Buffer.concat([Buffer.from([0x30]), remainingLength(2 + name.length + payloadBytes), Buffer.from([name.length >> 8, name.length & 0xff]), name]);
}

interface Raw {
  socket: Socket;
  received: () => Buffer;
  closed: Promise<void>;
}

async function raw(port: number, localAddress?: string): Promise<Raw> {
  const socket = tcpConnect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  raws.add(socket);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  // Not once(): it rejects on the 'error' (a reset) that comes before 'close'.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks), closed };
}

/**
 * Connects, then announces a 200 MB PUBLISH and streams its payload until the broker closes the
 * connection or `cap` bytes are written; resolves how many were written.
 */
async function hugePublish(port: number, id: string, cap: number): Promise<{ written: number; closed: boolean }> {
  const r = await raw(port);
  r.socket.write(connectPacket(id));
  await until('a CONNACK', () => (r.received().length >= 4 ? true : undefined), 5000);
  expect([...r.received().subarray(0, 4)]).toEqual([0x20, 2, 0, 0]);
  let closed = false;
  void r.closed.then(() => (closed = true));
  let written = 0;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const header = publishHeader('attack/big', 200 * 1000 * 1000);
  r.socket.write(header);
  written += header.length;
  while (!closed && !r.socket.destroyed && written < cap) {
    const ok = r.socket.write(chunk);
    written += chunk.length;
    // A reset while waiting rejects once(); the loop then sees the socket closed.
    if (!ok) await Promise.race([once(r.socket, 'drain').catch(() => undefined), r.closed]);
  }
  if (!closed) await Promise.race([r.closed, new Promise((resolve) => setImmediate(resolve))]);
  return { written, closed: closed || r.socket.destroyed };
}

/** An mqtt.js client from a chosen local address (mqtt.js has no such option: a stream builder does it). */
async function clientFrom(localAddress: string, port: number, options: IClientOptions = {}): Promise<{ client: MqttClient; connack: Promise<{ returnCode?: number; closed?: boolean }> }> {
  const client = new MqttClient(() => tcpConnect({ port, host: '127.0.0.1', localAddress }), { reconnectPeriod: 0, protocolVersion: 4, clientId: `u${Math.random().toString(16).slice(2, 10)}`, ...options });
  clients.add(client);
  const connack = new Promise<{ returnCode?: number; closed?: boolean }>((resolve) => {
    client.once('connect', (packet) => resolve({ returnCode: packet.returnCode ?? 0 }));
    client.once('error', (error: Error & { code?: unknown }) => resolve({ returnCode: typeof error.code === 'number' ? error.code : -1 }));
    client.once('close', () => resolve({ closed: true }));
  });
  return { client, connack };
}

describe('#14.11: packet size (limits.broker.maxPacketBytes)', () => {
  it('#14.11: two clients announcing 200 MB PUBLISH packets are cut off at once; memory stays bounded; a subscriber keeps working', async () => {
    const refusals = new Refusals();
    const broker = await startBroker({ refusals });
    const sub = await subscriber(broker.port, ['news/#']);
    const rss = process.memoryUsage().rss;
    // Without the bound aedes buffers every byte: 2 x 64 MiB here (the attack sent 2 x 200 MB).
    const [a, b] = await Promise.all([hugePublish(broker.port, 'attacker-a', 64 * MiB), hugePublish(broker.port, 'attacker-b', 64 * MiB)]);
    expect(a.closed && b.closed).toBe(true);
    expect(a.written).toBeLessThan(32 * MiB);
    expect(b.written).toBeLessThan(32 * MiB);
    expect(process.memoryUsage().rss - rss).toBeLessThan(48 * MiB);
    expect(refusals.get('broker_packet_size')).toBe(2);
    const other = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    clients.add(other);
    await other.publishAsync('news/after', 'still here', { qos: 1 });
    expect((await sub.waitFor((m) => m.topic === 'news/after'))[0]!.text).toBe('still here');
  });

  it('#14.11: a PUBLISH under the limit arrives whole; one over it closes only its own client', async () => {
    const refusals = new Refusals();
    const broker = await startBroker({ refusals, limits: { maxPacketBytes: 256 * 1024, maxClients: 16, maxRetained: 100 } });
    const sub = await subscriber(broker.port, ['big/#']);
    const pub = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    clients.add(pub);
    const fits = Buffer.alloc(250 * 1024, 0x62);
    await pub.publishAsync('big/fits', fits, { qos: 1 });
    const [got] = await sub.waitFor((m) => m.topic === 'big/fits');
    expect(got!.text).toBe(fits.toString());
    // The broker closes with the rest of the packet unread: the client sees a reset.
    pub.on('error', () => {});
    const closed = new Promise<void>((resolve) => pub.once('close', () => resolve()));
    pub.publish('big/over', Buffer.alloc(300 * 1024), { qos: 0 });
    await closed;
    expect(refusals.get('broker_packet_size')).toBe(1);
    // The subscriber did not notice.
    const again = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    clients.add(again);
    await again.publishAsync('big/small', 'ok', { qos: 1 });
    await sub.waitFor((m) => m.topic === 'big/small');
    expect(sub.on('big/over')).toHaveLength(0);
  });
});

describe('retained topics (limits.broker.maxRetained)', () => {
  it('past maxRetained a retained message on a new topic is delivered but not kept, counted; kept topics still change and clear', async () => {
    const refusals = new Refusals();
    const broker = await startBroker({ refusals, limits: { maxPacketBytes: 1024 * 1024, maxClients: 16, maxRetained: 3 } });
    const pub = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    clients.add(pub);
    const live = await subscriber(broker.port, ['r/#']);
    for (const t of ['r/1', 'r/2', 'r/3', 'r/4', 'r/5']) await pub.publishAsync(t, `v-${t}`, { qos: 1, retain: true });
    // Every one reached the subscriber that was there.
    await live.waitFor((m) => m.topic === 'r/5');
    expect(refusals.get('broker_retained')).toBe(2);
    // A replacement of a kept topic is kept; a clear frees a place for a new topic.
    await pub.publishAsync('r/1', 'v-r/1 again', { qos: 1, retain: true });
    await pub.publishAsync('r/2', '', { qos: 1, retain: true });
    await pub.publishAsync('r/6', 'v-r/6', { qos: 1, retain: true });
    expect(refusals.get('broker_retained')).toBe(2);
    const late = await subscriber(broker.port, ['r/#']);
    const kept = await late.waitFor((m) => m.retain, 3, 'three retained messages');
    expect(kept.map((m) => `${m.topic}=${m.text}`).sort()).toEqual(['r/1=v-r/1 again', 'r/3=v-r/3', 'r/6=v-r/6']);
  });
});

describe('#14.11: clients (limits.broker.maxClients)', () => {
  it('#14.11: past maxClients a connection is closed before a byte is answered, counted, and a freed place is taken again', async () => {
    const refusals = new Refusals();
    const broker = await startBroker({ refusals, limits: { maxPacketBytes: 1024 * 1024, maxClients: 2, maxRetained: 100 } });
    const first = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    clients.add(first);
    const second = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    clients.add(second);
    const third = await raw(broker.port);
    third.socket.write(connectPacket('third'));
    await third.closed;
    expect(third.received().length).toBe(0);
    expect(refusals.get('broker_clients')).toBe(1);
    await first.endAsync();
    await until('the broker to see the first client gone', () => (broker.clients === 1 ? true : undefined), 5000);
    const fourth = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 });
    clients.add(fourth);
    expect(fourth.connected).toBe(true);
    expect(refusals.get('broker_clients')).toBe(1);
  });
});

/** GET from a chosen local address; resolves status and body text. */
function getFrom(localAddress: string, address: string, path: string): Promise<{ status: number; body: string }> {
  const at = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = request({ host: address.slice(0, at), port: Number(address.slice(at + 1)), path, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('#14.11: who may connect (the accessible-IP list and the profile credentials)', () => {
  it('#14.11: the CLI broker refuses a host off the list and a wrong password, counts both, and its own client still connects', async () => {
    const profile = parse(await readFile(new URL('../../profiles/default.yaml', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
    // Only 127.0.0.2 is on the list, with "additional restrictions" (HTTP, SNMP and the broker).
    profile.modbus!.accessibleIps = { enabled: true, additionalRestrictions: true, entries: [{ ip: '127.0.0.2', netmask: '255.255.255.255', active: true }] };
    Object.assign(profile.mqtt!, { username: 'device', password: 'secret-1' });
    const file = join(await tempDir(), 'profile.yaml');
    await writeFile(file, stringify(profile));
    const started = await startCli(['--profile', file, '--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'embedded', '--broker', '127.0.0.1:0', '--clock', 'manual', '--quiet']);
    const broker = started.ready.broker!;
    const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
    // The device's own client connects from 127.0.0.1, off the list: it is exempt.
    const status = JSON.parse((await getFrom('127.0.0.2', started.ready.http!, '/sim/v1/mqtt')).body) as { connected: boolean };
    expect(status.connected).toBe(true);

    // A user on 127.0.0.1 with the right credentials: closed unanswered.
    const offList = await raw(port, '127.0.0.1');
    offList.socket.write(connectPacket('off-list'));
    await offList.closed;
    expect(offList.received().length).toBe(0);
    // On the list without a password: CONNACK 4.
    const anonymous = await clientFrom('127.0.0.2', port);
    expect(await anonymous.connack).toEqual({ returnCode: 4 });
    // On the list with the profile's credentials: in, and it sees the device's messages.
    const user = await clientFrom('127.0.0.2', port, { username: 'device', password: 'secret-1' });
    expect(await user.connack).toEqual({ returnCode: 0 });
    const online = new Promise<string>((resolve) => user.client.on('message', (topic, payload) => topic === 'ioThinx_4510/status' && resolve(payload.toString())));
    await user.client.subscribeAsync('ioThinx_4510/status');
    expect(JSON.parse(await online)).toMatchObject({ value: 'online' });

    const metrics = (await getFrom('127.0.0.2', started.ready.http!, '/metrics')).body;
    expect(metrics).toMatch(/^iothinx_limit_refusals_total\{limit="broker_auth"\} 2$/m);
  });
  it('#14.11: narrowing the accessible-IP list closes the broker connections of hosts it no longer allows; its own client stays', async () => {
    const profile = parse(await readFile(new URL('../../profiles/default.yaml', import.meta.url), 'utf8')) as Record<string, Record<string, unknown>>;
    const wide = { enabled: true, additionalRestrictions: true, entries: [{ ip: '127.0.0.0', netmask: '255.0.0.0', active: true }] };
    profile.modbus!.accessibleIps = wide;
    const file = join(await tempDir(), 'profile.yaml');
    await writeFile(file, stringify(profile));
    const started = await startCli(['--profile', file, '--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'embedded', '--broker', '127.0.0.1:0', '--clock', 'manual', '--quiet']);
    const broker = started.ready.broker!;
    const port = Number(broker.slice(broker.lastIndexOf(':') + 1));
    const user = await clientFrom('127.0.0.2', port);
    expect(await user.connack).toEqual({ returnCode: 0 });
    const closed = new Promise<void>((resolve) => user.client.once('close', () => resolve()));
    // Only 127.0.0.1 from now on (the HTTP client and the device's own MQTT client).
    const narrow = { ...wide, entries: [{ ip: '127.0.0.1', netmask: '255.255.255.255', active: true }] };
    const put = await fetch(`http://${started.ready.http}/sim/v1/modbus/accessible-ips`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(narrow) });
    expect(put.status).toBe(200);
    await closed;
    const status = (await (await fetch(`http://${started.ready.http}/sim/v1/mqtt`)).json()) as { connected: boolean; attempts: number };
    expect(status).toMatchObject({ connected: true, attempts: 1 });
  });
});
