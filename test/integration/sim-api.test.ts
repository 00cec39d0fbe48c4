/**
 * The emulator API /sim/v1 over real HTTP: a Device built from an inline profile, a manual
 * clock, a real SignalRunner, an express app listening on 127.0.0.1 port 0, and global fetch.
 * Every test gets a fresh device and server; nothing sleeps (event streams are awaited).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { ManualClock, RealClock } from '../../src/device/clock.js';
import { startSimApp, type SimApp, type SimAppOptions } from '../helpers/sim-app.js';

const profile = profileSchema.parse({
  device: { name: 'itest', serialNumber: 'TAGCB1100042' },
  slots: [
    { slot: 1, module: '45MR-1600', channels: [{ index: 0, mode: 'counter' }] },
    { slot: 2, module: '45MR-2600' },
    { slot: 3, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA-burnout' }] },
    { slot: 4, module: '45MR-6600' },
    // Beyond the four the brief names: the power module and an AO, for their field inputs.
    { slot: 5, module: '45MR-7210' },
    { slot: 6, module: '45MR-4420' },
  ],
  // A virtual field device, so the /serial/field-devices routes have one to answer for.
  serial: { port: 'virtual:bus', fieldDevices: [{ name: 'meter', definition: 'power-meter' }] },
});

type Harness = SimApp;

const open: { close(): Promise<void> | void }[] = [];

afterEach(async () => {
  // Last opened, first closed: event streams before the servers they read from.
  for (const item of open.splice(0).reverse()) await item.close();
});

async function start(options: SimAppOptions = {}): Promise<Harness> {
  const sim = await startSimApp(profile, options);
  open.push(sim);
  return sim;
}

interface Reply {
  status: number;
  headers: Headers;
  // The API's JSON; a test reads the fields it checks.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
  body: any;
}

async function call(h: Harness, method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(h.base + path, {
    method,
    headers: method === 'GET' ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const get = (h: Harness, path: string) => call(h, 'GET', path);
const put = (h: Harness, path: string, body: unknown) => call(h, 'PUT', path, body);
const post = (h: Harness, path: string, body: unknown) => call(h, 'POST', path, body);

function expectError(reply: Reply, statusCode: number, code: string, path: string | null = null): void {
  expect(reply.status).toBe(statusCode);
  expect(reply.body).toMatchObject({ statusCode, code, path });
  expect(typeof reply.body.error).toBe('string');
  expect(typeof reply.body.message).toBe('string');
  expect(Object.keys(reply.body).sort()).toEqual(['code', 'error', 'message', 'path', 'statusCode']);
}

interface SseEvent {
  id: string;
  event: string;
  data: string;
}

/** Reads an event stream with fetch; `next()` resolves with the next event, skipping comments. */
async function openEvents(h: Harness, query = '') {
  const abort = new AbortController();
  const res = await fetch(`${h.base}/events${query}`, { signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const block = async (): Promise<string | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return text;
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value;
    }
  };
  const stream = {
    /** The opening comment; once it has arrived the stream is subscribed. */
    opened: async () => expect(await block()).toMatch(/^: iothinx-sim events/),
    next: async (): Promise<SseEvent> => {
      for (;;) {
        const text = await block();
        if (text === null) throw new Error('event stream ended');
        if (text.startsWith(':')) continue;
        const fields = Object.fromEntries(text.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
        return fields as unknown as SseEvent;
      }
    },
    /** Resolves true once the server has ended the stream. */
    ended: async () => {
      for (;;) if ((await block()) === null) return true;
    },
    close: () => {
      abort.abort();
      return reader.cancel().catch(() => undefined);
    },
  };
  open.push(stream);
  return stream;
}

const DI0 = '/slots/1/channels/0';
const DI1 = '/slots/1/channels/1';
const DO0 = '/slots/2/channels/0';
const AI0 = '/slots/3/channels/0';
const AI1 = '/slots/3/channels/1';
const RTD0 = '/slots/4/channels/0';
const SP0 = '/slots/5/channels/0';
const AO0 = '/slots/6/channels/0';

describe('/sim/v1 status and device', () => {
  it('reports health', async () => {
    const h = await start();
    const reply = await get(h, '/health');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', uptime: 0, clock: 'manual', lastSeq: 0 });
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('returns the device snapshot with the head unit in slot 0 and each channel signal', async () => {
    const h = await start();
    const { status, body } = await get(h, '/device');
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'itest', model: 'ioThinx 4510', serialNumber: 'TAGCB1100042', firmwareVersion: '1.5.0' });
    expect(body.slots.map((s: { slot: number; module: string }) => [s.slot, s.module])).toEqual([
      [0, 'ioThinx 4510'],
      [1, '45MR-1600'],
      [2, '45MR-2600'],
      [3, '45MR-3800'],
      [4, '45MR-6600'],
      [5, '45MR-7210'],
      [6, '45MR-4420'],
    ]);
    expect(body.slots[0].channels).toEqual([]);
    const di0 = body.slots[1].channels[0];
    expect(di0).toMatchObject({
      index: 0,
      type: 'di',
      name: 'DI-00',
      ioName: '45MR-1600-0@DI-00',
      mode: 1,
      modeName: 'counter',
      diStatus: 0,
      diCounterValue: 0,
      field: { level: 0 },
      signal: null,
    });
    expect(body.slots[1].channels).toHaveLength(16);
    expect(body.slots[3].channels[0]).toMatchObject({ ioName: '45MR-3800-0@AI-00', modeName: '4-20mA-burnout', signal: null });
    expect(body.slots[4].channels[0]).toMatchObject({ ioName: '45MR-6600-0@RTD-00', modeName: 'PT100', rtdValueScaled: 25 });
  });

  it('returns one channel, and 404 for an unknown slot or channel', async () => {
    const h = await start();
    const reply = await get(h, DI1);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ index: 1, ioName: '45MR-1600-0@DI-01', modeName: 'di', signal: null });
    expectError(await get(h, '/slots/9/channels/0'), 404, 'DEVICE_UNKNOWN_SLOT');
    expectError(await get(h, '/slots/0/channels/0'), 404, 'DEVICE_UNKNOWN_SLOT');
    expectError(await get(h, '/slots/1/channels/16'), 404, 'DEVICE_UNKNOWN_CHANNEL');
  });

  it('refuses path parameters that are not non-negative integers', async () => {
    const h = await start();
    expectError(await get(h, '/slots/x/channels/0'), 400, 'HTTP_BAD_REQUEST', 'slot');
    expectError(await get(h, '/slots/1/channels/1.5'), 400, 'HTTP_BAD_REQUEST', 'index');
    expectError(await get(h, '/slots/-1/channels/0'), 400, 'HTTP_BAD_REQUEST', 'slot');
    expectError(await put(h, '/slots/1/channels/0x1', { level: 1 }), 400, 'HTTP_BAD_REQUEST', 'index');
  });

  it('serves the running config as JSON and takes a valid one back', async () => {
    const h = await start();
    const reply = await get(h, '/config');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(JSON.parse(JSON.stringify(profile)));
    const accepted = await put(h, '/config', reply.body);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ applied: true, persisted: false, restart: true });
    const refused = await put(h, '/config', { ...reply.body, slots: 'none' });
    expectError(refused, 400, 'HTTP_BAD_REQUEST', 'slots');
    const wrong = await post(h, '/config', reply.body);
    expectError(wrong, 405, 'HTTP_METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, PUT, PATCH, OPTIONS');
  });
});

describe('/sim/v1 field-side writes', () => {
  it('sets a DI level, and a counter DI counts rising edges', async () => {
    const h = await start();
    let reply = await put(h, DI0, { level: 1 });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ diStatus: 1, diCounterValue: 1, field: { level: 1 } });
    await put(h, DI0, { level: 0 });
    reply = await put(h, DI0, { level: 1 });
    expect(reply.body).toMatchObject({ diStatus: 1, diCounterValue: 2 });
    // DI-01 is counter-capable but runs as a plain DI: it follows the level and does not count.
    reply = await put(h, DI1, { level: 1 });
    expect(reply.body).toMatchObject({ diStatus: 1, diCounterValue: 0 });
    // DI-04 and up cannot count at all (only the first 4 can, DS).
    reply = await put(h, '/slots/1/channels/4', { level: 1 });
    expect(reply.body.diStatus).toBe(1);
    expect(reply.body).not.toHaveProperty('diCounterValue');
  });

  it('feeds an AI in mA: raw, scaled and status follow, and burnout shows', async () => {
    const h = await start();
    let reply = await put(h, AI0, { physical: 12 });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ aiValueRaw: 32768, aiValueScaled: 12, aiStatus: 0, field: { physical: 12, burnout: false, unit: 'mA' } });
    reply = await put(h, AI0, { physical: 21 });
    expect(reply.body).toMatchObject({ aiValueRaw: 0xffff, aiValueScaled: 20, aiStatus: 2 });
    reply = await put(h, AI0, { physical: 1 });
    expect(reply.body).toMatchObject({ aiValueRaw: 0, aiStatus: 1 });
    reply = await put(h, AI0, { physical: 20 });
    expect(reply.body).toMatchObject({ aiValueRaw: 0xffff, aiValueScaled: 20, aiStatus: 0 });
    reply = await put(h, AI0, { burnout: true });
    expect(reply.body).toMatchObject({ aiValueRaw: 0, aiStatus: 1, field: { physical: 20, burnout: true } });
    reply = await put(h, AI0, { burnout: false });
    expect(reply.body).toMatchObject({ aiValueRaw: 0xffff, aiStatus: 0 });
    // Channel 1 runs 4-20mA without burnout detection: below 4 mA is under range.
    reply = await put(h, AI1, { physical: 2 });
    expect(reply.body).toMatchObject({ modeName: '4-20mA', aiValueRaw: 0, aiStatus: 3 });
  });

  it('sets an RTD temperature and sensor burnout, refusing a temperature the sensor cannot show', async () => {
    const h = await start();
    let reply = await put(h, RTD0, { temperature: 100.5 });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ rtdValueScaled: 100.5, rtdValueScaledMax: 100.5, rtdStatus: 0, field: { temperature: 100.5, unit: '°C' } });
    reply = await put(h, RTD0, { burnout: true });
    expect(reply.body).toMatchObject({ rtdStatus: 1, rtdValueScaled: 100.5 });
    expectError(await put(h, RTD0, { temperature: 900 }), 400, 'DEVICE_VALUE_OUT_OF_RANGE', 'temperature');
    expect((await get(h, RTD0)).body.rtdValueScaled).toBe(100.5);
  });

  it('sets the power module supply and field power, and an AO fault', async () => {
    const h = await start();
    let reply = await put(h, SP0, { voltage: 10 });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ spStatus: 1, fpStatus: 0, field: { voltage: 10, fieldPower: 1 } });
    reply = await put(h, SP0, { voltage: 24, fieldPower: 0 });
    expect(reply.body).toMatchObject({ spStatus: 0, fpStatus: 1, field: { voltage: 24, fieldPower: 0 } });
    reply = await put(h, AO0, { fault: true });
    expect(reply.body).toMatchObject({ aoStatus: 1, field: { fault: true } });
    expectError(await put(h, AO0, { signal: { kind: 'constant', value: 5 } }), 409, 'DEVICE_NOT_APPLICABLE', 'signal');
  });

  it('attaches a square wave to a DI, follows the manual clock, and detaches it', async () => {
    const h = await start();
    // The device's own timers (field devices, serial polling) stay; the signal's must go.
    const idle = (h.clock as ManualClock).pending();
    let reply = await put(h, DI1, { signal: { kind: 'square', periodMs: 1000 } });
    expect(reply.status).toBe(200);
    expect(reply.body.signal).toEqual({ kind: 'square', periodMs: 1000, low: 0, high: 1, duty: 0.5 });
    expect(reply.body.field.level).toBe(1);

    let clock = await post(h, '/clock/advance', { ms: 500 });
    expect(clock.body).toEqual({ now: Date.UTC(2026, 0, 1) + 500, monotonic: 500 });
    expect((await get(h, DI1)).body).toMatchObject({ diStatus: 0, field: { level: 0 } });
    clock = await post(h, '/clock/advance', { ms: 500 });
    expect((await get(h, DI1)).body).toMatchObject({ diStatus: 1 });

    const device = await get(h, '/device');
    expect(device.body.slots[1].channels[1].signal).toMatchObject({ kind: 'square' });

    reply = await put(h, DI1, { signal: null });
    expect(reply.status).toBe(200);
    expect(reply.body.signal).toBeNull();
    expect((h.clock as ManualClock).pending()).toBe(idle);
    await post(h, '/clock/advance', { ms: 5000 });
    expect((await get(h, DI1)).body).toMatchObject({ diStatus: 1, signal: null });
  });

  it('lets a field write take over from a running signal', async () => {
    const h = await start();
    await put(h, DI1, { signal: { kind: 'square', periodMs: 1000 } });
    const reply = await put(h, DI1, { level: 0 });
    expect(reply.body).toMatchObject({ diStatus: 0, signal: null });
    await post(h, '/clock/advance', { ms: 5000 });
    expect((await get(h, DI1)).body).toMatchObject({ diStatus: 0, signal: null });
  });

  it('drives an AI with a ramp sampled on the clock', async () => {
    const h = await start();
    await put(h, AI1, { signal: { kind: 'ramp', from: 4, to: 20, periodMs: 1600, shape: 'once' } });
    await post(h, '/clock/advance', { ms: 800 });
    expect((await get(h, AI1)).body).toMatchObject({ aiValueScaled: 12, aiStatus: 0 });
  });
});

describe('/sim/v1 attribute writes, internal registers and the clock', () => {
  it('writes attributes northbound-style: preset a counter, switch a DO, reset a maximum', async () => {
    const h = await start();
    let reply = await put(h, `${DI0}/attributes/diCounterValue`, { value: 100 });
    expect(reply.status).toBe(200);
    expect(reply.body.diCounterValue).toBe(100);
    reply = await put(h, `${DO0}/attributes/doStatus`, { value: 1 });
    expect(reply.body.doStatus).toBe(1);
    await put(h, AI0, { physical: 20 });
    await put(h, AI0, { physical: 8 });
    reply = await put(h, `${AI0}/attributes/aiResetMaxValue`, { value: 1 });
    expect(reply.body).toMatchObject({ aiValueScaledMax: 8, aiValueScaled: 8 });
  });

  it('refuses unknown, read-only and out-of-range attribute writes', async () => {
    const h = await start();
    expectError(await put(h, `${DI0}/attributes/diFoo`, { value: 1 }), 404, 'DEVICE_UNKNOWN_ATTRIBUTE');
    expectError(await put(h, `${DI0}/attributes/diStatus`, { value: 1 }), 400, 'DEVICE_READ_ONLY');
    expectError(await put(h, `${DI0}/attributes/diCounterValue`, { value: -1 }), 400, 'DEVICE_VALUE_OUT_OF_RANGE', 'value');
    expectError(await put(h, `${DI0}/attributes/diCounterValue`, { value: '1' }), 400, 'HTTP_BAD_REQUEST', 'value');
    expect(h.device.lastSeq).toBe(0);
  });

  it('lists and writes internal registers', async () => {
    const h = await start();
    const list = await get(h, '/internal-registers');
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(192);
    expect(list.body[0]).toEqual({ type: 'bool', index: 0, ioName: 'BIR-00', value: 0 });
    expect(list.body).toContainEqual({ type: 'word', index: 3, ioName: 'WIR-03', value: 0 });
    const reply = await put(h, '/internal-registers/WIR-03', { value: -5 });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ type: 'word', index: 3, ioName: 'WIR-03', value: -5 });
    expect((await put(h, '/internal-registers/FIR-00', { value: 0.1 })).body.value).toBe(Math.fround(0.1));
    expectError(await put(h, '/internal-registers/WIR-03', { value: 40000 }), 400, 'DEVICE_VALUE_OUT_OF_RANGE', 'value');
    expectError(await put(h, '/internal-registers/WIR-99', { value: 1 }), 404, 'HTTP_NOT_FOUND', 'ioName');
    expectError(await put(h, '/internal-registers/45MR-1600-0@DI-00', { value: 1 }), 404, 'HTTP_NOT_FOUND', 'ioName');
    expect(h.device.internalRegisters.word[3]!.read('irValue')).toBe(-5);
  });

  it('reads and advances the manual clock, refusing bad durations', async () => {
    const h = await start();
    expect((await get(h, '/clock')).body).toEqual({ kind: 'manual', now: Date.UTC(2026, 0, 1), monotonic: 0 });
    const reply = await post(h, '/clock/advance', { ms: 2500 });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ now: Date.UTC(2026, 0, 1) + 2500, monotonic: 2500 });
    expect((await get(h, '/health')).body.uptime).toBe(2);
    expectError(await post(h, '/clock/advance', { ms: -1 }), 400, 'HTTP_BAD_REQUEST', 'ms');
    expectError(await post(h, '/clock/advance', { ms: 2e9 }), 400, 'HTTP_BAD_REQUEST', 'ms');
    expectError(await post(h, '/clock/advance', {}), 400, 'HTTP_BAD_REQUEST', 'ms');
    expect(h.clock.monotonic()).toBe(2500);
  });

  it('answers 409 CLOCK_NOT_MANUAL on a real clock', async () => {
    const h = await start({ clock: new RealClock() });
    expect((await get(h, '/clock')).body.kind).toBe('real');
    expectError(await post(h, '/clock/advance', { ms: 10 }), 409, 'CLOCK_NOT_MANUAL');
  });
});

describe('/sim/v1/events', () => {
  it('streams each change with increasing ids', async () => {
    const h = await start();
    const events = await openEvents(h);
    await events.opened();
    await put(h, DI0, { level: 1 });
    const changes: SseEvent[] = [];
    // level 1 on a counter DI: diStatus and diCounterValue change.
    changes.push(await events.next(), await events.next());
    await put(h, AI0, { physical: 12 });
    changes.push(await events.next());
    expect(changes.map((c) => c.event)).toEqual(['change', 'change', 'change']);
    const ids = changes.map((c) => Number(c.id));
    expect(ids).toEqual([1, 2, 3]);
    const data = changes.map((c) => JSON.parse(c.data));
    expect(data[0]).toMatchObject({ seq: 1, ioName: '45MR-1600-0@DI-00', attribute: 'diStatus', value: 1, previous: 0, source: 'sim', slot: 1, index: 0 });
    expect(data[1]).toMatchObject({ seq: 2, attribute: 'diCounterValue', value: 1 });
    expect(data[2]).toMatchObject({ seq: 3, ioName: '45MR-3800-0@AI-00', attribute: 'aiValueRaw', value: 32768 });
  });

  it('filters by ioName and refuses an unknown one', async () => {
    const h = await start();
    const events = await openEvents(h, `?ioName=${encodeURIComponent('45MR-1600-0@DI-01')}`);
    await events.opened();
    await put(h, DI0, { level: 1 });
    await put(h, DI1, { level: 1 });
    const change = await events.next();
    expect(JSON.parse(change.data)).toMatchObject({ ioName: '45MR-1600-0@DI-01', attribute: 'diStatus', seq: 3 });
    expectError(await get(h, '/events?ioName=nope'), 404, 'HTTP_NOT_FOUND', 'ioName');
  });

  it('tells a stream without a filter each fault injected and cleared, as GET /faults lists it; a filtered stream gets none', async () => {
    const h = await start();
    const all = await openEvents(h);
    await all.opened();
    const filtered = await openEvents(h, `?ioName=${encodeURIComponent('45MR-1600-0@DI-01')}`);
    await filtered.opened();
    const injected = await post(h, '/faults', { kind: 'module-failed', slot: 1 });
    expect(injected.status).toBe(201);
    const fault = injected.body as { id: string };
    const first = await all.next();
    expect(first.event).toBe('fault');
    expect(first.id).toBeUndefined();
    expect(JSON.parse(first.data)).toEqual({ type: 'injected', fault: (await get(h, '/faults')).body[0] });
    expect((await call(h, 'DELETE', `/faults/${fault.id}`)).status).toBe(200);
    // The clear may change channel values too; the fault event is among what follows.
    let cleared: SseEvent;
    do cleared = await all.next();
    while (cleared.event !== 'fault');
    expect(JSON.parse(cleared.data)).toMatchObject({ type: 'cleared', fault: { id: fault.id, spec: { kind: 'module-failed', slot: 1 } } });
    // The filtered stream's next event is its channel's change, not the faults before it.
    await put(h, DI1, { level: 1 });
    expect(await filtered.next()).toMatchObject({ event: 'change' });
  });

  it('reports signal changes, and closing the server ends open streams', async () => {
    const h = await start();
    const events = await openEvents(h);
    await events.opened();
    await put(h, DI1, { signal: { kind: 'square', periodMs: 100 } });
    expect(JSON.parse((await events.next()).data)).toMatchObject({ attribute: 'diStatus', value: 1, source: 'signal' });
    await post(h, '/clock/advance', { ms: 50 });
    expect(JSON.parse((await events.next()).data)).toMatchObject({ attribute: 'diStatus', value: 0, source: 'signal' });
    await h.listener.close();
    expect(await events.ended()).toBe(true);
  });
});

describe('/sim/v1 errors', () => {
  it('names the bad field with its zod path', async () => {
    const h = await start();
    expectError(await put(h, AI0, { physical: 'twelve' }), 400, 'HTTP_BAD_REQUEST', 'physical');
    expectError(await put(h, DI0, { level: 2 }), 400, 'HTTP_BAD_REQUEST', 'level');
    expectError(await put(h, DI0, { level: 1, colour: 'red' }), 400, 'HTTP_BAD_REQUEST', 'colour');
    expectError(await put(h, DI1, { signal: { kind: 'square' } }), 400, 'HTTP_BAD_REQUEST', 'signal.periodMs');
    expectError(await put(h, DI1, { signal: { kind: 'chirp' } }), 400, 'HTTP_BAD_REQUEST', 'signal.kind');
    expectError(await put(h, DI1, { signal: null, level: 1 }), 400, 'HTTP_BAD_REQUEST', 'signal');
    expectError(await put(h, DI1, {}), 400, 'HTTP_BAD_REQUEST', null);
    expectError(await put(h, DI1, [1]), 400, 'HTTP_BAD_REQUEST', null);
    const reply = await put(h, AI0, { physical: 'twelve' });
    expect(reply.body.message).toMatch(/^physical: .*expected number/);
  });

  it('refuses field inputs that do not apply to the channel with 409', async () => {
    const h = await start();
    expectError(await put(h, AI0, { level: 1 }), 409, 'DEVICE_NOT_APPLICABLE', 'level');
    expectError(await put(h, DI0, { level: 1, physical: 4 }), 409, 'DEVICE_NOT_APPLICABLE', 'physical');
    expectError(await put(h, DO0, { level: 1 }), 409, 'DEVICE_NOT_APPLICABLE', 'level');
    expectError(await put(h, DO0, { signal: { kind: 'constant', value: 1 } }), 409, 'DEVICE_NOT_APPLICABLE', 'signal');
    expectError(await put(h, AI0, { physical: 150 }), 400, 'DEVICE_VALUE_OUT_OF_RANGE', 'physical');
    expectError(await put(h, RTD0, { signal: { kind: 'constant', value: 2000 } }), 400, 'DEVICE_VALUE_OUT_OF_RANGE', 'signal');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const h = await start();
    expectError(await get(h, '/nope'), 404, 'HTTP_NOT_FOUND');
    expectError(await get(h, '/slots/1'), 404, 'HTTP_NOT_FOUND');
    const del = await call(h, 'DELETE', DI0);
    expectError(del, 405, 'HTTP_METHOD_NOT_ALLOWED');
    expect(del.headers.get('allow')).toBe('GET, HEAD, PUT, OPTIONS');
    const options = await fetch(h.base + DI0, { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'GET, HEAD, PUT, OPTIONS']);
    expect((await fetch(`${h.base}/events`, { method: 'HEAD' })).status).toBe(200);
    const outside = await fetch(h.base.replace('/sim/v1', '/elsewhere'));
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({ code: 'HTTP_NOT_FOUND' });
  });

  it('refuses malformed JSON, a body over 1 MB and a body that is not JSON', async () => {
    const h = await start();
    expectError(await put(h, DI0, '{"level": 1'), 400, 'HTTP_BAD_REQUEST');
    expectError(await put(h, DI0, '12'), 400, 'HTTP_BAD_REQUEST');
    const huge = JSON.stringify({ level: 1, padding: 'x'.repeat(1_100_000) });
    expectError(await put(h, DI0, huge), 413, 'HTTP_PAYLOAD_TOO_LARGE');
    const form = await call(h, 'PUT', DI0, undefined, { body: 'level=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectError(form, 415, 'HTTP_UNSUPPORTED_MEDIA_TYPE');
    const plain = await call(h, 'POST', '/clock/advance', undefined, { body: '{"ms":1}', headers: { 'content-type': 'text/plain' } });
    expectError(plain, 415, 'HTTP_UNSUPPORTED_MEDIA_TYPE');
    // Bodiless, yet JSON (#14 point 12): the empty body is {} and lacks ms.
    expectError(await call(h, 'POST', '/clock/advance'), 400, 'HTTP_BAD_REQUEST', 'ms');
    expect(h.clock.monotonic()).toBe(0);
  });

  it('answers an unexpected failure with 500, logged at error; 4xx are logged at info', async () => {
    const lines: { level: number; msg: string; statusCode?: number; code?: string; err?: { message: string } }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const h = await start({ logger: pino({ level: 'info' }, sink) });
    vi.spyOn(h.signals, 'attach').mockImplementation(() => {
      throw new Error('generator exploded');
    });
    const reply = await put(h, DI1, { signal: { kind: 'constant', value: 1 } });
    expectError(reply, 500, 'HTTP_INTERNAL');
    expect(reply.body.message).not.toMatch(/exploded/);
    expectError(await get(h, '/slots/9/channels/0'), 404, 'DEVICE_UNKNOWN_SLOT');
    expect(lines.map((l) => [l.level, l.statusCode, l.code])).toEqual([
      [50, 500, 'HTTP_INTERNAL'],
      [30, 404, 'DEVICE_UNKNOWN_SLOT'],
    ]);
    expect(lines[0]!.err?.message).toBe('generator exploded');
    // The app still works.
    expect((await get(h, '/health')).status).toBe(200);
  });

  it('changes nothing on a bad write', async () => {
    const h = await start();
    await put(h, AI0, { physical: 12 });
    await put(h, RTD0, { temperature: 30 });
    const before = (await get(h, '/device')).body;
    const seq = h.device.lastSeq;
    const bad: [string, unknown][] = [
      [AI0, { physical: 150, burnout: true }],
      [AI0, { physical: 'x' }],
      [AI0, { burnout: true, level: 1 }],
      [RTD0, { temperature: -500, burnout: true }],
      [RTD0, { signal: { kind: 'constant', value: 2000 } }],
      [DI0, { level: 1, physical: 4 }],
      [DI0, { signal: { kind: 'square', periodMs: 0 } }],
      [DO0, { signal: { kind: 'constant', value: 1 } }],
      [`${DI0}/attributes/diCounterValue`, { value: 2 ** 32 }],
      [`${DO0}/attributes/doMode`, { value: 1 }],
      ['/internal-registers/BIR-00', { value: 2 }],
    ];
    for (const [path, body] of bad) expect((await put(h, path, body)).status).toBeGreaterThanOrEqual(400);
    expect((await post(h, '/clock/advance', { ms: -5 })).status).toBe(400);
    expect(h.device.lastSeq).toBe(seq);
    expect((await get(h, '/device')).body).toEqual(before);
    expect((await get(h, '/internal-registers')).body.every((ir: { value: number }) => ir.value === 0)).toBe(true);
  });
});

describe('/sim/v1/openapi.json', () => {
  interface Operation {
    parameters: { name: string; in: string; schema: { examples?: string[] } }[];
    requestBody?: { content: { 'application/json': { schema: unknown } } };
  }

  it('is OpenAPI 3.1 with the zod request schemas', async () => {
    const h = await start();
    const { status, body } = await get(h, '/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const write = body.paths['/sim/v1/slots/{slot}/channels/{index}'].put as Operation;
    expect(write.parameters.map((p) => [p.name, p.in])).toEqual([
      ['slot', 'path'],
      ['index', 'path'],
    ]);
    const schema = write.requestBody!.content['application/json'].schema as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(['level', 'physical', 'burnout', 'temperature', 'voltage', 'fieldPower', 'fault', 'signal']);
    expect(schema.additionalProperties).toBe(false);
    expect(body.paths['/sim/v1/clock/advance'].post.requestBody.content['application/json'].schema).toMatchObject({
      properties: { ms: { type: 'number', minimum: 0, maximum: 1e9 } },
      required: ['ms'],
    });
    // #14.1: PATCH /config takes a JSON merge patch (RFC 7396) under either media type.
    expect(Object.keys(body.paths['/sim/v1/config'].patch.requestBody.content)).toEqual(['application/merge-patch+json', 'application/json']);
  });

  it('documents every registered route, and every documented route answers', async () => {
    const h = await start();
    const doc = (await get(h, '/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
    const documented = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        documented.add(`${method.toUpperCase()} ${path}`);
        const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => {
          const example = operation.parameters.find((p) => p.name === name)?.schema.examples?.[0];
          expect(example, `${method} ${path}: example for ${name}`).toBeDefined();
          return encodeURIComponent(example!);
        });
        const abort = new AbortController();
        const res = await fetch(h.base.replace('/sim/v1', '') + url, {
          method: method.toUpperCase(),
          signal: abort.signal,
          ...(operation.requestBody ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
        });
        // A 404 from the route itself (an unknown fault id, say) names its own code; the
        // router's "no such route" is HTTP_NOT_FOUND.
        const routed = res.status !== 404 || (res.headers.get('content-type')?.includes('json') && ((await res.clone().json()) as { code?: string }).code !== 'HTTP_NOT_FOUND');
        expect(res.status !== 405 && routed, `${method.toUpperCase()} ${url} answered ${res.status}`).toBe(true);
        abort.abort();
        await res.body?.cancel().catch(() => undefined);
      }
    }
    // Routes as express registered them, less the 405 fallbacks (handler methodNotAllowed).
    // A route's path may be a list (the web UI's page answers at / and /index.html).
    const stack = h.app.router.stack as unknown as { route?: { path: string | string[]; methods: Record<string, boolean>; stack: { name: string }[] } }[];
    const registered = stack.flatMap((layer) =>
      layer.route && !layer.route.stack.some((l) => l.name === 'methodNotAllowed')
        ? Object.keys(layer.route.methods).flatMap((m) => [layer.route!.path].flat().map((path) => `${m.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`))
        : [],
    );
    expect(registered.length).toBeGreaterThanOrEqual(12);
    // GET /metrics sits at the root for Prometheus, outside the emulator API's document.
    expect([...documented].sort()).toEqual([...new Set(registered.filter((r) => r.split(' ')[1]!.startsWith('/sim/v1')))].sort());
  });
});
