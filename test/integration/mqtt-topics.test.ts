/**
 * MQTT topic layout, payloads and triggers against the embedded broker over real TCP, on the
 * manual clock: `{deviceName}/read/{ioName}/{parameter}`, `{"value": n, "ts"}`, OnChange on a DI
 * level change, Interval on clock ticks, the AI deadband, internal registers as topics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { checkMqttTopics } from '../../src/mqtt/topics.js';
import { NO_IRS, startBroker, startMqtt, stopMqtt, subscriber, VALUE_TOPICS } from '../helpers/mqtt-harness.js';

afterEach(stopMqtt);

const RAIL = [
  { slot: 1, module: '45MR-1600', channels: [{ index: 0, mode: 'counter' }] },
  { slot: 2, module: '45MR-2600' },
  { slot: 3, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA', physical: 12 }] },
];

describe('topic layout and payload', () => {
  it('publishes a DI level change on {deviceName}/read/{ioName}/diStatus as {"value", "ts"}', async () => {
    const f = await startMqtt({ device: { name: 'plant7' }, slots: RAIL, internalRegisters: NO_IRS, mqtt: { ...VALUE_TOPICS, publishOnStart: false } });
    const sub = await subscriber(f.broker.port, ['plant7/read/#']);
    f.clock.advance(1234);
    f.device.channel(1, 3).applyField({ level: 1 }, 'field');
    const [m] = await sub.waitFor((m) => m.topic === 'plant7/read/45MR-1600-0@DI-03/diStatus');
    expect(m?.json).toEqual({ value: 1, ts: '2026-01-01T00:00:01.234Z' });
    expect(m?.qos).toBe(1);
    expect(m?.retain).toBe(false);
    f.device.channel(1, 3).applyField({ level: 0 }, 'field');
    const both = await sub.waitFor((m) => m.topic.endsWith('@DI-03/diStatus'), 2);
    expect(both.map((x) => (x.json as { value: number }).value)).toEqual([1, 0]);
    await f.service.whenSent();
    expect(f.service.status()).toMatchObject({ connected: true, published: 2, queued: 0, dropped: 0 });
  });

  it('sends {"value": n} only when payload.extraKeys is false', async () => {
    const f = await startMqtt({ slots: RAIL, internalRegisters: NO_IRS, mqtt: { ...VALUE_TOPICS, publishOnStart: false, payload: { extraKeys: false } } });
    const sub = await subscriber(f.broker.port);
    f.device.channel(2, 5).write('doStatus', 1, 'modbus');
    const [m] = await sub.waitFor((m) => m.topic === 'ioThinx_4510/read/45MR-2600-0@DO-05/doStatus');
    expect(m?.text).toBe('{"value":1}');
  });

  it('lists every value topic of the rail, internal registers included', async () => {
    const f = await startMqtt({ slots: RAIL, internalRegisters: { quantities: { bool: 0, word: 2, dword: 0, float: 1 } }, mqtt: VALUE_TOPICS });
    const two = (i: number) => String(i).padStart(2, '0');
    expect(f.service.topics().map((t) => t.topic.split('/').slice(2).join('/'))).toEqual([
      ...Array.from({ length: 16 }, (_, i) => [`45MR-1600-0@DI-${two(i)}/diStatus`, ...(i < 4 ? [`45MR-1600-0@DI-${two(i)}/diCounterValue`, `45MR-1600-0@DI-${two(i)}/diCounterStatus`] : [])]).flat(),
      ...Array.from({ length: 16 }, (_, i) => [`45MR-2600-0@DO-${two(i)}/doStatus`, ...(i < 4 ? [`45MR-2600-0@DO-${two(i)}/doPulseStatus`] : [])]).flat(),
      ...Array.from({ length: 8 }, (_, i) => [`45MR-3800-0@AI-${two(i)}/aiValueScaled`, `45MR-3800-0@AI-${two(i)}/aiStatus`]).flat(),
      'WIR-00/irValue',
      'WIR-01/irValue',
      'FIR-00/irValue',
    ]);
    expect(f.service.topics().find((t) => t.topic.endsWith('/diCounterValue'))).toMatchObject({ class: 'value', trigger: 'interval', qos: 1, intervalMs: 10_000 });
    expect(f.service.topics().find((t) => t.topic.endsWith('/aiValueScaled'))).toMatchObject({ class: 'value', trigger: 'onChange', deadband: 0 });
  });

  it('publishes every enabled topic once on the first connection (publishOnStart)', async () => {
    const broker = await startBroker();
    const sub = await subscriber(broker.port, ['ioThinx_4510/read/#']);
    const f = await startMqtt({ slots: RAIL, internalRegisters: NO_IRS, mqtt: VALUE_TOPICS }, { broker });
    const n = f.service.topics().length;
    const got = await sub.waitFor(() => true, n, 'start values');
    expect(new Set(got.map((m) => m.topic)).size).toBe(n);
    expect(got.find((m) => m.topic.endsWith('@AI-00/aiValueScaled'))?.json).toEqual({ value: 12, ts: '2026-01-01T00:00:00.000Z' });
  });

  it('late subscribers get the start values when the topics are retained', async () => {
    const broker = await startBroker();
    const early = await subscriber(broker.port, ['ioThinx_4510/read/#']);
    const f = await startMqtt({ slots: RAIL, internalRegisters: NO_IRS, mqtt: { ...VALUE_TOPICS, defaults: { ...VALUE_TOPICS.defaults, retain: true } } }, { broker });
    const n = f.service.topics().length;
    // Once the broker has forwarded them, it has stored them.
    await early.waitFor(() => true, n, 'start values');
    const late = await subscriber(broker.port, ['ioThinx_4510/read/#']);
    const got = await late.waitFor((m) => m.retain, n, 'retained start values');
    expect(got.find((m) => m.topic.endsWith('@AI-00/aiValueScaled'))?.json).toMatchObject({ value: 12 });
    expect(got.find((m) => m.topic.endsWith('@DI-00/diCounterStatus'))?.json).toMatchObject({ value: 1 });
  });

  it('internal registers are topics: {deviceName}/read/WIR-00/irValue', async () => {
    const f = await startMqtt({ slots: [], internalRegisters: { quantities: { bool: 1, word: 1, dword: 1, float: 1 } }, mqtt: { ...VALUE_TOPICS, publishOnStart: false } });
    const sub = await subscriber(f.broker.port);
    f.device.internalRegisters.word[0]?.write('irValue', -7, 'rtu');
    f.device.internalRegisters.float[0]?.write('irValue', 1.5, 'rtu');
    await sub.waitFor((m) => m.topic === 'ioThinx_4510/read/WIR-00/irValue' && (m.json as { value: number }).value === -7);
    await sub.waitFor((m) => m.topic === 'ioThinx_4510/read/FIR-00/irValue' && (m.json as { value: number }).value === 1.5);
  });
});

describe('triggers on the manual clock', () => {
  it('Interval topics publish the value read at each tick, per intervalMs', async () => {
    const f = await startMqtt({
      slots: RAIL,
      internalRegisters: NO_IRS,
      mqtt: {
        enabled: true,
        publishOnStart: false,
        topics: [
          { ioName: '45MR-1600-0@DI-00', parameter: 'diCounterValue', enabled: true, qos: 1, intervalMs: 2000 },
          { ioName: '45MR-3800-0@AI-00', parameter: 'aiValueScaled', enabled: true, qos: 1, trigger: 'interval', intervalMs: 5000 },
        ],
      },
    });
    const sub = await subscriber(f.broker.port);
    const di = f.device.channel(1, 0);
    di.applyField({ level: 1 }, 'field');
    di.applyField({ level: 0 }, 'field');
    f.clock.advance(1999);
    expect(f.service.status().queued + f.service.status().published).toBe(0);
    f.clock.advance(1);
    await sub.waitFor((m) => m.topic.endsWith('/diCounterValue'), 1);
    di.applyField({ level: 1 }, 'field');
    f.clock.advance(2000);
    const counts = await sub.waitFor((m) => m.topic.endsWith('/diCounterValue'), 2);
    expect(counts.map((m) => (m.json as { value: number }).value)).toEqual([1, 2]);
    expect(counts.map((m) => (m.json as { ts: string }).ts)).toEqual(['2026-01-01T00:00:02.000Z', '2026-01-01T00:00:04.000Z']);
    f.clock.advance(1000);
    const ai = await sub.waitFor((m) => m.topic.endsWith('/aiValueScaled'), 1);
    expect(ai[0]?.json).toMatchObject({ value: 12, ts: '2026-01-01T00:00:05.000Z' });
    // A change on an Interval topic publishes nothing by itself.
    f.device.channel(3, 0).applyField({ physical: 16 }, 'field');
    f.clock.advance(4999);
    f.clock.advance(1);
    const ai2 = await sub.waitFor((m) => m.topic.endsWith('/aiValueScaled'), 2);
    expect(ai2.map((m) => (m.json as { value: number }).value)).toEqual([12, 16]);
    // Closing releases every timer it put on the clock (intervals, keep-alive, connect timeout).
    await f.service.close();
    expect(f.clock.pending()).toBe(0);
  });

  it('AI OnChange publishes only changes of at least the deadband since the last published value', async () => {
    const f = await startMqtt({
      slots: RAIL,
      internalRegisters: NO_IRS,
      mqtt: { enabled: true, publishOnStart: false, topics: [{ ioName: '*@AI-00', parameter: 'aiValueScaled', enabled: true, qos: 1, trigger: 'onChange', deadband: 1 }] },
    });
    const sub = await subscriber(f.broker.port);
    const ai = f.device.channel(3, 0);
    // 4-20 mA scaled to 4-20: the scaled value is the current in mA. Starts at 12.
    for (const mA of [12.5, 12.9, 13.0, 13.4, 11.9, 12.0]) ai.applyField({ physical: mA }, 'field');
    ai.applyField({ physical: 20 }, 'field');
    const got = await sub.waitFor((m) => m.topic.endsWith('/aiValueScaled'), 3);
    expect(got.map((m) => (m.json as { value: number }).value)).toEqual([13, 11.9, 20]);
  });
});

describe('validation', () => {
  const rail = { slots: RAIL };

  it('refuses OnChange on an Interval-only topic, naming the rule', () => {
    const r = profileSchema.safeParse({ ...rail, mqtt: { topics: [{ parameter: 'diCounterValue', enabled: true, trigger: 'onChange' }] } });
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([expect.objectContaining({ path: ['mqtt', 'topics', 0, 'trigger'], message: expect.stringContaining('onChange is not allowed for diCounterValue') })]);
    const attrs = profileSchema.safeParse({ ...rail, mqtt: { topics: [{ class: 'attribute', trigger: 'onChange' }] } });
    expect(attrs.error?.issues[0]?.path).toEqual(['mqtt', 'topics', 0, 'trigger']);
    // The same rule with onChangeWhereAllowed is fine.
    expect(profileSchema.safeParse({ ...rail, mqtt: { topics: [{ trigger: 'onChangeWhereAllowed' }] } }).success).toBe(true);
  });

  it('refuses a parameter no topic has, and a rule that matches nothing on this rail', () => {
    const r = profileSchema.safeParse({ ...rail, mqtt: { topics: [{ parameter: 'doStatuss', enabled: true }] } });
    expect(r.error?.issues[0]?.path).toEqual(['mqtt', 'topics', 0, 'parameter']);
    const profile = profileSchema.parse({ ...rail, mqtt: { topics: [{ class: 'value', enabled: true }, { ioName: '45MR-2404-0@*', enabled: true }] } });
    expect(checkMqttTopics(profile)).toEqual([{ path: ['mqtt', 'topics', 1], message: expect.stringContaining('matches no topic of this device') }]);
  });

  it('enforces the 256 enabled-topic limit (configurable)', async () => {
    // 4 × 48 internal registers + 68 value topics on the rail.
    const big = { slots: [...RAIL, { slot: 4, module: '45MR-2404' }] };
    const profile = profileSchema.parse({ ...big, mqtt: { topics: [{ class: 'value', enabled: true }] } });
    const issues = checkMqttTopics(profile);
    expect(issues).toEqual([{ path: ['mqtt', 'topics'], message: expect.stringMatching(/^260 publish topics are enabled; the device allows at most 256/) }]);
    expect(checkMqttTopics(profileSchema.parse({ ...big, mqtt: { maxTopics: 260, topics: [{ class: 'value', enabled: true }] } }))).toEqual([]);
    await expect(startMqtt({ ...big, mqtt: { enabled: true, topics: [{ class: 'value', enabled: true }] } })).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('mqtt.topics: 260 publish topics') });
  });
});
