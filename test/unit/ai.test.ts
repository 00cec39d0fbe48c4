import { describe, expect, it } from 'vitest';
import { AI_RANGES, AI_STATUS } from '../../src/device/ai.js';
import { expectSimError, oneModule, type ChannelInput } from './helpers.js';

/** One AI channel (index 0) on the module that carries the mode, with extra settings. */
function ai(mode: number, settings: Omit<ChannelInput, 'index' | 'mode'> = {}) {
  const module = mode === 1 || mode === 5 ? '45MR-3810' : '45MR-3800';
  const r = oneModule(module, [{ index: 0, mode, ...settings }]);
  const channel = r.ch(0);
  const feed = (physical: number) => {
    channel.applyField({ physical }, 'field');
    return { raw: channel.read('aiValueRaw'), scaled: channel.read('aiValueScaled'), status: channel.read('aiStatus') };
  };
  return { ...r, channel, feed };
}

describe('AI', () => {
  it('documents the status codes and physical ranges', () => {
    expect(AI_STATUS).toEqual({ normal: 0, burnout: 1, overRange: 2, underRange: 3 });
    expect(AI_RANGES[4]).toEqual({ lo: 4, hi: 20, unit: 'mA' });
    expect(AI_RANGES[0]).toBeUndefined();
  });

  describe('mode 1: 0-10 V', () => {
    it.each([
      [0, 0, 0, 0],
      [2.5, 16384, 2.5, 0], // 0.25 * 65535 = 16383.75
      [5, 32768, 5, 0], // 0.5 * 65535 = 32767.5, rounded half up
      [10, 65535, 10, 0],
      [10.01, 0xffff, 10, 2],
      [-0.5, 0, 0, 3],
    ])('%s V -> raw %s, scaled %s, status %s', (physical, raw, scaled, status) => {
      expect(ai(1).feed(physical)).toEqual({ raw, scaled, status });
    });
  });

  describe('mode 2: 0-20 mA', () => {
    it.each([
      [0, 0, 0, 0],
      [5, 16384, 5, 0],
      [10, 32768, 10, 0],
      [20, 65535, 20, 0],
      [25, 0xffff, 20, 2],
      [-1, 0, 0, 3],
    ])('%s mA -> raw %s, scaled %s, status %s', (physical, raw, scaled, status) => {
      expect(ai(2).feed(physical)).toEqual({ raw, scaled, status });
    });
  });

  describe('mode 3: 4-20 mA with burnout', () => {
    it.each([
      [0, 0, 0, 1],
      [1.99, 0, 0, 1],
      [2, 0, 4, 3], // at the threshold: no burnout, but under the 4 mA range
      [3, 0, 4, 3],
      [4, 0, 4, 0],
      [12, 32768, 12, 0],
      [20, 65535, 20, 0],
      [20.5, 0xffff, 20, 2],
    ])('%s mA -> raw %s, scaled %s, status %s', (physical, raw, scaled, status) => {
      expect(ai(3).feed(physical)).toEqual({ raw, scaled, status });
    });

    it('uses a configured burnout threshold and burnout scaled value', () => {
      const r = ai(3, { burnoutThreshold: 3.5, burnoutValueScaled: -999 });
      expect(r.channel.read('aiBurnoutValueScaled')).toBe(-999);
      expect(r.feed(3.4)).toEqual({ raw: 0, scaled: -999, status: AI_STATUS.burnout });
      expect(r.feed(3.5)).toEqual({ raw: 0, scaled: 4, status: AI_STATUS.underRange });
      expect(r.feed(1)).toEqual({ raw: 0, scaled: -999, status: AI_STATUS.burnout });
    });

    it('reports burnout for a broken wire and restores the reading when it is mended', () => {
      const r = ai(3, { burnoutValueScaled: -1 });
      r.feed(12);
      r.channel.applyField({ burnout: true }, 'field');
      expect(r.channel.read('aiStatus')).toBe(AI_STATUS.burnout);
      expect(r.channel.read('aiValueRaw')).toBe(0);
      expect(r.channel.read('aiValueScaled')).toBe(-1);
      expect(r.channel.field()).toMatchObject({ physical: 12, burnout: true });
      r.channel.applyField({ burnout: false }, 'field');
      expect(r.channel.read('aiStatus')).toBe(AI_STATUS.normal);
      expect(r.channel.read('aiValueRaw')).toBe(32768);
      expect(r.channel.read('aiValueScaled')).toBe(12);
      expect(r.changesOf('aiStatus').map((c) => c.value)).toEqual([1, 0]);
    });

    it('keeps burnout readings out of min/max', () => {
      const r = ai(3, { burnoutValueScaled: -1 });
      r.feed(12);
      r.channel.write('aiResetMinValue', 1, 'sim');
      r.channel.applyField({ burnout: true }, 'field');
      r.channel.applyField({ burnout: false }, 'field');
      expect(r.channel.read('aiValueScaledMin')).toBe(12);
      expect(r.channel.read('aiValueRawMin')).toBe(32768);
    });
  });

  describe('mode 4: 4-20 mA', () => {
    it.each([
      [4, 0, 4, 0],
      [8, 16384, 8, 0],
      [12, 32768, 12, 0], // round(0.5 * 65535 = 32767.5) = 32768
      [20, 65535, 20, 0],
      [20.001, 0xffff, 20, 2],
      [3.99, 0, 4, 3],
      [1, 0, 4, 3], // no burnout in mode 4, just under range
    ])('%s mA -> raw %s, scaled %s, status %s', (physical, raw, scaled, status) => {
      expect(ai(4).feed(physical)).toEqual({ raw, scaled, status });
    });

    it('restores the previous value after {burnout:true} then {burnout:false}', () => {
      const r = ai(4);
      r.feed(12);
      r.channel.applyField({ burnout: true }, 'field');
      expect(r.channel.read('aiStatus')).toBe(AI_STATUS.underRange);
      expect(r.channel.read('aiValueRaw')).toBe(0);
      r.channel.applyField({ burnout: false }, 'field');
      expect(r.channel.values()).toMatchObject({ aiValueRaw: 32768, aiValueScaled: 12, aiStatus: 0 });
    });
  });

  describe('mode 5: ±10 V', () => {
    it.each([
      [-10, 0, -10, 0],
      [-5, 16384, -5, 0],
      [0, 32768, 0, 0],
      [5, 49151, 5, 0], // 0.75 * 65535 = 49151.25
      [10, 65535, 10, 0],
      [10.5, 0xffff, 10, 2],
      [-10.5, 0, -10, 3],
    ])('%s V -> raw %s, scaled %s, status %s', (physical, raw, scaled, status) => {
      expect(ai(5).feed(physical)).toEqual({ raw, scaled, status });
    });
  });

  describe('mode 0: disabled', () => {
    it('reads zeros whatever the input', () => {
      const r = ai(0);
      expect(r.feed(12)).toEqual({ raw: 0, scaled: 0, status: 0 });
      expect(r.feed(-50)).toEqual({ raw: 0, scaled: 0, status: 0 });
      r.channel.applyField({ burnout: true }, 'field');
      expect(r.channel.read('aiStatus')).toBe(0);
      expect(r.channel.read('aiMode')).toBe(0);
      expect(r.changes).toEqual([]);
    });
  });

  it('starts at the bottom of the range by default and at the profile physical value', () => {
    expect(ai(4).channel.values()).toMatchObject({ aiValueRaw: 0, aiValueScaled: 4, aiStatus: 0 });
    expect(ai(1, { physical: 10 }).channel.values()).toMatchObject({ aiValueRaw: 65535, aiValueScaled: 10, aiValueRawMin: 65535 });
  });

  it('scales two-point linearly: 4..20 mA -> 0..100 %', () => {
    const r = ai(4, { scaling: { measured: [4, 20], scaled: [0, 100], unit: '%' } });
    expect(r.channel.read('aiValueScaled')).toBe(0);
    expect(r.feed(12).scaled).toBe(50);
    expect(r.feed(8).scaled).toBe(25);
    expect(r.feed(20).scaled).toBe(100);
    expect(r.feed(25)).toEqual({ raw: 0xffff, scaled: 100, status: 2 }); // clamped to the range
    expect(r.feed(2).scaled).toBe(0);
    expect(r.feed(12).raw).toBe(32768); // raw ignores scaling
    expect((r.channel as import('../../src/device/ai.js').AiChannel).unit).toBe('%');
    expect(r.channel.field()).toEqual({ physical: 12, burnout: false, unit: 'mA', scaledUnit: '%' });
  });

  it('scales between arbitrary measured points, including a falling scale', () => {
    const r = ai(1, { scaling: { measured: [2, 8], scaled: [100, -20], unit: 'bar' } });
    expect(r.feed(2).scaled).toBe(100);
    expect(r.feed(8).scaled).toBe(-20);
    expect(r.feed(5).scaled).toBe(40);
    expect(r.feed(10).scaled).toBe(-60); // extrapolated up to the mode's range
  });

  it('tracks raw and scaled min/max and resets each on command', () => {
    const r = ai(4);
    const c = r.channel;
    r.feed(12);
    r.feed(8);
    expect(c.values()).toMatchObject({ aiValueRawMin: 0, aiValueRawMax: 32768, aiValueScaledMin: 4, aiValueScaledMax: 12 });
    c.write('aiResetMinValue', 1, 'modbus');
    expect(c.values()).toMatchObject({ aiValueRawMin: 16384, aiValueRawMax: 32768, aiValueScaledMin: 8, aiValueScaledMax: 12 });
    c.write('aiResetMaxValue', 1, 'modbus');
    expect(c.values()).toMatchObject({ aiValueRawMin: 16384, aiValueRawMax: 16384, aiValueScaledMin: 8, aiValueScaledMax: 8 });
    r.feed(16);
    r.feed(6);
    expect(c.values()).toMatchObject({ aiValueRawMin: 8192, aiValueRawMax: 49151, aiValueScaledMin: 6, aiValueScaledMax: 16 });
    c.write('aiResetMinValue', 0, 'modbus'); // 0 does nothing
    expect(c.read('aiValueRawMin')).toBe(8192);
    expect(c.read('aiResetMinValue')).toBe(0);
    expect(r.changesOf('aiValueRawMin').find((e) => e.source === 'modbus')).toMatchObject({ value: 16384, previous: 0 });
  });

  it('refuses a physical value beyond ±100 and changes nothing', () => {
    const r = ai(4);
    r.feed(12);
    const before = r.channel.values();
    const seen = r.changes.length;
    const error = expectSimError(() => r.channel.applyField({ physical: 100.5 }, 'field'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(error.message).toContain('±100');
    expectSimError(() => r.channel.applyField({ physical: -101, burnout: true }, 'field'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expectSimError(() => r.channel.applyField({ physical: Number.NaN }, 'field'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(r.channel.values()).toEqual(before);
    expect(r.channel.field()).toMatchObject({ physical: 12, burnout: false });
    expect(r.changes.length).toBe(seen);
    r.channel.applyField({ physical: 100 }, 'field'); // the limit itself is accepted
    expect(r.channel.read('aiStatus')).toBe(AI_STATUS.overRange);
  });

  it('refuses an empty field input and every write but the resets', () => {
    const r = ai(4);
    expectSimError(() => r.channel.applyField({ level: 1 }, 'field'), 'DEVICE_NOT_APPLICABLE');
    for (const attribute of ['aiMode', 'aiValueRaw', 'aiValueScaled', 'aiStatus', 'aiValueRawMin', 'aiBurnoutValueScaled']) {
      expectSimError(() => r.channel.write(attribute, 0, 'modbus'), 'DEVICE_READ_ONLY');
    }
    expectSimError(() => r.channel.write('aiResetMaxValue', 2, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
  });

  it('emits one event per changed attribute with the field source', () => {
    const r = ai(4);
    r.feed(12);
    expect(r.changes.map((c) => [c.attribute, c.value, c.previous, c.source])).toEqual([
      ['aiValueRaw', 32768, 0, 'field'],
      ['aiValueRawMax', 32768, 0, 'field'],
      ['aiValueScaled', 12, 4, 'field'],
      ['aiValueScaledMax', 12, 4, 'field'],
    ]);
  });
});
