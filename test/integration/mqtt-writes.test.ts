/**
 * Write topics `{deviceName}/write/{ioName}/{parameter}` with `{"value": n}` (M-EZ p=120): good
 * writes go through the channel's write path with source 'mqtt'; bad ones are refused, counted,
 * logged at most once per 10 s of device time, and change nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceChange } from '../../src/device/device.js';
import type { WriteResult } from '../../src/mqtt/writes.js';
import { capturedLogger, startMqtt, stopMqtt, subscriber, type MqttFixture } from '../helpers/mqtt-harness.js';

afterEach(stopMqtt);

const PROFILE = {
  device: { name: 'rig' },
  slots: [
    { slot: 1, module: '45MR-2600', channels: [{ index: 2, mode: 'pulse' }] },
    { slot: 2, module: '45MR-1600', channels: [{ index: 0, mode: 'counter' }] },
    { slot: 3, module: '45MR-4420', channels: [{ index: 0, mode: '0-10V' }] },
  ],
  internalRegisters: { quantities: { bool: 1, word: 2, dword: 1, float: 1 } },
  mqtt: {
    enabled: true,
    publishOnStart: false,
    defaults: { qos: 1 as const, trigger: 'onChangeWhereAllowed' as const },
    topics: [{ ioName: '45MR-2600-0@*', class: 'value' as const, enabled: true }, { ioName: '?IR-*', enabled: true }],
  },
};

/** Publishes as the user and resolves with the service's verdict on each message. */
async function writeAll(f: MqttFixture, messages: [string, string][]): Promise<WriteResult[]> {
  const user = await subscriber(f.broker.port, []);
  const results: WriteResult[] = [];
  const done = new Promise<void>((resolve) => {
    const onWrite = (r: WriteResult) => {
      results.push(r);
      if (results.length === messages.length) {
        f.service.events.off('write', onWrite);
        resolve();
      }
    };
    f.service.events.on('write', onWrite);
  });
  for (const [topic, payload] of messages) await user.client.publishAsync(topic, payload, { qos: 1 });
  await done;
  return results;
}

describe('write topics', () => {
  it('switches a DO from {"value": 1}, as source mqtt, and publishes the new doStatus', async () => {
    const f = await startMqtt(PROFILE);
    const sub = await subscriber(f.broker.port, ['rig/read/#']);
    const changes: DeviceChange[] = [];
    f.device.onChange((c) => changes.push(c));
    const [result] = await writeAll(f, [['rig/write/45MR-2600-0@DO-01/doStatus', '{"value":1}']]);
    expect(result).toEqual({ topic: 'rig/write/45MR-2600-0@DO-01/doStatus', accepted: true });
    expect(f.device.channel(1, 1).read('doStatus')).toBe(1);
    expect(changes).toEqual([expect.objectContaining({ ioName: '45MR-2600-0@DO-01', attribute: 'doStatus', value: 1, previous: 0, source: 'mqtt' })]);
    const [m] = await sub.waitFor((m) => m.topic === 'rig/read/45MR-2600-0@DO-01/doStatus');
    expect(m?.json).toMatchObject({ value: 1 });
    expect(f.service.status()).toMatchObject({ received: 1, rejectedWrites: 0 });
  });

  it('#15: a throwing write or message listener is logged; the write applies, publishes, and the other listeners hear it', async () => {
    const { logger, lines } = capturedLogger();
    const f = await startMqtt(PROFILE, { logger });
    const sub = await subscriber(f.broker.port, ['rig/read/#']);
    const heard: string[] = [];
    f.service.events.on('message', () => {
      throw new Error('bad log subscriber');
    });
    f.service.events.on('write', () => {
      throw new Error('bad write subscriber');
    });
    f.service.events.on('message', (m) => heard.push(`${m.direction} ${m.topic}`));
    const [result] = await writeAll(f, [['rig/write/45MR-2600-0@DO-01/doStatus', '{"value":1}']]);
    expect(result).toEqual({ topic: 'rig/write/45MR-2600-0@DO-01/doStatus', accepted: true });
    expect(f.device.channel(1, 1).read('doStatus')).toBe(1);
    await sub.waitFor((m) => m.topic === 'rig/read/45MR-2600-0@DO-01/doStatus');
    expect(heard).toEqual(['in rig/write/45MR-2600-0@DO-01/doStatus', 'out rig/read/45MR-2600-0@DO-01/doStatus']);
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg).sort()).toEqual(['message listener failed', 'message listener failed', 'write listener failed']);
  });

  it('writes internal registers, attributes and floats in range', async () => {
    const f = await startMqtt(PROFILE);
    const results = await writeAll(f, [
      ['rig/write/WIR-01/irValue', '{"value":-1234}'],
      // The manual's subscribe list spells the IR parameters birValue/wirValue/dirValue/firValue.
      ['rig/write/DIR-00/dirValue', '{"value":70000}'],
      ['rig/write/FIR-00/firValue', '{"value":2.5}'],
      ['rig/write/45MR-2600-0@DO-02/doPulseCount', '{"value":3}'],
      ['rig/write/45MR-1600-0@DI-00/diCounterValue', '{"value":4294967295}'],
      ['rig/write/45MR-4420-0@AO-00/aoValueScaled', '{"value":7.5}'],
    ]);
    expect(results.every((r) => r.accepted)).toBe(true);
    expect(f.device.internalRegisters.word[1]?.read('irValue')).toBe(-1234);
    expect(f.device.internalRegisters.dword[0]?.read('irValue')).toBe(70000);
    expect(f.device.internalRegisters.float[0]?.read('irValue')).toBe(2.5);
    expect(f.device.channel(1, 2).read('doPulseCount')).toBe(3);
    expect(f.device.channel(2, 0).read('diCounterValue')).toBe(4294967295);
    expect(f.device.channel(3, 0).read('aoValueScaled')).toBeCloseTo(7.5, 3);
  });

  it('refuses bad writes, counts them, changes nothing, and logs at most once per 10 s', async () => {
    const { logger, lines } = capturedLogger();
    const f = await startMqtt(PROFILE, { logger });
    const before = f.device.snapshot();
    const changes: DeviceChange[] = [];
    f.device.onChange((c) => changes.push(c));
    const bad: [string, string, string][] = [
      ['rig/write/45MR-2600-0@DO-01/doStatus', 'on', 'MQTT_BAD_WRITE'],
      ['rig/write/45MR-2600-0@DO-01/doStatus', '{"val":1}', 'MQTT_BAD_WRITE'],
      ['rig/write/45MR-2600-0@DO-01/doStatus', '{"value":"1"}', 'MQTT_BAD_WRITE'],
      ['rig/write/45MR-2600-0@DO-01/doStatus', '[1]', 'MQTT_BAD_WRITE'],
      ['rig/write/45MR-2600-0@DO-01/doStatus', '{"value":2}', 'DEVICE_VALUE_OUT_OF_RANGE'],
      ['rig/write/45MR-2600-0@DO-01/doStatus', '{"value":0.5}', 'DEVICE_VALUE_OUT_OF_RANGE'],
      ['rig/write/45MR-2600-0@DO-02/doStatus', '{"value":1}', 'DEVICE_NOT_APPLICABLE'],
      ['rig/write/45MR-1600-0@DI-03/diStatus', '{"value":1}', 'DEVICE_READ_ONLY'],
      ['rig/write/45MR-2600-0@DO-01/doStatu', '{"value":1}', 'MQTT_BAD_WRITE'],
      ['rig/write/45MR-9999-0@DO-01/doStatus', '{"value":1}', 'MQTT_BAD_WRITE'],
      ['rig/write/WIR-00/irValue', '{"value":40000}', 'DEVICE_VALUE_OUT_OF_RANGE'],
      ['rig/write/WIR-00/birValue', '{"value":1}', 'MQTT_BAD_WRITE'],
      ['rig/write/45MR-4420-0@AO-00/aoValueScaled', '{"value":10.5}', 'DEVICE_VALUE_OUT_OF_RANGE'],
      ['rig/write/45MR-2600-0@DO-01/doStatus', `{"value":1,"pad":"${'x'.repeat(2000)}"}`, 'MQTT_BAD_WRITE'],
    ];
    const results = await writeAll(f, bad.map(([t, p]) => [t, p]));
    expect(results.map((r) => [r.accepted, r.error?.code])).toEqual(bad.map(([, , code]) => [false, code]));
    expect(results[0]?.error?.message).toBe('rig/write/45MR-2600-0@DO-01/doStatus: payload is not JSON; send {"value": n}');
    expect(f.service.status()).toMatchObject({ received: bad.length, rejectedWrites: bad.length });
    expect(changes).toEqual([]);
    expect(f.device.snapshot()).toEqual(before);
    // One log line for the burst; the next window's line says how many went unlogged.
    expect(lines.filter((l) => l.msg.startsWith('MQTT write refused'))).toHaveLength(1);
    f.clock.advance(10_000);
    await writeAll(f, [['rig/write/nothing/here', '{"value":1}']]);
    const logged = lines.filter((l) => l.msg.startsWith('MQTT write refused'));
    expect(logged).toHaveLength(2);
    expect(logged[1]).toMatchObject({ unlogged: bad.length - 1, code: 'MQTT_BAD_WRITE', topic: 'rig/write/nothing/here' });
  });

  it('subscribes to nothing when writes are disabled', async () => {
    const f = await startMqtt({ ...PROFILE, mqtt: { ...PROFILE.mqtt, writes: { enabled: false } } });
    const user = await subscriber(f.broker.port, []);
    await user.client.publishAsync('rig/write/45MR-2600-0@DO-01/doStatus', '{"value":1}', { qos: 1 });
    // A round trip through the broker to the emulator's own topic proves the write had its chance.
    const sub = await subscriber(f.broker.port, ['rig/read/#']);
    f.device.channel(1, 0).write('doStatus', 1, 'rest');
    await sub.waitFor((m) => m.topic.endsWith('@DO-00/doStatus'));
    expect(f.device.channel(1, 1).read('doStatus')).toBe(0);
    expect(f.service.status().received).toBe(0);
  });
});
