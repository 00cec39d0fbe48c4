import { describe, expect, it } from 'vitest';
import { AO_RANGES } from '../../src/device/ao.js';
import { expectSimError, oneModule, type ChannelInput } from './helpers.js';

function ao(mode: number | string, settings: Omit<ChannelInput, 'index' | 'mode'> = {}) {
  const r = oneModule('45MR-4420', [{ index: 0, mode, ...settings }]);
  return { ...r, channel: r.ch(0) };
}

describe('AO', () => {
  it('documents the ranges of modes 1..4', () => {
    expect(AO_RANGES).toEqual({
      1: { lo: 0, hi: 10, unit: 'V' },
      2: { lo: 0, hi: 20, unit: 'mA' },
      3: { lo: 4, hi: 20, unit: 'mA' },
      4: { lo: -10, hi: 10, unit: 'V' },
    });
  });

  type Pair = [number, number];
  describe.each<[number, Pair[], Pair[]]>([
    // mode, [scaled written, raw read], [raw written, scaled read]
    [1, [[0, 0], [5, 32768], [10, 65535], [2.5, 16384]], [[0, 0], [65535, 10], [13107, 2]]],
    [2, [[0, 0], [10, 32768], [20, 65535]], [[0, 0], [65535, 20], [16384, 20 * (16384 / 65535)]]],
    [3, [[4, 0], [12, 32768], [20, 65535], [8, 16384]], [[0, 4], [65535, 20], [32768, 4 + 16 * (32768 / 65535)]]],
    [4, [[-10, 0], [0, 32768], [10, 65535], [-5, 16384]], [[0, -10], [65535, 10], [49151, -10 + 20 * (49151 / 65535)]]],
  ])('mode %i', (mode, scaledToRaw, rawToScaled) => {
    it.each(scaledToRaw)('aoValueScaled %s -> aoValueRaw %s', (scaled, raw) => {
      const r = ao(mode);
      r.channel.write('aoValueScaled', scaled, 'rest');
      expect(r.channel.read('aoValueRaw')).toBe(raw);
      expect(r.channel.read('aoValueScaled')).toBeCloseTo(scaled, 3);
    });

    it.each(rawToScaled)('aoValueRaw %s -> aoValueScaled %s', (raw, scaled) => {
      const r = ao(mode);
      r.channel.write('aoValueRaw', raw, 'modbus');
      expect(r.channel.read('aoValueRaw')).toBe(raw);
      expect(r.channel.read('aoValueScaled')).toBeCloseTo(scaled, 9);
      expect(r.channel.field()).toMatchObject({ output: r.channel.read('aoValueScaled'), unit: AO_RANGES[mode]?.unit });
    });

    it('refuses scaled values outside the range and raw values outside 0..65535', () => {
      const r = ao(mode);
      const range = AO_RANGES[mode]!;
      const error = expectSimError(() => r.channel.write('aoValueScaled', range.hi + 0.1, 'rest'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expect(error.context).toMatchObject({ attribute: 'aoValueScaled', min: range.lo, max: range.hi });
      expectSimError(() => r.channel.write('aoValueScaled', range.lo - 0.1, 'rest'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => r.channel.write('aoValueRaw', 65536, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => r.channel.write('aoValueRaw', -1, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => r.channel.write('aoValueRaw', 1.5, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expect(r.channel.read('aoValueRaw')).toBe(0);
      expect(r.changes).toEqual([]);
    });
  });

  it('starts at the bottom of the range, or at the profile output', () => {
    expect(ao('4-20mA').channel.values()).toEqual({ aoMode: 3, aoValueRaw: 0, aoValueScaled: 4, aoStatus: 0 });
    expect(ao('0-10V', { output: 5 }).channel.read('aoValueRaw')).toBe(32768);
    expect(ao('+-10V', { output: 10 }).channel.read('aoValueRaw')).toBe(65535);
  });

  it('reports both views of a write as events with the writer as source', () => {
    const r = ao(1);
    r.channel.write('aoValueScaled', 10, 'mqtt');
    expect(r.changes.map((c) => [c.attribute, c.value, c.previous, c.source])).toEqual([
      ['aoValueRaw', 65535, 0, 'mqtt'],
      ['aoValueScaled', 10, 0, 'mqtt'],
    ]);
  });

  it('makes aoMode and aoStatus read-only', () => {
    const r = ao(1);
    expectSimError(() => r.channel.write('aoMode', 2, 'modbus'), 'DEVICE_READ_ONLY');
    expectSimError(() => r.channel.write('aoStatus', 1, 'modbus'), 'DEVICE_READ_ONLY');
  });

  it('sets aoStatus from a field fault and clears it', () => {
    const r = ao(3);
    r.channel.applyField({ fault: true }, 'field');
    expect(r.channel.read('aoStatus')).toBe(1);
    expect(r.channel.field()).toMatchObject({ fault: true });
    r.channel.write('aoValueScaled', 12, 'rest'); // still writable while faulted
    expect(r.channel.read('aoStatus')).toBe(1);
    r.channel.applyField({ fault: false }, 'field');
    expect(r.channel.read('aoStatus')).toBe(0);
    expect(r.changesOf('aoStatus').map((c) => [c.value, c.source])).toEqual([
      [1, 'field'],
      [0, 'field'],
    ]);
    expectSimError(() => r.channel.applyField({ level: 1 }, 'field'), 'DEVICE_NOT_APPLICABLE');
  });

  it('refuses writes to a disabled channel', () => {
    const r = ao('disable');
    expect(r.channel.values()).toEqual({ aoMode: 0, aoValueRaw: 0, aoValueScaled: 0, aoStatus: 0 });
    expectSimError(() => r.channel.write('aoValueRaw', 100, 'modbus'), 'DEVICE_NOT_APPLICABLE');
    expectSimError(() => r.channel.write('aoValueScaled', 0, 'modbus'), 'DEVICE_NOT_APPLICABLE');
    expectSimError(() => r.channel.write('aoValueScaled', 1, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(r.channel.read('aoValueRaw')).toBe(0);
  });
});
