import { describe, expect, it } from 'vitest';
import type { IrChannel } from '../../src/device/internal-registers.js';
import { IR_TYPES } from '../../src/device/schema.js';
import { expectSimError, problems, rig } from './helpers.js';

describe('internal registers', () => {
  it('defaults to 48 of each type', () => {
    const { device } = rig();
    for (const type of IR_TYPES) expect(device.internalRegisters[type]).toHaveLength(48);
  });

  it('takes the quantities from the profile', () => {
    const { device } = rig({ internalRegisters: { quantities: { bool: 8, word: 16, dword: 0, float: 2 } } });
    expect(IR_TYPES.map((t) => device.internalRegisters[t].length)).toEqual([8, 16, 0, 2]);
    expect(device.findIoName('WIR-15')).toBeDefined();
    expect(device.findIoName('WIR-16')).toBeUndefined();
    expect(device.findIoName('DIR-00')).toBeUndefined();
  });

  it('refuses more than 256 registers in total', () => {
    expect(problems({ internalRegisters: { quantities: { bool: 100, word: 100, dword: 50, float: 7 } } })).toEqual([
      { file: 'test.yaml', path: 'internalRegisters.quantities', message: 'the device holds at most 256 internal registers in total' },
    ]);
    expect(problems({ internalRegisters: { quantities: { bool: 100, word: 100, dword: 50, float: 6 } } })).toEqual([]);
  });

  it('names registers BIR-00, WIR-00, DIR-00, FIR-00 and finds them by ioName', () => {
    const { device } = rig();
    const ir = device.internalRegisters;
    expect([ir.bool[0]?.ioName, ir.word[0]?.ioName, ir.dword[0]?.ioName, ir.float[0]?.ioName]).toEqual(['BIR-00', 'WIR-00', 'DIR-00', 'FIR-00']);
    expect(ir.word[47]?.ioName).toBe('WIR-47');
    expect(device.findIoName('WIR-03')).toBe(ir.word[3]);
    expect(device.findIoName('FIR-47')).toBe(ir.float[47]);
    expect(device.findIoName('XIR-00')).toBeUndefined();
    const wir = ir.word[3] as IrChannel;
    expect(wir.type).toBe('ir');
    expect(wir.irType).toBe('word');
    expect(wir.index).toBe(3);
    expect(wir.module.slot).toBe(0);
    expect(IR_TYPES.map((t) => ir[t][0]?.mode)).toEqual([0, 1, 2, 3]);
  });

  it.each([
    ['bool', [0, 1], [2, -1, 0.5]],
    ['word', [-32768, 0, 32767], [32768, -32769, 1.5]],
    ['dword', [-2147483648, 2147483647], [2147483648, -2147483649, 0.25]],
    ['float', [-1.5, 0, 3.4e38], [3.5e38, Number.NaN, Number.POSITIVE_INFINITY]],
  ] as const)('%s accepts %j and refuses %j', (type, good, bad) => {
    const { device } = rig();
    const reg = device.internalRegisters[type][0]!;
    for (const value of good) {
      reg.write('irValue', value, 'modbus');
      expect(reg.read('irValue')).toBe(Math.fround(value) === value || type !== 'float' ? value : Math.fround(value));
    }
    const last = reg.read('irValue');
    for (const value of bad) expectSimError(() => reg.write('irValue', value, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(reg.read('irValue')).toBe(last);
  });

  it('rounds FLOAT registers to float32', () => {
    const { device } = rig();
    const fir = device.internalRegisters.float[0]!;
    fir.write('irValue', 0.1, 'rest');
    expect(fir.read('irValue')).toBe(Math.fround(0.1));
    expect(fir.read('irValue')).not.toBe(0.1);
    fir.write('irValue', 3.4e38, 'rest');
    expect(fir.read('irValue')).toBe(Math.fround(3.4e38));
  });

  it('sets initial values from the profile without emitting events or using up seq', () => {
    const r = rig({
      internalRegisters: {
        initial: [
          { type: 'word', index: 2, value: -5 },
          { type: 'float', index: 0, value: 1.1 },
          { type: 'bool', index: 47, value: 1 },
        ],
      },
    });
    const ir = r.device.internalRegisters;
    expect(ir.word[2]?.read('irValue')).toBe(-5);
    expect(ir.float[0]?.read('irValue')).toBe(Math.fround(1.1));
    expect(ir.bool[47]?.read('irValue')).toBe(1);
    expect(r.device.lastSeq).toBe(0);
    expect(r.changes).toEqual([]);
  });

  it('reports writes as changes of the head unit, slot 0', () => {
    const r = rig();
    r.device.findIoName('DIR-07')!.write('irValue', 123456, 'rtu');
    expect(r.changes).toEqual([
      { seq: 1, at: r.clock.now(), slot: 0, index: 7, type: 'ir', ioName: 'DIR-07', attribute: 'irValue', value: 123456, previous: 0, source: 'rtu', peer: null },
    ]);
  });

  it('takes no field input and has only irValue', () => {
    const { device } = rig();
    const reg = device.internalRegisters.word[0]!;
    expect(reg.attributes.map((a) => [a.name, a.access])).toEqual([['irValue', 'rw']]);
    expectSimError(() => reg.applyField({ level: 1 }, 'field'), 'DEVICE_NOT_APPLICABLE');
    expectSimError(() => reg.read('value'), 'DEVICE_UNKNOWN_ATTRIBUTE');
  });
});
