import { describe, expect, it } from 'vitest';
import { expectSimError, oneModule, type ChannelInput } from './helpers.js';

const sp = (settings: Omit<ChannelInput, 'index'> = {}) => {
  const r = oneModule('45MR-7210', [{ index: 0, ...settings }]);
  return { ...r, channel: r.ch(0) };
};

describe('SP (45MR-7210)', () => {
  it('starts normal at 24 V with limits 12..48 and field power present', () => {
    const { channel } = sp();
    expect(channel.values()).toEqual({ spStatus: 0, spLowerLimitValue: 12, spUpperLimitValue: 48, fpStatus: 0 });
    expect(channel.field()).toEqual({ voltage: 24, fieldPower: 1 });
  });

  it.each([
    [24, 0],
    [12, 0], // at the lower limit: still normal
    [48, 0],
    [11.9, 1],
    [0, 1],
    [48.1, 2],
  ])('spStatus for %s V is %s', (voltage, status) => {
    const { channel } = sp();
    channel.applyField({ voltage }, 'field');
    expect(channel.read('spStatus')).toBe(status);
  });

  it('reports spStatus changes when the voltage or a limit moves', () => {
    const r = sp();
    r.channel.applyField({ voltage: 10 }, 'field');
    r.channel.write('spLowerLimitValue', 9, 'rest');
    r.channel.write('spUpperLimitValue', 9.5, 'rest');
    expect(r.changesOf('spStatus').map((c) => [c.value, c.previous, c.source])).toEqual([
      [1, 0, 'field'],
      [0, 1, 'rest'],
      [2, 0, 'rest'],
    ]);
  });

  it('takes voltage and limits from the profile', () => {
    const { channel } = sp({ voltage: 20, lowerLimit: 21, upperLimit: 30 });
    expect(channel.read('spStatus')).toBe(1);
    expect(channel.read('spLowerLimitValue')).toBe(21);
  });

  it('sets fpStatus from field power', () => {
    const r = sp();
    r.channel.applyField({ fieldPower: 0 }, 'field');
    expect(r.channel.read('fpStatus')).toBe(1);
    expect(r.channel.field()).toMatchObject({ fieldPower: 0 });
    r.channel.applyField({ fieldPower: 1 }, 'field');
    expect(r.channel.read('fpStatus')).toBe(0);
    expect(r.changesOf('fpStatus').map((c) => c.value)).toEqual([1, 0]);
  });

  it('range-checks the limits and keeps the statuses read-only', () => {
    const { channel } = sp();
    expectSimError(() => channel.write('spLowerLimitValue', 60.5, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expectSimError(() => channel.write('spUpperLimitValue', -1, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expectSimError(() => channel.write('spStatus', 0, 'modbus'), 'DEVICE_READ_ONLY');
    expectSimError(() => channel.write('fpStatus', 0, 'modbus'), 'DEVICE_READ_ONLY');
    expectSimError(() => channel.applyField({ level: 1 }, 'field'), 'DEVICE_NOT_APPLICABLE');
    channel.write('spLowerLimitValue', 10.5, 'modbus'); // a float
    expect(channel.read('spLowerLimitValue')).toBe(10.5);
  });

  it('has no channels on the 7820', () => {
    const r = oneModule('45MR-7820');
    expect(r.device.module(1).channels).toEqual([]);
    expectSimError(() => r.ch(0), 'DEVICE_UNKNOWN_CHANNEL');
  });
});
