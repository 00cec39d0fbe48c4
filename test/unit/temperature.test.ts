import { describe, expect, it } from 'vitest';
import { RTD_RANGES, TC_RANGES } from '../../src/device/temperature.js';
import { expectSimError, oneModule, problems, type ChannelInput } from './helpers.js';

const rtd = (settings: Omit<ChannelInput, 'index'> = {}) => {
  const r = oneModule('45MR-6600', [{ index: 0, ...settings }]);
  return { ...r, channel: r.ch(0) };
};
const tc = (settings: Omit<ChannelInput, 'index'> = {}) => {
  const r = oneModule('45MR-6810', [{ index: 0, ...settings }]);
  return { ...r, channel: r.ch(0) };
};

describe('RTD and TC', () => {
  it('names the RTD attributes rtd... with rtdMode', () => {
    expect(rtd().channel.attributes.map((a) => [a.name, a.access])).toEqual([
      ['rtdMode', 'r'],
      ['rtdValueScaled', 'r'],
      ['rtdValueScaledMin', 'r'],
      ['rtdValueScaledMax', 'r'],
      ['rtdResetMinValue', 'rw'],
      ['rtdResetMaxValue', 'rw'],
      ['rtdStatus', 'r'],
    ]);
  });

  it('names the TC attributes tc... with tcType', () => {
    expect(tc().channel.attributes.map((a) => a.name)).toEqual([
      'tcType',
      'tcValueScaled',
      'tcValueScaledMin',
      'tcValueScaledMax',
      'tcResetMinValue',
      'tcResetMaxValue',
      'tcStatus',
    ]);
    expectSimError(() => tc().channel.read('rtdMode'), 'DEVICE_UNKNOWN_ATTRIBUTE');
  });

  it('starts at 25 °C in a temperature mode and at the profile temperature when given', () => {
    const r = rtd();
    expect(r.channel.values()).toEqual({
      rtdMode: 1,
      rtdValueScaled: 25,
      rtdValueScaledMin: 25,
      rtdValueScaledMax: 25,
      rtdResetMinValue: 0,
      rtdResetMaxValue: 0,
      rtdStatus: 0,
    });
    expect(tc({ temperature: 300 }).channel.read('tcValueScaled')).toBe(300);
    expect(rtd({ mode: '310ohm' }).channel.read('rtdValueScaled')).toBe(0);
  });

  it('sets the value from a field temperature and tracks min/max with resets', () => {
    const r = rtd();
    const c = r.channel;
    c.applyField({ temperature: 100 }, 'field');
    c.applyField({ temperature: -50.5 }, 'field');
    c.applyField({ temperature: 20 }, 'field');
    expect(c.values()).toMatchObject({ rtdValueScaled: 20, rtdValueScaledMin: -50.5, rtdValueScaledMax: 100 });
    c.write('rtdResetMinValue', 1, 'rest');
    expect(c.read('rtdValueScaledMin')).toBe(20);
    expect(c.read('rtdValueScaledMax')).toBe(100);
    c.write('rtdResetMaxValue', 1, 'rest');
    expect(c.read('rtdValueScaledMax')).toBe(20);
    c.write('rtdResetMaxValue', 0, 'rest'); // 0 does nothing
    expect(r.changesOf('rtdValueScaled').map((e) => [e.value, e.source])).toEqual([
      [100, 'field'],
      [-50.5, 'field'],
      [20, 'field'],
    ]);
    expect(r.changesOf('rtdValueScaledMax').map((e) => [e.value, e.source])).toEqual([
      [100, 'field'],
      [20, 'rest'],
    ]);
  });

  it('refuses a temperature outside the sensor range, naming the range, and changes nothing', () => {
    const r = rtd(); // PT100: -200..850 °C
    const error = expectSimError(() => r.channel.applyField({ temperature: 851 }, 'field'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(error.message).toContain('-200..850 °C');
    expect(error.context).toMatchObject({ min: -200, max: 850, field: 'temperature' });
    expectSimError(() => r.channel.applyField({ temperature: -201 }, 'field'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expectSimError(() => r.channel.applyField({ temperature: Number.POSITIVE_INFINITY }, 'field'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(r.channel.read('rtdValueScaled')).toBe(25);
    expect(r.channel.read('rtdValueScaledMax')).toBe(25);
    expect(r.changes).toEqual([]);
    r.channel.applyField({ temperature: 850 }, 'field'); // the limits themselves are accepted
    r.channel.applyField({ temperature: -200 }, 'field');
    expect(r.channel.read('rtdValueScaled')).toBe(-200);
  });

  it.each([
    ['rtd', 'NI120', -80, 260],
    ['rtd', 'JPT100', -200, 640],
    ['rtd', '2200ohm', 0, 2200],
    ['tc', 'K', -270, 1372],
    ['tc', 'B', 0, 1820],
    ['tc', '+-19.532mV', -19.532, 19.532],
  ] as const)('%s %s accepts %s..%s and nothing beyond', (type, mode, lo, hi) => {
    const r = type === 'rtd' ? rtd({ mode }) : tc({ mode });
    r.channel.applyField({ temperature: lo }, 'field');
    r.channel.applyField({ temperature: hi }, 'field');
    const error = expectSimError(() => r.channel.applyField({ temperature: hi + 1 }, 'field'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(error.message).toContain(`${lo}..${hi}`);
    expectSimError(() => r.channel.applyField({ temperature: lo - 1 }, 'field'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(r.channel.field()).toMatchObject({ temperature: hi });
  });

  it('has a range for every mode but disable', () => {
    expect(Object.keys(RTD_RANGES).map(Number)).not.toContain(50);
    expect(Object.keys(TC_RANGES).map(Number)).not.toContain(50);
    expect(Object.keys(RTD_RANGES)).toHaveLength(18);
    expect(Object.keys(TC_RANGES)).toHaveLength(11);
  });

  it('sets status 1 on burnout and holds the last reading; clears on repair', () => {
    const r = tc();
    r.channel.applyField({ temperature: 400 }, 'field');
    r.channel.applyField({ burnout: true }, 'field');
    expect(r.channel.read('tcStatus')).toBe(1);
    expect(r.channel.read('tcValueScaled')).toBe(400);
    expect(r.channel.field()).toEqual({ temperature: 400, burnout: true, unit: '°C' });
    r.channel.applyField({ burnout: false }, 'field');
    expect(r.channel.read('tcStatus')).toBe(0);
    expect(r.changesOf('tcStatus').map((c) => c.value)).toEqual([1, 0]);
  });

  it('refuses field input on a disabled channel and an empty input', () => {
    const r = rtd({ mode: 'disable' });
    expect(r.channel.read('rtdMode')).toBe(50);
    expect(r.channel.read('rtdValueScaled')).toBe(0);
    expectSimError(() => r.channel.applyField({ temperature: 20 }, 'field'), 'DEVICE_NOT_APPLICABLE');
    expectSimError(() => rtd().channel.applyField({ level: 1 }, 'field'), 'DEVICE_NOT_APPLICABLE');
  });

  it('makes mode, value and status read-only', () => {
    const c = tc().channel;
    for (const attribute of ['tcType', 'tcValueScaled', 'tcStatus', 'tcValueScaledMin']) {
      expectSimError(() => c.write(attribute, 1, 'modbus'), 'DEVICE_READ_ONLY');
    }
  });

  it('refuses a profile temperature outside the sensor range', () => {
    expect(problems({ slots: [{ slot: 1, module: '45MR-6600', channels: [{ index: 2, temperature: 900 }] }] })).toEqual([
      { file: 'test.yaml', path: 'slots.0.channels.0.temperature', message: 'must be within -200..850 °C for this sensor type' },
    ]);
  });
});
