/**
 * The device's RESTful API (/api) over real HTTP, as a client of a real ioThinx 4510 uses it:
 * a Device built from an inline profile with one module of each kind, a manual clock, the
 * express app listening on 127.0.0.1 port 0, and node:http (not fetch, which adds an Accept
 * header of its own and cannot send a body with GET). Every test gets a fresh device and server.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema, type Profile } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import type { Device, DeviceChange } from '../../src/device/device.js';
import { Emulator } from '../../src/app/emulator.js';
import { mulberry32 } from '../../src/sim/random.js';

const PROFILE = {
  device: { name: 'apitest', serialNumber: 'TAGCB1100042', firmwareVersion: '1.5.0', mac: '00:90:e8:12:34:56', ip: '192.168.127.254' },
  slots: [
    // The manual's tutorial names (M-EZ p=93): module GET_Demo, channel Button.
    { slot: 1, module: '45MR-1600', name: 'GET_Demo', channels: [{ index: 0, name: 'Button', mode: 'counter' }] },
    { slot: 2, module: '45MR-2600', channels: [{ index: 1, mode: 'pulse' }] },
    { slot: 3, module: '45MR-2404' },
    { slot: 4, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA', physical: 12 }] },
    { slot: 5, module: '45MR-4420', channels: [{ index: 0, mode: '0-10V' }, { index: 1, mode: 'disable' }] },
    { slot: 6, module: '45MR-6600' },
    { slot: 7, module: '45MR-6810' },
    { slot: 8, module: '45MR-7210' },
  ],
};

const HEADERS = { accept: 'vdn.dac.v2', 'content-type': 'application/json' };

interface Harness {
  host: string;
  port: number;
  device: Device;
  clock: ManualClock;
  profile: Profile;
  changes: DeviceChange[];
}

const open: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function start(overrides: Record<string, unknown> = {}, logger: Logger = pino({ level: 'silent' })): Promise<Harness> {
  const profile = profileSchema.parse({ ...structuredClone(PROFILE), ...overrides });
  const clock = new ManualClock();
  const emulator = await Emulator.start({ profile, clock, logger, http: { host: '127.0.0.1', port: 0 } });
  open.push(() => emulator.stop());
  const device = emulator.device;
  const changes: DeviceChange[] = [];
  device.onChange((c) => changes.push(c));
  const address = emulator.addresses.http!;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return { host: '127.0.0.1', port, device, clock, profile, changes };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // The API's JSON; a test reads the fields it checks.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
  body: any;
}

interface SendOptions {
  /** Replaces the default headers; undefined drops one. */
  headers?: Record<string, string | undefined>;
  body?: string | Buffer;
}

/** One request on its own connection, the path sent as given (no normalisation). */
function send(h: Harness, method: string, path: string, options: SendOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...HEADERS, ...options.headers })) if (value !== undefined) headers[name] = value;
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = request({ host: h.host, port: h.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const get = (h: Harness, path: string, headers?: SendOptions['headers']) => send(h, 'GET', path, { headers });
const put = (h: Harness, path: string, body: unknown, headers?: SendOptions['headers']) =>
  send(h, 'PUT', path, { headers, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) });

const NAMES: Record<number, string> = {
  101: 'UnsupportedVersion',
  102: 'UnsupportedDocFormat',
  201: 'InvalidJsonFormat',
  202: 'InvalidNodeValue',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  500: 'InternalError',
};

function expectError(reply: Reply, status: number, code: number, detail?: RegExp): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(reply.body)).toEqual(['error']);
  expect(Object.keys(reply.body.error).sort()).toEqual(['code', 'detail', 'message']);
  expect(reply.body.error.code).toBe(code);
  expect(reply.body.error.message).toBe(NAMES[code]);
  expect(typeof reply.body.error.detail).toBe('string');
  if (detail) expect(reply.body.error.detail).toMatch(detail);
}

const io = (type: string, ioName: string, attribute?: string) => `/api/io/${type}/${encodeURIComponent(ioName)}${attribute ? `/${attribute}` : ''}`;
const BUTTON = 'GET_Demo@Button';

describe('device API: sysInfo', () => {
  it('answers every sysInfo path from the device identity, clock and head unit', async () => {
    const h = await start();
    const lan = { lanMac: '00:90:e8:12:34:56', lanIp: '192.168.127.254' };
    const device = {
      deviceName: 'apitest',
      modelName: 'ioThinx 4510',
      deviceLocalTime: '2026/01/01 00:00:00',
      deviceUpTime: '00:00:00',
      firmwareVersion: '1.5.0',
      serialNumber: 'TAGCB1100042',
      systemError: 0,
    };
    const whole = await get(h, '/api/sysInfo');
    expect(whole.status).toBe(200);
    expect(whole.headers['content-type']).toMatch(/^application\/json/);
    expect(whole.body).toEqual({ sysInfo: { device, network: { LAN: lan } } });
    expect((await get(h, '/api/sysInfo/device')).body).toEqual(device);
    expect((await get(h, '/api/sysInfo/network')).body).toEqual({ LAN: lan });
    expect((await get(h, '/api/sysInfo/network/LAN')).body).toEqual(lan);
    expect((await get(h, '/api/sysInfo/network/LAN/1')).body).toEqual(lan);
    // A trailing slash names the same resource.
    expect((await get(h, '/api/sysInfo/device/')).body).toEqual(device);
  });

  it('counts up time past 24 hours and shows the device clock in yyyy/mm/dd hh:mm:ss', async () => {
    const h = await start();
    h.clock.advance(((25 * 60 + 1) * 60 + 2) * 1000);
    h.device.head.setSystemError(7, 'sim');
    const reply = await get(h, '/api/sysInfo/device');
    expect(reply.body).toMatchObject({ deviceLocalTime: '2026/01/02 01:01:02', deviceUpTime: '25:01:02', systemError: 7 });
    h.clock.advance(100 * 3600 * 1000);
    expect((await get(h, '/api/sysInfo/device')).body.deviceUpTime).toBe('125:01:02');
  });
});

describe('device API: reading channels', () => {
  it('GET answers every channel of every type, whole and attribute by attribute', async () => {
    const h = await start();
    const seen = new Set<string>();
    for (const module of h.device.modules) {
      for (const channel of module.channels) {
        seen.add(channel.type);
        const whole = await get(h, io(channel.type, channel.ioName));
        expect(whole.status, channel.ioName).toBe(200);
        expect(whole.body).toEqual(channel.values());
        for (const a of channel.attributes) {
          const one = await get(h, io(channel.type, channel.ioName, a.name));
          expect(one.status, `${channel.ioName}/${a.name}`).toBe(200);
          expect(one.body).toEqual({ value: channel.read(a.name) });
        }
      }
    }
    expect([...seen].sort()).toEqual(['ai', 'ao', 'di', 'do', 'relay', 'rtd', 'sp', 'tc']);
  });

  it('reads a counter DI with the counter attributes, and internal registers of each type', async () => {
    const h = await start();
    const counter = await get(h, io('di', BUTTON));
    expect(Object.keys(counter.body)).toEqual(['diMode', 'diStatus', 'diCounterValue', 'diCounterStatus', 'diCounterOverflowFlag', 'diCounterOverflowFlagClear']);
    expect(counter.body.diMode).toBe(1);
    h.device.findIoName('FIR-02')!.write('irValue', 1.5, 'sim');
    for (const ioName of ['BIR-00', 'WIR-00', 'DIR-47', 'FIR-02']) {
      const whole = await get(h, `/api/io/ir/${ioName}`);
      expect(whole.status).toBe(200);
      expect(whole.body).toEqual({ irValue: ioName === 'FIR-02' ? 1.5 : 0 });
      expect((await get(h, `/api/io/ir/${ioName}/irValue`)).body).toEqual({ value: ioName === 'FIR-02' ? 1.5 : 0 });
    }
  });

  it('takes the @ of an ioName raw or percent-encoded', async () => {
    const h = await start();
    h.device.channel(1, 0).applyField({ level: 1 }, 'sim');
    expect((await get(h, '/api/io/di/GET_Demo@Button/diStatus')).body).toEqual({ value: 1 });
    expect((await get(h, '/api/io/di/GET_Demo%40Button/diStatus')).body).toEqual({ value: 1 });
    expect((await get(h, '/api/io/di/45MR-1600-0@DI-01')).status).toBe(404);
    expect((await get(h, '/api/io/di/GET_Demo%40DI-01/diStatus')).body).toEqual({ value: 0 });
  });
});

describe('device API: writing', () => {
  it('PUT doStatus switches the output and reports a change with source rest', async () => {
    const h = await start();
    const reply = await put(h, io('do', '45MR-2600-0@DO-00', 'doStatus'), { value: 1 });
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ value: 1 });
    expect(h.device.channel(2, 0).read('doStatus')).toBe(1);
    expect(h.changes).toEqual([expect.objectContaining({ ioName: '45MR-2600-0@DO-00', attribute: 'doStatus', value: 1, previous: 0, source: 'rest' })]);
    expect((await get(h, io('do', '45MR-2600-0@DO-00', 'doStatus'))).body).toEqual({ value: 1 });
  });

  it('PUT diCounterValue presets the counter', async () => {
    const h = await start();
    expect((await put(h, io('di', BUTTON, 'diCounterValue'), { value: 4_000_000_000 })).body).toEqual({ value: 4_000_000_000 });
    expect(h.device.channel(1, 0).read('diCounterValue')).toBe(4_000_000_000);
    expect(h.changes.at(-1)).toMatchObject({ attribute: 'diCounterValue', source: 'rest' });
  });

  it('PUT aiResetMinValue resets the minimum to the present reading, and reads back 0', async () => {
    const h = await start();
    const ai = h.device.channel(4, 0);
    ai.applyField({ physical: 8 }, 'sim');
    ai.applyField({ physical: 16 }, 'sim');
    expect(ai.read('aiValueRawMin')).toBeLessThan(ai.read('aiValueRaw'));
    const reply = await put(h, io('ai', ai.ioName, 'aiResetMinValue'), { value: 1 });
    expect(reply.body).toEqual({ value: 0 });
    expect(ai.read('aiValueRawMin')).toBe(ai.read('aiValueRaw'));
    expect(ai.read('aiValueScaledMin')).toBe(ai.read('aiValueScaled'));
  });

  it('PUT relayCurrentCountReset clears the current count, not the total', async () => {
    const h = await start();
    const path = (a: string) => io('relay', '45MR-2404-0@RLY-00', a);
    const relay = h.device.channel(3, 0);
    expect(relay.ioName).toBe('45MR-2404-0@RLY-00');
    await put(h, path('relayStatus'), { value: 1 });
    await put(h, path('relayStatus'), { value: 0 });
    expect((await get(h, path('relayCurrentCount'))).body).toEqual({ value: 1 });
    expect((await put(h, path('relayCurrentCountReset'), { value: 1 })).status).toBe(200);
    expect(relay.read('relayCurrentCount')).toBe(0);
    expect(relay.read('relayTotalCount')).toBe(1);
  });

  it('PUT irValue on a WIR takes the signed 16-bit range and nothing beyond', async () => {
    const h = await start();
    const path = '/api/io/ir/WIR-00/irValue';
    expect((await put(h, path, { value: -32768 })).body).toEqual({ value: -32768 });
    expect((await put(h, path, { value: 32767 })).body).toEqual({ value: 32767 });
    expectError(await put(h, path, { value: 32768 }), 400, 202, /-32768\.\.32767/);
    expectError(await put(h, path, { value: -32769 }), 400, 202);
    expectError(await put(h, path, { value: 1.5 }), 400, 202);
    expect(h.device.findIoName('WIR-00')!.read('irValue')).toBe(32767);
  });

  it('refuses PUT on read-only attributes and whole channels with 405 and Allow: GET, OPTIONS', async () => {
    const h = await start();
    for (const path of [io('di', BUTTON, 'diStatus'), io('ai', '45MR-3800-0@AI-00', 'aiValueRaw'), io('di', BUTTON), '/api/sysInfo/device']) {
      const reply = await put(h, path, { value: 1 });
      expectError(reply, 405, 405, /PUT is not allowed/);
      expect(reply.headers.allow).toBe('GET, OPTIONS');
    }
    expect(h.changes).toEqual([]);
  });

  it('refuses a value the channel does not take in its mode with 202', async () => {
    const h = await start();
    // DO-01 is in pulse mode: doStatus follows the pulse train.
    expectError(await put(h, io('do', '45MR-2600-0@DO-01', 'doStatus'), { value: 1 }), 400, 202, /pulse/);
    // AO-01 is disabled (aoMode 0).
    expectError(await put(h, io('ao', '45MR-4420-0@AO-01', 'aoValueRaw'), { value: 1 }), 400, 202, /disabled/);
    expect(h.changes).toEqual([]);
  });
});

describe('device API: headers', () => {
  const cases: [string, Record<string, string | undefined>, number, RegExp][] = [
    ['no Accept', { accept: undefined }, 101, /Accept header is missing/],
    ['Accept: application/json', { accept: 'application/json' }, 101, /names no API version/],
    ['Accept: */*', { accept: '*/*' }, 101, /names no API version/],
    ['Accept: vdn.dac.v1', { accept: 'vdn.dac.v1' }, 101, /vdn\.dac\.v1 is not supported/],
    ['neither header', { accept: undefined, 'content-type': undefined }, 101, /Accept/],
    ['no Content-Type', { 'content-type': undefined }, 102, /Content-Type header is missing/],
    ['Content-Type: text/plain', { 'content-type': 'text/plain' }, 102, /text\/plain is not supported/],
    ['Content-Type: application/vnd.api+json', { 'content-type': 'application/vnd.api+json' }, 102, /not supported/],
    ['a charset other than UTF-8', { 'content-type': 'application/json; charset=latin1' }, 102, /charset=utf-8/],
  ];

  for (const [name, headers, code, detail] of cases) {
    it(`${name} → 400 code ${code}, on GET and PUT alike`, async () => {
      const h = await start();
      expectError(await get(h, '/api/sysInfo', headers), 400, code, detail);
      expectError(await get(h, io('di', BUTTON, 'diStatus'), headers), 400, code, detail);
      expectError(await put(h, io('do', '45MR-2600-0@DO-00', 'doStatus'), { value: 1 }, headers), 400, code, detail);
      expect(h.device.channel(2, 0).read('doStatus')).toBe(0);
    });
  }

  it('takes a charset=utf-8 parameter, case differences and an Accept list naming vdn.dac.v2', async () => {
    const h = await start();
    const variants = [
      { 'content-type': 'application/json; charset=utf-8' },
      { 'content-type': 'Application/JSON;charset="UTF-8"' },
      { accept: 'vdn.dac.v2, application/json;q=0.5' },
      { accept: 'VDN.DAC.V2' },
    ];
    for (const headers of variants) expect((await get(h, '/api/sysInfo', headers)).status, JSON.stringify(headers)).toBe(200);
  });
});

describe('device API: bad bodies', () => {
  const doStatus = io('do', '45MR-2600-0@DO-00', 'doStatus');

  it('answers 201 InvalidJsonFormat to malformed, empty or non-UTF-8 bodies', async () => {
    const h = await start();
    for (const body of ['{"value":', '{value: 1}', "{'value':1}", 'value=1', '{"value":1}}']) {
      expectError(await put(h, doStatus, body), 400, 201, /not JSON/);
    }
    expectError(await put(h, doStatus, ''), 400, 201, /empty/);
    expectError(await put(h, doStatus, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, 201);
    expect(h.changes).toEqual([]);
  });

  it('answers 202 InvalidNodeValue to JSON that is not {"value": number} in range', async () => {
    const h = await start();
    const bodies: [unknown, RegExp][] = [
      [{}, /value/],
      [{ value: '1' }, /value/],
      [{ value: true }, /value/],
      [{ value: null }, /value/],
      [{ value: [1] }, /value/],
      [{ value: 1, slot: 0 }, /slot/],
      [{ Value: 1 }, /Value|value/],
      [[{ value: 1 }], /body/],
      [1, /body/],
      ['"1"', /body/],
      ['null', /body/],
      [{ value: 2 }, /0\.\.1/],
      [{ value: -1 }, /0\.\.1/],
      [{ value: 0.5 }, /integer/],
      ['{"value":1e999}', /Infinity|number/],
    ];
    for (const [body, detail] of bodies) expectError(await put(h, doStatus, typeof body === 'string' ? body : JSON.stringify(body)), 400, 202, detail);
    expect(h.changes).toEqual([]);
  });

  it('inflates a gzip body and refuses a Content-Encoding it does not know with 102', async () => {
    const h = await start();
    const zipped = gzipSync('{"value":1}');
    expect((await put(h, doStatus, zipped, { 'content-encoding': 'gzip' })).body).toEqual({ value: 1 });
    expectError(await put(h, doStatus, '{"value":0}', { 'content-encoding': 'x-unknown' }), 400, 102, /encoding/);
    expect(h.device.channel(2, 0).read('doStatus')).toBe(1);
  });

  it('answers 413 to a body over 1 MB and keeps working', async () => {
    const h = await start();
    const huge = JSON.stringify({ value: 1, pad: 'x'.repeat(1024 * 1024) });
    expectError(await put(h, doStatus, huge), 413, 413, /1 MiB/);
    expect((await put(h, doStatus, { value: 1 })).status).toBe(200);
  });
});

describe('device API: paths and methods', () => {
  it('answers 404 to unknown ioNames, attributes, types and paths', async () => {
    const h = await start();
    const cases: [string, RegExp][] = [
      [io('di', 'GET_Demo@Nope'), /no channel named GET_Demo@Nope/],
      [io('di', 'Nope@Button', 'diStatus'), /no channel named/],
      [io('di', BUTTON, 'doStatus'), /no attribute doStatus/],
      // Counter attributes exist on the first four DIs only.
      [io('di', '45MR-1600-0@DI-05', 'diCounterValue'), /no channel named/],
      [io('di', 'GET_Demo@DI-05', 'diCounterValue'), /no attribute diCounterValue/],
      [io('do', BUTTON, 'diStatus'), /is a di channel, not do/],
      [io('relay', '45MR-2600-0@DO-00'), /is a do channel/],
      [io('di', 'WIR-00', 'irValue'), /is a ir channel/],
      [io('ir', 'WIR-99', 'irValue'), /no channel named WIR-99/],
      [io('xyz', BUTTON), /unknown I\/O type xyz/],
      [io('sys', 'system'), /unknown I\/O type sys/],
      ['/api/io/di', /the I\/O paths are/],
      [`${io('di', BUTTON, 'diStatus')}/extra`, /the I\/O paths are/],
      ['/api/io', /the I\/O paths are/],
      ['/api', /no resource/],
      ['/api/', /no resource/],
      ['/api/sysinfo', /no resource/],
      ['/api/sysInfo/network/LAN/2', /no resource/],
      ['/api/sysInfo/nothing', /no resource/],
      ['/api/io/di/GET_Demo%E0%A4%A/diStatus', /percent-encoding/],
    ];
    for (const [path, detail] of cases) expectError(await get(h, path), 404, 404, detail);
  });

  it('answers other methods with 405 and the Allow header', async () => {
    const h = await start();
    const rw = io('do', '45MR-2600-0@DO-00', 'doStatus');
    for (const [method, path, allow] of [
      ['DELETE', rw, 'GET, PUT, OPTIONS'],
      ['POST', rw, 'GET, PUT, OPTIONS'],
      ['PATCH', io('di', BUTTON, 'diStatus'), 'GET, OPTIONS'],
      ['POST', '/api/sysInfo', 'GET, OPTIONS'],
      ['DELETE', io('ir', 'WIR-00'), 'GET, OPTIONS'],
    ] as const) {
      const reply = await send(h, method, path, { body: '{"value":1}' });
      expectError(reply, 405, 405, new RegExp(`${method} is not allowed`));
      expect(reply.headers.allow).toBe(allow);
    }
    const head = await send(h, 'HEAD', '/api/sysInfo');
    expect(head.status).toBe(405);
    expect(head.headers.allow).toBe('GET, OPTIONS');
    expect(h.changes).toEqual([]);
  });

  it('answers OPTIONS with 204 and Allow, with or without the API headers', async () => {
    const h = await start();
    for (const [path, allow] of [
      ['/api/sysInfo', 'GET, OPTIONS'],
      ['/api/sysInfo/network/LAN/1', 'GET, OPTIONS'],
      [io('di', BUTTON), 'GET, OPTIONS'],
      [io('di', BUTTON, 'diStatus'), 'GET, OPTIONS'],
      [io('di', BUTTON, 'diCounterValue'), 'GET, PUT, OPTIONS'],
      ['/api/io/ir/FIR-00/irValue', 'GET, PUT, OPTIONS'],
    ]) {
      for (const headers of [{}, { accept: undefined, 'content-type': undefined }]) {
        const reply = await send(h, 'OPTIONS', path!, { headers });
        expect(reply.status, path).toBe(204);
        expect(reply.headers.allow).toBe(allow);
        expect(reply.text).toBe('');
      }
    }
    expectError(await send(h, 'OPTIONS', io('di', 'GET_Demo@Nope')), 404, 404);
  });

  it('keeps its error format apart from /sim/v1, which needs neither header', async () => {
    const h = await start();
    const sim = await get(h, '/sim/v1/health', { accept: undefined, 'content-type': undefined });
    expect(sim.status).toBe(200);
    expect(sim.body.status).toBe('ok');
    // Outside /api the emulator's own 404 body applies.
    expect((await get(h, '/apix')).body).toMatchObject({ statusCode: 404, code: 'HTTP_NOT_FOUND' });
  });
});

describe('device API: failures of our own', () => {
  it('answers an unexpected failure with 500 InternalError, logged at error; 4xx are logged at info', async () => {
    const lines: { level: number; msg: string; code?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const h = await start({}, logger);
    const channel = h.device.channel(1, 0);
    channel.values = () => {
      throw new Error('boom');
    };
    expectError(await get(h, io('di', BUTTON)), 500, 500, /internal error/);
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: 'device API request failed', code: 500, component: 'http' })]);
    expectError(await get(h, io('di', 'GET_Demo@Nope')), 404, 404);
    expect(lines[1]).toMatchObject({ level: 30, code: 404, msg: expect.stringMatching(/no channel named/) });
  });
});

describe('device API: the RESTful API service switch', () => {
  it('answers 404 to everything while http.restApi is false, read on every request', async () => {
    const h = await start({ http: { restApi: false } });
    const requests: [string, string, SendOptions][] = [
      ['GET', '/api/sysInfo', {}],
      ['GET', io('di', BUTTON, 'diStatus'), {}],
      ['PUT', io('do', '45MR-2600-0@DO-00', 'doStatus'), { body: '{"value":1}' }],
      ['OPTIONS', '/api/sysInfo', {}],
      ['GET', '/api/sysInfo', { headers: { accept: undefined } }],
      ['GET', '/api/nothing', {}],
      ['DELETE', '/api/sysInfo', {}],
    ];
    for (const [method, path, options] of requests) expectError(await send(h, method, path, options), 404, 404, /RESTful API service is disabled/);
    expect(h.device.channel(2, 0).read('doStatus')).toBe(0);
    h.profile.http.restApi = true;
    expect((await get(h, '/api/sysInfo')).status).toBe(200);
    h.profile.http.restApi = false;
    expectError(await get(h, '/api/sysInfo'), 404, 404);
  });
});

describe('device API: fuzz', () => {
  it('never answers 5xx to bad requests, and bad requests change nothing', async () => {
    const h = await start();
    const random = mulberry32(4510);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const before = JSON.stringify(h.device.snapshot());
    const paths = [
      '/api/sysInfo',
      '/api/sysInfo/device',
      '/api/sysInfo/network/LAN/1',
      io('di', BUTTON),
      io('di', BUTTON, 'diCounterValue'),
      io('di', BUTTON, 'diStatus'),
      io('do', '45MR-2600-0@DO-00', 'doStatus'),
      io('do', '45MR-2600-0@DO-01', 'doPulseOnWidth'),
      io('relay', '45MR-2404-0@RLY-00', 'relayStatus'),
      io('ai', '45MR-3800-0@AI-00', 'aiResetMaxValue'),
      io('ao', '45MR-4420-0@AO-00', 'aoValueScaled'),
      io('rtd', '45MR-6600-0@RTD-00'),
      io('tc', '45MR-6810-0@TC-00'),
      io('sp', '45MR-7210-0@SP-00', 'spLowerLimitValue'),
      '/api/io/ir/WIR-00/irValue',
      '/api/io/ir/FIR-00/irValue',
      '/api/io/%%/x',
      '/api/io/di/%C0%80/diStatus',
      '/api/io/ir/' + 'A'.repeat(5000),
      '/api/../sim/v1/health',
    ];
    const bodies: (() => string | Buffer)[] = [
      () => '{"value":',
      () => '\u0000\u0001',
      () => Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256))),
      () => JSON.stringify({ value: pick(['1', true, null, [], {}, 'NaN']) }),
      () => JSON.stringify({ value: 1, [pick(['slot', 'io', '__proto__', 'constructor', 'valu'])]: 1 }),
      // Out of range for every attribute, a float IR included (float32 tops out near 3.4e38).
      () => JSON.stringify({ value: pick([1e39, -1e39, 1e300]) }),
      () => pick(['1e999', '-1e999', '[]', '{}', 'null', 'true', '"value"', '{"__proto__":{"value":1}}']),
      () => '{"value":1,' + ' '.repeat(1024 * 1024) + '}',
      () => JSON.stringify({ value: 1 }).repeat(2),
      () => '{"value":' + '['.repeat(5000) + ']'.repeat(5000) + '}',
    ];
    const headerSets: (Record<string, string | undefined> | undefined)[] = [
      undefined,
      { accept: undefined },
      { 'content-type': 'text/plain' },
      { accept: 'vdn.dac.v1' },
      { 'content-type': 'application/json; charset=utf-16' },
    ];
    const statuses = new Map<number, number>();
    const check = async (method: string, path: string, options: SendOptions) => {
      const reply = await send(h, method, path, options);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      const what = `${method} ${path} ${JSON.stringify(options.headers)}: ${reply.text.slice(0, 200)}`;
      expect(reply.status, what).toBeGreaterThanOrEqual(400);
      expect(reply.status, what).toBeLessThan(500);
    };
    // Every bad body at every route, with the right headers, so the body is what is judged ...
    for (const path of paths) for (const body of bodies) await check('PUT', path, { body: body() });
    // ... then random methods, headers, paths and bodies.
    for (let i = 0; i < 300; i++) {
      const method = pick(['PUT', 'PUT', 'GET', 'POST', 'DELETE', 'PATCH', 'HEAD']);
      // A GET with the right headers on a real path is a good request; give GETs bad headers.
      const headers = method === 'GET' || method === 'HEAD' ? pick(headerSets.slice(1)) : pick(headerSets);
      await check(method, pick(paths), { headers, body: pick(bodies)() });
    }
    expect(JSON.stringify(h.device.snapshot())).toBe(before);
    expect(h.changes).toEqual([]);
    // The loop reached every kind of refusal.
    expect([...statuses.keys()].sort()).toEqual([400, 404, 405, 413]);
    // ... and the device still answers.
    expect((await put(h, io('do', '45MR-2600-0@DO-00', 'doStatus'), { value: 1 })).status).toBe(200);
  });
});
