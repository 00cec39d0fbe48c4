import { describe, expect, it } from 'vitest';
import type { RelayChannel } from '../../src/device/relay.js';
import { expectSimError, oneModule } from './helpers.js';

describe('relay', () => {
  it('counts each off→on switching in both the total and the current count', () => {
    const r = oneModule('45MR-2404');
    const relay = r.ch(2);
    expect(relay.values()).toEqual({ relayStatus: 0, relayTotalCount: 0, relayCurrentCount: 0, relayCurrentCountReset: 0 });
    relay.write('relayStatus', 1, 'modbus');
    relay.write('relayStatus', 1, 'modbus'); // already on: no switching
    relay.write('relayStatus', 0, 'modbus'); // on→off: not counted
    relay.write('relayStatus', 0, 'modbus');
    relay.write('relayStatus', 1, 'modbus');
    expect(relay.read('relayTotalCount')).toBe(2);
    expect(relay.read('relayCurrentCount')).toBe(2);
    expect(r.changesOf('relayTotalCount').map((c) => c.value)).toEqual([1, 2]);
    expect(r.changesOf('relayCurrentCount').map((c) => [c.value, c.source])).toEqual([
      [1, 'modbus'],
      [2, 'modbus'],
    ]);
  });

  it('resets the current count with relayCurrentCountReset=1 and leaves the total alone', () => {
    const r = oneModule('45MR-2404', [{ index: 0, totalCount: 100 }]);
    const relay = r.ch(0);
    for (let i = 0; i < 3; i++) {
      relay.write('relayStatus', 1, 'rest');
      relay.write('relayStatus', 0, 'rest');
    }
    expect(relay.read('relayTotalCount')).toBe(103);
    expect(relay.read('relayCurrentCount')).toBe(3);
    relay.write('relayCurrentCountReset', 0, 'rest'); // 0 does nothing
    expect(relay.read('relayCurrentCount')).toBe(3);
    relay.write('relayCurrentCountReset', 1, 'rest');
    expect(relay.read('relayCurrentCount')).toBe(0);
    expect(relay.read('relayTotalCount')).toBe(103);
    expect(relay.read('relayCurrentCountReset')).toBe(0);
    relay.write('relayStatus', 1, 'rest');
    expect(relay.read('relayCurrentCount')).toBe(1);
    expect(relay.read('relayTotalCount')).toBe(104);
  });

  it('makes the counts read-only', () => {
    const r = oneModule('45MR-2404');
    expectSimError(() => r.ch(0).write('relayTotalCount', 5, 'modbus'), 'DEVICE_READ_ONLY');
    expectSimError(() => r.ch(0).write('relayCurrentCount', 5, 'modbus'), 'DEVICE_READ_ONLY');
    expect(r.ch(0).read('relayTotalCount')).toBe(0);
    expect(r.changes).toEqual([]);
  });

  it('starts on with the profile status without counting that as a switching', () => {
    const r = oneModule('45MR-2404', [{ index: 3, status: 1, totalCount: 7 }]);
    expect(r.ch(3).read('relayStatus')).toBe(1);
    expect(r.ch(3).read('relayTotalCount')).toBe(7);
    expect(r.ch(3).read('relayCurrentCount')).toBe(0);
  });

  it('wraps the total count at 2^32', () => {
    const r = oneModule('45MR-2404', [{ index: 0, totalCount: 0xffff_ffff }]);
    r.ch(0).write('relayStatus', 1, 'modbus');
    expect(r.ch(0).read('relayTotalCount')).toBe(0);
    expect(r.ch(0).read('relayCurrentCount')).toBe(1);
  });

  it('refuses field input and out-of-range status', () => {
    const r = oneModule('45MR-2404');
    expectSimError(() => r.ch(0).applyField({ level: 1 }, 'field'), 'DEVICE_NOT_APPLICABLE');
    expectSimError(() => r.ch(0).write('relayStatus', 2, 'modbus'), 'DEVICE_VALUE_OUT_OF_RANGE');
  });

  it('switches to its safe value, counting the closure', () => {
    const r = oneModule('45MR-2404', [{ index: 1, safeValue: 1 }]);
    (r.ch(1) as RelayChannel).applySafeValue('modbus');
    expect(r.ch(1).read('relayStatus')).toBe(1);
    expect(r.ch(1).read('relayTotalCount')).toBe(1);
    expect(r.changesOf('relayStatus')[0]?.source).toBe('modbus');
    (r.ch(0) as RelayChannel).applySafeValue('modbus'); // none set: no change
    expect(r.ch(0).read('relayStatus')).toBe(0);
  });
});
