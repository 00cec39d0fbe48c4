/**
 * Faults on demand and the journal through the built CLI, over real sockets: Modbus/TCP (module
 * faults, slow, drop, garbage, exception), the device API (5xx, latency), MQTT (disconnect with
 * the last will, back on clear), the manual clock holding delayed answers until it advances, and
 * the journal naming the client that wrote.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawModbusClient, closeClients, encodeFrame, exceptionCode, readPdu, writeCoilPdu } from '../helpers/modbus-client.js';
import { stopMqtt, subscriber } from '../helpers/mqtt-harness.js';
import { cleanupProcesses, startCli } from '../helpers/process.js';
import { until } from '../helpers/until.js';

afterEach(async () => {
  await closeClients();
  await stopMqtt();
  await cleanupProcesses();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
type Json = any;


async function device(extra: string[] = []) {
  const started = await startCli(['--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--clock', 'manual', '--quiet', ...extra]);
  const base = `http://${started.ready.http}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> => {
    const res = await fetch(base + path, { method, headers: { ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const map = (await call('GET', '/sim/v1/modbus/map')).body as { ioName: string; parameter: string; table: string; address: number }[];
  const coilOf = (slot: number, index: number) => {
    const ioName = map.find((r) => r.table === 'coil' && r.parameter === 'doStatus' && r.ioName.startsWith(`45MR-2600`))!.ioName.replace(/@.*/, '');
    return map.find((r) => r.table === 'coil' && r.parameter === 'doStatus' && r.ioName === `${ioName}@DO-${String(index).padStart(2, '0')}`)!.address + slot * 0;
  };
  const modbusPort = Number(started.ready.modbus!.split(':').pop());
  const inject = async (spec: object) => {
    const res = await call('POST', '/sim/v1/faults', spec);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string };
  };
  return { ...started, call, coilOf, modbusPort, inject, advance: (ms: number) => call('POST', '/sim/v1/clock/advance', { ms }) };
}

describe('Modbus/TCP faults', () => {
  it('answers exception 4 for a failed module, 2 for a removed one, and normally once cleared', async () => {
    const d = await device();
    const client = await RawModbusClient.connect(d.modbusPort);
    const coil = d.coilOf(2, 0);
    const failed = await d.inject({ kind: 'module-failed', slot: 2 });
    expect(exceptionCode(await client.request(readPdu(1, coil, 1)))).toBe(4);
    expect(exceptionCode(await client.request(writeCoilPdu(coil, true)))).toBe(4);
    // The module's bitmap word (doStatusAll) is refused as its channels are.
    const all = ((await d.call('GET', '/sim/v1/modbus/map')).body as { slot: number; parameter: string; address: number }[]).find((r) => r.slot === 2 && r.parameter === 'doStatusAll')!.address;
    expect(exceptionCode(await client.request(readPdu(3, all, 1)))).toBe(4);
    await d.inject({ kind: 'module-removed', slot: 2 });
    expect(exceptionCode(await client.request(readPdu(1, coil, 1)))).toBe(2);
    expect((await d.call('GET', '/sim/v1/faults')).body.map((f: Json) => f.spec.kind)).toEqual(['module-removed']);
    // Its channels are gone from the device API too, while it lasts.
    const ioName = (await d.call('GET', '/sim/v1/slots/2/channels/0')).body.ioName as string;
    const api = await d.call('GET', `/api/io/do/${encodeURIComponent(ioName)}`, undefined, { accept: 'vdn.dac.v2', 'content-type': 'application/json' });
    expect(api.status).toBe(404);
    expect((await d.call('GET', '/sim/v1/device')).body.slots[2].fault).toBe('removed');
    expect((await d.call('DELETE', `/sim/v1/faults/${failed.id}`)).status).toBe(404);
    expect((await d.call('DELETE', '/sim/v1/faults')).body).toEqual({ cleared: 1 });
    expect(await client.readBits(1, coil, 1)).toEqual([0]);
    expect((await d.call('GET', '/sim/v1/device')).body.slots[2].fault).toBeNull();
  });

  it('holds answers back by delayMs of device time (manual clock), then sends them', async () => {
    const d = await device();
    const client = await RawModbusClient.connect(d.modbusPort);
    await d.inject({ kind: 'modbus-slow', delayMs: 250, count: 1 });
    const answer = client.request(readPdu(1, d.coilOf(2, 0), 1));
    let answered = false;
    void answer.then(() => (answered = true));
    // The fault has counted the request; the clock has not moved, so the answer waits.
    await until('the request to be served', async () => ((await d.call('GET', '/sim/v1/journal?source=modbus&kind=request')).body.entries.length === 1 ? true : undefined));
    expect(answered).toBe(false);
    await d.advance(250);
    expect(exceptionCode(await answer)).toBeUndefined();
    expect((await d.call('GET', '/sim/v1/faults')).body).toEqual([]);
  });

  it('drops the connection, or answers garbage, or a chosen exception, while injected', async () => {
    const d = await device();
    const coil = d.coilOf(2, 0);
    await d.inject({ kind: 'modbus-exception', exceptionCode: 6, count: 1 });
    const client = await RawModbusClient.connect(d.modbusPort);
    expect(exceptionCode(await client.request(readPdu(1, coil, 1)))).toBe(6);
    expect(exceptionCode(await client.request(readPdu(1, coil, 1)))).toBeUndefined();

    await d.inject({ kind: 'modbus-garbage', count: 1 });
    client.socket.write(encodeFrame(99, 1, readPdu(1, coil, 1)));
    await until('garbage bytes', () => (client.bytesReceived > 0 && client.received.every((f) => f.tid !== 99) ? true : undefined));

    await d.inject({ kind: 'modbus-drop' });
    const victim = await RawModbusClient.connect(d.modbusPort);
    victim.socket.write(encodeFrame(1, 1, readPdu(1, coil, 1)));
    await victim.closed;
    expect(victim.received).toEqual([]);
    const results = (await d.call('GET', '/sim/v1/journal?source=modbus&kind=request')).body.entries.map((e: Json) => e.result);
    expect(results).toEqual(['exception 6', 'ok', 'fault modbus-garbage', 'fault modbus-drop']);
  });
});

describe('fault refusals', () => {
  it('refuses a field input the channel cannot take, naming the field, and lists nothing', async () => {
    const d = await device();
    const refused = await d.call('POST', '/sim/v1/faults', { kind: 'channel', target: '2/0', input: { burnout: true } });
    expect(refused.status).toBe(409);
    expect(refused.body.path).toBe('input');
    const empty = await d.call('POST', '/sim/v1/faults', { kind: 'channel', target: '2/0', input: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.path).toBe('input');
    expect((await d.call('GET', '/sim/v1/faults')).body).toEqual([]);
  });
});

describe('device API faults', () => {
  const headers = { accept: 'vdn.dac.v2', 'content-type': 'application/json' };

  it('answers a 5xx for `count` requests, and late by device time', async () => {
    const d = await device();
    await d.inject({ kind: 'rest-error', status: 503, count: 2 });
    expect((await d.call('GET', '/api/sysInfo/device', undefined, headers)).status).toBe(503);
    expect((await d.call('GET', '/api/sysInfo/device', undefined, headers)).status).toBe(503);
    expect((await d.call('GET', '/api/sysInfo/device', undefined, headers)).status).toBe(200);
    // The emulator API is never faulted: a test can always clear what it injected.
    expect((await d.call('GET', '/sim/v1/health')).status).toBe(200);

    await d.inject({ kind: 'rest-slow', delayMs: 1000 });
    let done = false;
    const slow = d.call('GET', '/api/sysInfo/device', undefined, headers).then((r) => ((done = true), r));
    await until('the request to arrive', async () => ((await d.call('GET', '/sim/v1/faults')).body[0]?.hits === 1 ? true : undefined));
    expect(done).toBe(false);
    await d.advance(1000);
    expect((await slow).status).toBe(200);
  });
});

describe('MQTT disconnect fault', () => {
  it('drops the connection (the broker sends the last will), stays away, and is back on clear', async () => {
    const d = await device(['--mqtt', 'embedded', '--broker', '127.0.0.1:0']);
    const port = Number(d.ready.broker!.split(':').pop());
    const name = (await d.call('GET', '/sim/v1/device')).body.name as string;
    const sub = await subscriber(port, [`${name}/status`]);
    await sub.waitFor((m) => (m.json as Json)?.value === 'online', 1, 'online');
    const fault = await d.inject({ kind: 'mqtt-disconnect' });
    await sub.waitFor((m) => (m.json as Json)?.value === 'offline', 1, 'the last will');
    await until('the client to be down', async () => ((await d.call('GET', '/sim/v1/mqtt')).body.connected === false ? true : undefined));
    await d.call('DELETE', `/sim/v1/faults/${fault.id}`);
    await sub.waitFor((m) => (m.json as Json)?.value === 'online', 2, 'online again');
    await until('the client to be back', async () => ((await d.call('GET', '/sim/v1/mqtt')).body.connected === true ? true : undefined));
  });
});

describe('journal', () => {
  it('tells which client wrote a DO, exactly once, and refuses bad filters with the field', async () => {
    const d = await device();
    const scada = await RawModbusClient.connect(d.modbusPort);
    const other = await RawModbusClient.connect(d.modbusPort);
    const coil = d.coilOf(2, 3);
    await scada.request(writeCoilPdu(coil, true));
    await other.request(readPdu(1, coil, 1));
    const scadaPeer = `127.0.0.1:${scada.socket.localPort}`;
    const writes = (await d.call('GET', '/sim/v1/journal?kind=write&source=modbus&ioName=2/3&attribute=doStatus')).body.entries;
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ peer: scadaPeer, value: 1, result: 'ok' });
    const requests = (await d.call('GET', `/sim/v1/journal?kind=request&peer=${encodeURIComponent(scadaPeer)}`)).body.entries;
    expect(requests.map((e: Json) => e.action)).toEqual([`FC5 write coil ${coil} = 1`]);
    const bad = await d.call('GET', '/sim/v1/journal?kind=nope');
    expect(bad.status).toBe(400);
    expect(bad.body.path).toBe('kind');
    const badRef = await d.call('GET', '/sim/v1/journal?ioName=9/9');
    expect(badRef.status).toBe(400);
    expect((await d.call('DELETE', '/sim/v1/journal')).status).toBe(200);
    expect((await d.call('GET', '/sim/v1/journal?kind=write')).body.entries).toEqual([]);
  });
});
