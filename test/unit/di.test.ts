import { describe, expect, it } from 'vitest';
import { expectSimError, oneModule } from './helpers.js';

describe('DI', () => {
  it('diStatus follows the field level, with events from the field source', () => {
    const r = oneModule('45MR-1600');
    const di = r.ch(3);
    expect(di.read('diStatus')).toBe(0);
    di.applyField({ level: 1 }, 'field');
    expect(di.read('diStatus')).toBe(1);
    di.applyField({ level: 1 }, 'field'); // no change, no event
    di.applyField({ level: 0 }, 'field');
    expect(di.read('diStatus')).toBe(0);
    expect(r.changesOf('diStatus').map((c) => [c.value, c.previous, c.source])).toEqual([
      [1, 0, 'field'],
      [0, 1, 'field'],
    ]);
  });

  it('starts at the profile level and mode', () => {
    const r = oneModule('45MR-1600', [
      { index: 0, mode: 'counter', counterValue: 42, counterRunning: false },
      { index: 5, level: 1 },
    ]);
    expect(r.ch(0).read('diMode')).toBe(1);
    expect(r.ch(0).read('diCounterValue')).toBe(42);
    expect(r.ch(0).read('diCounterStatus')).toBe(0);
    expect(r.ch(5).read('diStatus')).toBe(1);
    expect(r.ch(5).read('diMode')).toBe(0);
  });

  it('refuses a field input without a level', () => {
    const r = oneModule('45MR-1600');
    expectSimError(() => r.ch(0).applyField({ physical: 3 }, 'field'), 'DEVICE_NOT_APPLICABLE');
  });

  describe('counter mode', () => {
    const counter = () => oneModule('45MR-1600', [{ index: 0, mode: 'counter' }]);
    const pulse = (r: ReturnType<typeof counter>, n: number) => {
      for (let i = 0; i < n; i++) {
        r.ch(0).applyField({ level: 1 }, 'field');
        r.ch(0).applyField({ level: 0 }, 'field');
      }
    };

    it('counts rising edges only', () => {
      const r = counter();
      const di = r.ch(0);
      expect(di.read('diCounterStatus')).toBe(1);
      di.applyField({ level: 1 }, 'field');
      expect(di.read('diCounterValue')).toBe(1);
      di.applyField({ level: 0 }, 'field'); // falling edge: no count
      expect(di.read('diCounterValue')).toBe(1);
      pulse(r, 4);
      expect(di.read('diCounterValue')).toBe(5);
      expect(r.changesOf('diCounterValue').map((c) => c.value)).toEqual([1, 2, 3, 4, 5]);
    });

    it('stops counting while paused (diCounterStatus=0) and resumes at 1', () => {
      const r = counter();
      pulse(r, 2);
      r.ch(0).write('diCounterStatus', 0, 'modbus');
      pulse(r, 3);
      expect(r.ch(0).read('diCounterValue')).toBe(2);
      expect(r.ch(0).read('diStatus')).toBe(0);
      r.ch(0).write('diCounterStatus', 1, 'modbus');
      pulse(r, 1);
      expect(r.ch(0).read('diCounterValue')).toBe(3);
    });

    it('does not count on a counter-capable channel in DI mode', () => {
      const r = oneModule('45MR-1600');
      r.ch(0).applyField({ level: 1 }, 'field');
      expect(r.ch(0).read('diStatus')).toBe(1);
      expect(r.ch(0).read('diCounterValue')).toBe(0);
    });

    it('presets the counter by a write', () => {
      const r = counter();
      r.ch(0).write('diCounterValue', 1000, 'rest');
      pulse(r, 1);
      expect(r.ch(0).read('diCounterValue')).toBe(1001);
      r.ch(0).write('diCounterValue', 0, 'rest');
      expect(r.ch(0).read('diCounterValue')).toBe(0);
      expect(r.changesOf('diCounterValue').map((c) => [c.value, c.source])).toEqual([
        [1000, 'rest'],
        [1001, 'field'],
        [0, 'rest'],
      ]);
    });

    it('wraps past 0xFFFFFFFF to 0 with the overflow flag, cleared by writing 1 to the clear', () => {
      const r = counter();
      const di = r.ch(0);
      di.write('diCounterValue', 0xffff_fffe, 'modbus');
      pulse(r, 1);
      expect(di.read('diCounterValue')).toBe(0xffff_ffff);
      expect(di.read('diCounterOverflowFlag')).toBe(0);
      pulse(r, 1);
      expect(di.read('diCounterValue')).toBe(0);
      expect(di.read('diCounterOverflowFlag')).toBe(1);
      pulse(r, 1);
      expect(di.read('diCounterOverflowFlag')).toBe(1); // sticks until cleared
      di.write('diCounterOverflowFlagClear', 0, 'modbus'); // 0 does nothing
      expect(di.read('diCounterOverflowFlag')).toBe(1);
      di.write('diCounterOverflowFlagClear', 1, 'modbus');
      expect(di.read('diCounterOverflowFlag')).toBe(0);
      expect(di.read('diCounterOverflowFlagClear')).toBe(0); // an action reads 0
      expect(di.read('diCounterValue')).toBe(1);
      expect(r.changesOf('diCounterOverflowFlag').map((c) => c.value)).toEqual([1, 0]);
    });

    it('range-checks counter writes', () => {
      const r = counter();
      expectSimError(() => r.ch(0).write('diCounterValue', 0x1_0000_0000, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => r.ch(0).write('diCounterValue', -1, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => r.ch(0).write('diCounterValue', 1.5, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => r.ch(0).write('diCounterStatus', 2, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expect(r.ch(0).read('diCounterValue')).toBe(0);
      expect(r.changes).toEqual([]);
    });
  });

  describe('software filter', () => {
    const filtered = () => oneModule('45MR-1600', [{ index: 0, mode: 'counter', filterMs: 10 }]);

    it('swallows a glitch shorter than the filter', () => {
      const r = filtered();
      const di = r.ch(0);
      di.applyField({ level: 1 }, 'field');
      r.clock.advance(9);
      di.applyField({ level: 0 }, 'field');
      r.clock.advance(100);
      expect(di.read('diStatus')).toBe(0);
      expect(di.read('diCounterValue')).toBe(0);
      expect(r.changes).toEqual([]);
      expect(r.clock.pending()).toBe(0);
    });

    it('passes a level held for the filter time, at that time, with source clock', () => {
      const r = filtered();
      const di = r.ch(0);
      di.applyField({ level: 1 }, 'field');
      expect(di.read('diStatus')).toBe(0);
      r.clock.advance(9);
      expect(di.read('diStatus')).toBe(0);
      r.clock.advance(1);
      expect(di.read('diStatus')).toBe(1);
      expect(di.read('diCounterValue')).toBe(1);
      expect(r.changesOf('diStatus')).toMatchObject([{ value: 1, previous: 0, source: 'clock', at: r.clock.now() }]);
      di.applyField({ level: 0 }, 'field');
      r.clock.advance(10);
      expect(di.read('diStatus')).toBe(0);
    });

    it('restarts the filter time on every change of level', () => {
      const r = filtered();
      const di = r.ch(0);
      di.applyField({ level: 1 }, 'field');
      r.clock.advance(8);
      di.applyField({ level: 0 }, 'field');
      r.clock.advance(1);
      di.applyField({ level: 1 }, 'field');
      r.clock.advance(9);
      expect(di.read('diStatus')).toBe(0);
      r.clock.advance(1);
      expect(di.read('diStatus')).toBe(1);
      expect(di.read('diCounterValue')).toBe(1);
    });

    it('swallows a short drop while the input is on', () => {
      const r = filtered();
      const di = r.ch(0);
      di.applyField({ level: 1 }, 'field');
      r.clock.advance(10);
      di.applyField({ level: 0 }, 'field');
      r.clock.advance(5);
      di.applyField({ level: 1 }, 'field');
      r.clock.advance(50);
      expect(di.read('diStatus')).toBe(1);
      expect(di.read('diCounterValue')).toBe(1);
    });

    it('shows the raw level and filter in field()', () => {
      const r = filtered();
      r.ch(0).applyField({ level: 1 }, 'field');
      expect(r.ch(0).field()).toEqual({ level: 1, filterMs: 10 });
    });
  });

  it('has no counter attributes on channels that cannot count', () => {
    const r = oneModule('45MR-1600');
    const di = r.ch(4);
    expect(di.attributes.map((a) => a.name)).toEqual(['diMode', 'diStatus']);
    for (const attribute of ['diCounterValue', 'diCounterStatus', 'diCounterOverflowFlag', 'diCounterOverflowFlagClear']) {
      const error = expectSimError(() => di.read(attribute), 'DEVICE_UNKNOWN_ATTRIBUTE');
      expect(error.context).toMatchObject({ ioName: '45MR-1600-0@DI-04', attribute });
      expectSimError(() => di.write(attribute, 1, 'modbus'), 'DEVICE_UNKNOWN_ATTRIBUTE');
    }
    expect(Object.keys(di.values())).toEqual(['diMode', 'diStatus']);
  });

  it('makes diMode, diStatus and the overflow flag read-only', () => {
    const r = oneModule('45MR-1600', [{ index: 0, mode: 'counter' }]);
    for (const attribute of ['diMode', 'diStatus', 'diCounterOverflowFlag']) {
      const error = expectSimError(() => r.ch(0).write(attribute, 1, 'modbus'), 'DEVICE_READ_ONLY');
      expect(error.message).toContain(attribute);
    }
    expect(r.ch(0).read('diMode')).toBe(1);
    expect(r.changes).toEqual([]);
  });

  it('gives the counter attributes to counter-capable channels in DI mode too', () => {
    const r = oneModule('45MR-1600');
    expect(r.ch(0).values()).toEqual({
      diMode: 0,
      diStatus: 0,
      diCounterValue: 0,
      diCounterStatus: 1,
      diCounterOverflowFlag: 0,
      diCounterOverflowFlagClear: 0,
    });
  });
});
