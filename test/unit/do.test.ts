import { describe, expect, it } from 'vitest';
import { PULSE_UNIT_MS } from '../../src/device/do.js';
import { expectSimError, oneModule, type ChannelInput } from './helpers.js';

const pulseRig = (pulse: ChannelInput['pulse']) => oneModule('45MR-2600', [{ index: 0, mode: 'pulse', pulse }]);

describe('DO', () => {
  it('doStatus is written and read back, with one event per change', () => {
    const r = oneModule('45MR-2600');
    const out = r.ch(5);
    expect(out.read('doStatus')).toBe(0);
    out.write('doStatus', 1, 'modbus');
    expect(out.read('doStatus')).toBe(1);
    out.write('doStatus', 1, 'rest'); // same value: no event
    out.write('doStatus', 0, 'mqtt');
    expect(r.changesOf('doStatus').map((c) => [c.value, c.previous, c.source])).toEqual([
      [1, 0, 'modbus'],
      [0, 1, 'mqtt'],
    ]);
  });

  it('starts at the profile status', () => {
    const r = oneModule('45MR-2600', [{ index: 2, status: 1 }]);
    expect(r.ch(2).read('doStatus')).toBe(1);
  });

  it('refuses out-of-range doStatus and the read-only doMode', () => {
    const r = oneModule('45MR-2600');
    expectSimError(() => r.ch(0).write('doStatus', 2, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
    expectSimError(() => r.ch(0).write('doMode', 1, 'modbus'), 'DEVICE_READ_ONLY');
    expect(r.ch(0).read('doStatus')).toBe(0);
  });

  it('has no pulse attributes past the pulse-capable channels', () => {
    const r = oneModule('45MR-2600');
    expect(r.ch(4).attributes.map((a) => a.name)).toEqual(['doMode', 'doStatus']);
    expectSimError(() => r.ch(4).read('doPulseStatus'), 'DEVICE_UNKNOWN_ATTRIBUTE');
    expect(r.ch(3).attributes.map((a) => a.name)).toEqual(['doMode', 'doStatus', 'doPulseCount', 'doPulseOnWidth', 'doPulseOffWidth', 'doPulseStatus']);
  });

  it('refuses doPulseStatus in DO mode', () => {
    const r = oneModule('45MR-2600');
    expectSimError(() => r.ch(0).write('doPulseStatus', 1, 'modbus'), 'DEVICE_NOT_APPLICABLE');
    expect(r.ch(0).read('doPulseStatus')).toBe(0);
    expect(r.clock.pending()).toBe(0);
  });

  it('refuses a field input', () => {
    const r = oneModule('45MR-2600');
    expectSimError(() => r.ch(0).applyField({ level: 1 }, 'field'), 'DEVICE_NOT_APPLICABLE');
  });

  describe('pulse mode', () => {
    it('counts widths in 500 µs units', () => {
      expect(PULSE_UNIT_MS).toBe(0.5);
    });

    it('toggles doStatus with the on and off widths on the clock and stops after doPulseCount pulses', () => {
      // onWidth 2000 units = 1000 ms on; offWidth 1000 units = 500 ms off.
      const r = pulseRig({ count: 3, onWidth: 2000, offWidth: 1000 });
      const out = r.ch(0);
      expect(out.read('doMode')).toBe(1);
      expect(out.read('doStatus')).toBe(0);
      out.write('doPulseStatus', 1, 'rest');
      expect(out.read('doPulseStatus')).toBe(1);
      expect(out.read('doStatus')).toBe(1);
      r.clock.advance(999);
      expect(out.read('doStatus')).toBe(1);
      r.clock.advance(1);
      expect(out.read('doStatus')).toBe(0);
      r.clock.advance(499);
      expect(out.read('doStatus')).toBe(0);
      r.clock.advance(1);
      expect(out.read('doStatus')).toBe(1);
      r.clock.advance(10_000);
      expect(out.read('doStatus')).toBe(0);
      expect(out.read('doPulseStatus')).toBe(0);
      expect(r.clock.pending()).toBe(0);

      const start = new Date(Date.UTC(2026, 0, 1)).getTime();
      const toggles = r.changesOf('doStatus').map((c) => [c.value, c.at - start, c.source]);
      expect(toggles).toEqual([
        [1, 0, 'rest'],
        [0, 1000, 'clock'],
        [1, 1500, 'clock'],
        [0, 2500, 'clock'],
        [1, 3000, 'clock'],
        [0, 4000, 'clock'],
      ]);
      expect(r.changesOf('doPulseStatus').map((c) => [c.value, c.at - start, c.source])).toEqual([
        [1, 0, 'rest'],
        [0, 4000, 'clock'],
      ]);
      expect(r.changes.every((c) => c.ioName === '45MR-2600-0@DO-00' && c.slot === 1 && c.index === 0)).toBe(true);
    });

    it('uses the 500 µs unit down to a single unit', () => {
      const r = pulseRig({ count: 1, onWidth: 1, offWidth: 1 });
      r.ch(0).write('doPulseStatus', 1, 'modbus');
      r.clock.advance(0.4);
      expect(r.ch(0).read('doStatus')).toBe(1);
      r.clock.advance(0.1);
      expect(r.ch(0).read('doStatus')).toBe(0);
      expect(r.ch(0).read('doPulseStatus')).toBe(0);
    });

    it('pulses continuously with count 0 until doPulseStatus=0', () => {
      const r = pulseRig({ count: 0, onWidth: 200, offWidth: 200 }); // 100 ms on, 100 ms off
      const out = r.ch(0);
      out.write('doPulseStatus', 1, 'modbus');
      r.clock.advance(10_000);
      expect(out.read('doPulseStatus')).toBe(1);
      // A 200 ms period: 50 pulses in 10 s, 100 toggles by the clock, and a new pulse starts on at 10 s.
      expect(r.changesOf('doStatus').filter((c) => c.source === 'clock')).toHaveLength(100);
      expect(out.read('doStatus')).toBe(1);
      out.write('doPulseStatus', 0, 'modbus');
      expect(out.read('doStatus')).toBe(0);
      expect(out.read('doPulseStatus')).toBe(0);
      expect(r.clock.pending()).toBe(0);
      const before = r.changes.length;
      r.clock.advance(10_000);
      expect(r.changes.length).toBe(before);
    });

    it('ignores a second start while running and can start again after a stop', () => {
      const r = pulseRig({ count: 2, onWidth: 2, offWidth: 2 }); // 1 ms on, 1 ms off
      const out = r.ch(0);
      out.write('doPulseStatus', 1, 'modbus');
      r.clock.advance(1.5);
      out.write('doPulseStatus', 1, 'modbus'); // already running: does not restart
      r.clock.advance(1.5);
      expect(out.read('doStatus')).toBe(0);
      expect(out.read('doPulseStatus')).toBe(0);
      expect(r.changesOf('doStatus').map((c) => c.value)).toEqual([1, 0, 1, 0]);
      out.write('doPulseStatus', 1, 'modbus');
      r.clock.advance(100);
      expect(r.changesOf('doStatus').map((c) => c.value)).toEqual([1, 0, 1, 0, 1, 0, 1, 0]);
    });

    it('takes new widths and count on the next start', () => {
      const r = pulseRig({ count: 1, onWidth: 2000, offWidth: 2000 });
      const out = r.ch(0);
      out.write('doPulseOnWidth', 20, 'modbus'); // 10 ms
      out.write('doPulseCount', 2, 'modbus');
      expect(out.read('doPulseOnWidth')).toBe(20);
      expect(out.read('doPulseCount')).toBe(2);
      out.write('doPulseStatus', 1, 'modbus');
      r.clock.advance(10);
      expect(out.read('doStatus')).toBe(0);
      r.clock.advance(1000); // off 1000 ms
      expect(out.read('doStatus')).toBe(1);
      r.clock.advance(10);
      expect(out.read('doPulseStatus')).toBe(0);
    });

    it('refuses a doStatus write in pulse mode', () => {
      const r = pulseRig({ count: 0, onWidth: 10, offWidth: 10 });
      const error = expectSimError(() => r.ch(0).write('doStatus', 1, 'modbus'), 'DEVICE_NOT_APPLICABLE');
      expect(error.message).toContain('45MR-2600-0@DO-00');
      expect(r.ch(0).read('doStatus')).toBe(0);
      expect(r.changes).toEqual([]);
    });

    it('range-checks the pulse settings', () => {
      const r = pulseRig({ count: 1, onWidth: 10, offWidth: 10 });
      const out = r.ch(0);
      const error = expectSimError(() => out.write('doPulseOnWidth', 0, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expect(error.context).toMatchObject({ attribute: 'doPulseOnWidth', min: 1, max: 65535 });
      expectSimError(() => out.write('doPulseOffWidth', 0, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => out.write('doPulseOnWidth', 65536, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => out.write('doPulseCount', 65536, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => out.write('doPulseCount', -1, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expectSimError(() => out.write('doPulseStatus', 2, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
      out.write('doPulseCount', 65535, 'modbus');
      out.write('doPulseOnWidth', 65535, 'modbus');
      expect(out.read('doPulseOnWidth')).toBe(65535);
      expect(out.values()).toMatchObject({ doPulseCount: 65535, doPulseOffWidth: 10, doPulseStatus: 0 });
    });

    it('defaults to 1000-unit widths and count 0 when the profile gives no pulse settings', () => {
      const r = oneModule('45MR-2600', [{ index: 1, mode: 'pulse' }]);
      expect(r.ch(1).values()).toMatchObject({ doMode: 1, doPulseCount: 0, doPulseOnWidth: 1000, doPulseOffWidth: 1000 });
    });

    it('stops its timer on dispose', () => {
      const r = pulseRig({ count: 0, onWidth: 10, offWidth: 10 });
      r.ch(0).write('doPulseStatus', 1, 'modbus');
      expect(r.clock.pending()).toBe(1);
      r.device.dispose();
      expect(r.clock.pending()).toBe(0);
    });
  });

  it('drives the output to its safe value and stops a pulse train', () => {
    const r = oneModule('45MR-2600', [
      { index: 0, mode: 'pulse', safeValue: 1 },
      { index: 5, safeValue: 0, status: 1 },
      { index: 6, status: 1 },
    ]);
    r.ch(0).write('doPulseStatus', 1, 'modbus');
    for (const i of [0, 5, 6]) (r.ch(i) as import('../../src/device/do.js').DoChannel).applySafeValue('sim');
    expect(r.ch(0).read('doPulseStatus')).toBe(0);
    expect(r.ch(0).read('doStatus')).toBe(1);
    expect(r.ch(5).read('doStatus')).toBe(0);
    expect(r.ch(6).read('doStatus')).toBe(1); // no safe value: unchanged
    expect(r.clock.pending()).toBe(0);
  });
});
