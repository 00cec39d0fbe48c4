/**
 * The MQTT topic table (src/config/sections.ts MQTT_TOPICS, M-EZ p=118-119) against the device
 * model: every attribute of every module model and internal register is in the table with the
 * same value/attribute class, and the table names nothing the model lacks. Also the topic-name
 * helpers and the payload encoding.
 */
import { describe, expect, it } from 'vitest';
import { globToRegExp, MQTT_TOPICS } from '../../src/config/sections.js';
import { allModels } from '../../src/device/catalog.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { deviceSpecSchema } from '../../src/device/schema.js';
import { profileSchema } from '../../src/config/profile.js';
import { encodePayload, isoTime, parseWriteTopic, readTopic, resolveTopics, writeAttribute } from '../../src/mqtt/topics.js';

function everything(): Device {
  const slots = allModels().map((m, i) => ({ slot: i + 1, module: m.model }));
  // Counter and pulse attributes exist only in those modes.
  const spec = deviceSpecSchema.parse({ slots, internalRegisters: { quantities: { bool: 1, word: 1, dword: 1, float: 1 } } });
  for (const slot of spec.slots) {
    if (slot.module === '45MR-1600') slot.channels = [{ index: 0, mode: 'counter' }];
    if (slot.module === '45MR-2600') slot.channels = [{ index: 0, mode: 'pulse' }];
  }
  return new Device(spec, new ManualClock());
}

describe('MQTT topic table', () => {
  it('lists every attribute of the model with its topic class, and nothing else', () => {
    const device = everything();
    const seen = new Map<string, string>();
    for (const channel of device.allChannels()) for (const a of channel.attributes) seen.set(a.name, a.topicClass);
    expect(Object.fromEntries([...seen].sort())).toEqual(Object.fromEntries(Object.entries(MQTT_TOPICS).map(([name, t]) => [name, t.class]).sort()));
  });

  it('allows OnChange exactly where the manual does (M-EZ p=118-119)', () => {
    const both = Object.entries(MQTT_TOPICS).filter(([, t]) => t.allowed === 'both').map(([n]) => n).sort();
    expect(both).toEqual(
      ['diStatus', 'diCounterStatus', 'doStatus', 'doPulseStatus', 'relayStatus', 'aoStatus', 'rtdStatus', 'tcStatus', 'aiValueScaled', 'aoValueScaled', 'rtdValueScaled', 'tcValueScaled']
        // ASSUMPTION: status-like topics the manual's lists leave out.
        .concat(['aiStatus', 'spStatus', 'fpStatus', 'irValue'])
        .sort(),
    );
    expect(MQTT_TOPICS.aiValueScaled?.default).toBe('interval');
    expect(MQTT_TOPICS.diStatus?.default).toBe('onChange');
    expect(MQTT_TOPICS.diCounterValue).toEqual({ class: 'value', allowed: 'interval', default: 'interval' });
    expect(MQTT_TOPICS.relayCurrentCount).toEqual({ class: 'value', allowed: 'interval', default: 'interval' });
  });
});

describe('topic names and payloads', () => {
  it('builds and parses the device’s topic names', () => {
    expect(readTopic('ioThinx_4510', '45MR-2606-0@DO-00', 'doStatus')).toBe('ioThinx_4510/read/45MR-2606-0@DO-00/doStatus');
    expect(parseWriteTopic('ioThinx_4510', 'ioThinx_4510/write/45MR-2606-0@DO-01/doStatus')).toEqual({ ioName: '45MR-2606-0@DO-01', parameter: 'doStatus' });
    expect(parseWriteTopic('ioThinx_4510', 'other/write/x/doStatus')).toBeUndefined();
    expect(parseWriteTopic('ioThinx_4510', 'ioThinx_4510/read/x/doStatus')).toBeUndefined();
    expect(parseWriteTopic('ioThinx_4510', 'ioThinx_4510/write/x/y/z')).toBeUndefined();
    expect(parseWriteTopic('ioThinx_4510', 'ioThinx_4510/write//doStatus')).toBeUndefined();
  });

  it('accepts birValue/wirValue/dirValue/firValue for irValue (M-EZ p=120)', () => {
    const device = everything();
    const [bir, wir] = [device.internalRegisters.bool[0]!, device.internalRegisters.word[0]!];
    expect(writeAttribute(bir, 'birValue')).toBe('irValue');
    expect(writeAttribute(wir, 'wirValue')).toBe('irValue');
    expect(writeAttribute(wir, 'birValue')).toBe('birValue');
  });

  it('encodes {"value": n} with or without the ts key', () => {
    expect(encodePayload(1, Date.UTC(2026, 0, 1), false)).toBe('{"value":1}');
    expect(encodePayload(-2.5, Date.UTC(2026, 0, 1, 0, 0, 1, 500), true)).toBe('{"value":-2.5,"ts":"2026-01-01T00:00:01.500Z"}');
  });

  it('formats "ts" as Date.prototype.toISOString does, which it replaces for speed (#19)', () => {
    const times = [0, -1, 1.9, -1.9, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) - 1, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(1969, 11, 31, 12, 0, 0, 7), 8.64e15, -8.64e15, Date.UTC(10000, 0, 1, 1, 2, 3, 40)];
    for (let i = 0; i < 2000; i++) times.push(Math.floor(1.7e12 + i * 7_919_333.7));
    for (const t of times) expect(isoTime(t), String(t)).toBe(new Date(t).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });

  it('matches profile globs literally apart from * and ?', () => {
    expect(globToRegExp('45MR-1600-0@DI-0?').test('45MR-1600-0@DI-07')).toBe(true);
    expect(globToRegExp('*@AI-*').test('45MR-3800-0@AI-00')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('a+b').test('a+b')).toBe(true);
  });
});

describe('resolveTopics: one plan per rule list and rail', () => {
  const rules = profileSchema.parse({}).mqtt;
  const deviceOf = (name: string, slots: unknown[]) => new Device(deviceSpecSchema.parse({ device: { name }, slots, internalRegisters: { quantities: { bool: 1, word: 1, dword: 1, float: 1 } } }), new ManualClock());
  const names = (topics: { topic: string }[]) => topics.map((t) => t.topic);

  it('gives devices that share rules and rail their own names, and a different rail its own topics', () => {
    const mqtt = { ...rules, topics: [{ ioName: '*', parameter: '*', enabled: true }] } as typeof rules;
    const a = resolveTopics(deviceOf('line-a', [{ slot: 1, module: '45MR-2600' }]), mqtt);
    const b = resolveTopics(deviceOf('line-b', [{ slot: 1, module: '45MR-2600' }]), mqtt);
    expect(names(b.topics)).toEqual(names(a.topics).map((t) => t.replace(/^line-a\//, 'line-b/')));
    expect(b.topics[0]?.channel).not.toBe(a.topics[0]?.channel);
    const other = resolveTopics(deviceOf('line-c', [{ slot: 1, module: '45MR-1600' }]), mqtt);
    expect(names(other.topics).some((t) => t.includes('diStatus'))).toBe(true);
    expect(names(other.topics).some((t) => t.includes('doStatus'))).toBe(false);
    // Back to the first rail with the same rule list: its topics again, not the DI rail's.
    expect(names(resolveTopics(deviceOf('line-d', [{ slot: 1, module: '45MR-2600' }]), mqtt).topics)).toEqual(names(a.topics).map((t) => t.replace(/^line-a\//, 'line-d/')));
  });

  it('re-plans when the defaults change under the same rule list, and keeps only enabled topics', () => {
    const topics = [{ ioName: '*@DO-0?', parameter: 'doStatus', enabled: true }];
    const device = deviceOf('d', [{ slot: 1, module: '45MR-2600' }]);
    const qos0 = resolveTopics(device, { ...rules, topics, defaults: { ...rules.defaults, qos: 0 } } as typeof rules).topics;
    const qos2 = resolveTopics(device, { ...rules, topics, defaults: { ...rules.defaults, qos: 2 } } as typeof rules).topics;
    expect(qos0.map((t) => t.qos)).toEqual(qos0.map(() => 0));
    expect(qos2.map((t) => t.qos)).toEqual(qos0.map(() => 2));
    expect(qos0.every((t) => t.enabled && t.parameter === 'doStatus')).toBe(true);
    expect(qos0).toHaveLength(10); // DO-00..DO-09 of the 16
  });
});
