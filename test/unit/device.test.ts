import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/device/clock.js';
import { Device, HEAD_MODEL, type DeviceChange } from '../../src/device/device.js';
import { deviceSpecSchema } from '../../src/device/schema.js';
import { expectSimError, rig } from './helpers.js';

const RAIL = {
  slots: [
    { slot: 2, module: '45MR-2600' },
    { slot: 1, module: '45MR-1600', channels: [{ index: 0, mode: 'counter' as const, name: 'Door' }] },
    { slot: 3, module: '45MR-3800' },
  ],
};

describe('Device', () => {
  it('orders modules by slot whatever the profile order', () => {
    const { device } = rig(RAIL);
    expect(device.modules.map((m) => [m.slot, m.model, m.name])).toEqual([
      [1, '45MR-1600', '45MR-1600-0'],
      [2, '45MR-2600', '45MR-2600-0'],
      [3, '45MR-3800', '45MR-3800-0'],
    ]);
  });

  describe('onChange', () => {
    it('delivers each change with seq increasing by one and every field filled', () => {
      const r = rig(RAIL);
      expect(r.device.lastSeq).toBe(0);
      r.clock.advance(250);
      r.device.channel(2, 3).write('doStatus', 1, 'modbus');
      r.device.channel(1, 0).applyField({ level: 1 }, 'field');
      expect(r.changes).toEqual<DeviceChange[]>([
        {
          seq: 1,
          at: r.clock.now(),
          slot: 2,
          index: 3,
          type: 'do',
          ioName: '45MR-2600-0@DO-03',
          attribute: 'doStatus',
          value: 1,
          previous: 0,
          source: 'modbus',
          peer: null,
        },
        { seq: 2, at: r.clock.now(), slot: 1, index: 0, type: 'di', ioName: '45MR-1600-0@Door', attribute: 'diStatus', value: 1, previous: 0, source: 'field', peer: null },
        { seq: 3, at: r.clock.now(), slot: 1, index: 0, type: 'di', ioName: '45MR-1600-0@Door', attribute: 'diCounterValue', value: 1, previous: 0, source: 'field', peer: null },
      ]);
      expect(r.device.lastSeq).toBe(3);
      r.device.channel(3, 0).applyField({ physical: 20 }, 'sim');
      expect(r.changes.map((c) => c.seq)).toEqual(r.changes.map((_, i) => i + 1));
    });

    it('keeps delivering to other listeners when one throws, and logs the failure', () => {
      const logger = { error: vi.fn() };
      const clock = new ManualClock();
      const device = new Device(deviceSpecSchema.parse(RAIL), clock, logger);
      const seen: number[] = [];
      device.onChange(() => {
        throw new Error('boom');
      });
      device.onChange((c) => seen.push(c.seq));
      device.channel(2, 0).write('doStatus', 1, 'rest');
      device.channel(2, 0).write('doStatus', 0, 'rest');
      expect(seen).toEqual([1, 2]);
      expect(logger.error).toHaveBeenCalledTimes(2);
      expect(logger.error.mock.calls[0]?.[0]).toMatchObject({ ioName: '45MR-2600-0@DO-00', attribute: 'doStatus' });
      expect((logger.error.mock.calls[0]?.[0] as { err: Error }).err.message).toBe('boom');
      device.dispose();
    });

    it('survives a throwing listener without a logger', () => {
      const r = rig(RAIL);
      r.device.onChange(() => {
        throw new Error('boom');
      });
      expect(() => r.device.channel(2, 0).write('doStatus', 1, 'rest')).not.toThrow();
      expect(r.device.channel(2, 0).read('doStatus')).toBe(1);
      expect(r.changes).toHaveLength(1);
    });

    it('stops delivering after unsubscribe', () => {
      const r = rig(RAIL);
      const seen: DeviceChange[] = [];
      const off = r.device.onChange((c) => seen.push(c));
      r.device.channel(2, 0).write('doStatus', 1, 'rest');
      off();
      r.device.channel(2, 0).write('doStatus', 0, 'rest');
      expect(seen).toHaveLength(1);
      expect(r.changes).toHaveLength(2);
    });

    it('counts seq on without listeners', () => {
      const device = new Device(deviceSpecSchema.parse(RAIL), new ManualClock());
      device.channel(2, 0).write('doStatus', 1, 'rest');
      expect(device.lastSeq).toBe(1);
      device.dispose();
    });

    it('reports no event for a refused write', () => {
      const r = rig(RAIL);
      expectSimError(() => r.device.channel(2, 0).write('doStatus', 7, 'rest'), 'DEVICE_VALUE_OUT_OF_RANGE');
      expect(r.changes).toEqual([]);
      expect(r.device.lastSeq).toBe(0);
    });
  });

  it('snapshots the head unit in slot 0 first, then every module', () => {
    const r = rig({ ...RAIL, device: { name: 'rig1', ip: '10.0.0.5' } });
    r.clock.advance(61_500);
    const snap = r.device.snapshot();
    expect(snap).toMatchObject({ name: 'rig1', model: HEAD_MODEL, serialNumber: 'TAGCB1100001', firmwareVersion: '1.5.0' });
    expect(snap.slots.map((s) => [s.slot, s.module, s.name])).toEqual([
      [0, 'ioThinx 4510', 'rig1'],
      [1, '45MR-1600', '45MR-1600-0'],
      [2, '45MR-2600', '45MR-2600-0'],
      [3, '45MR-3800', '45MR-3800-0'],
    ]);
    expect(snap.slots[0]).toEqual({ slot: 0, module: HEAD_MODEL, name: 'rig1', channels: [], watchdogAlarmFlag: 0, systemError: 0, mac: '00:90:e8:00:00:01', ip: '10.0.0.5', uptime: 61 });
    expect(snap.slots[1]?.channels).toHaveLength(16);
    expect(snap.slots[1]?.channels[0]).toEqual({
      index: 0,
      type: 'di',
      name: 'Door',
      ioName: '45MR-1600-0@Door',
      mode: 1,
      modeName: 'counter',
      diMode: 1,
      diStatus: 0,
      diCounterValue: 0,
      diCounterStatus: 1,
      diCounterOverflowFlag: 0,
      diCounterOverflowFlagClear: 0,
      field: { level: 0, filterMs: 0 },
    });
    expect(snap.slots[3]?.channels[0]).toMatchObject({ type: 'ai', mode: 4, modeName: '4-20mA', aiValueScaled: 4, field: { physical: 4, unit: 'mA' } });
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap); // plain data
  });

  it('leaves modeName empty for relays, power modules and registers', () => {
    const r = rig({ slots: [{ slot: 1, module: '45MR-2404' }, { slot: 2, module: '45MR-7210' }] });
    const snap = r.device.snapshot();
    expect(snap.slots[1]?.channels[0]?.modeName).toBe('');
    expect(snap.slots[2]?.channels[0]?.modeName).toBe('');
    expect(r.device.snapshotChannel(r.device.findIoName('WIR-00')!)).toMatchObject({ type: 'ir', modeName: '', irValue: 0, ioName: 'WIR-00' });
  });

  it('counts uptime from construction on its clock', () => {
    const clock = new ManualClock();
    clock.advance(5000);
    const r = rig({}, clock);
    expect(r.device.uptimeSeconds()).toBe(0);
    clock.advance(1999);
    expect(r.device.uptimeSeconds()).toBe(1);
  });

  it('finds channels by ioName, including renamed ones and registers', () => {
    const { device } = rig(RAIL);
    expect(device.findIoName('45MR-1600-0@Door')).toBe(device.channel(1, 0));
    expect(device.findIoName('45MR-1600-0@DI-00')).toBeUndefined();
    expect(device.findIoName('45MR-2600-0@DO-15')).toBe(device.channel(2, 15));
    expect(device.findIoName('45MR-3800-0@AI-07')).toBe(device.channel(3, 7));
    expect(device.findIoName('BIR-00')).toBe(device.internalRegisters.bool[0]);
    expect(device.findIoName('nothing')).toBeUndefined();
    // Every channel is reachable by its ioName.
    for (const channel of device.allChannels()) expect(device.findIoName(channel.ioName)).toBe(channel);
    expect([...device.allChannels()]).toHaveLength(16 + 16 + 8 + 4 * 48);
  });

  it('throws DEVICE_UNKNOWN_SLOT and DEVICE_UNKNOWN_CHANNEL', () => {
    const { device } = rig(RAIL);
    const slot = expectSimError(() => device.module(4), 'DEVICE_UNKNOWN_SLOT');
    expect(slot.context).toEqual({ slot: 4 });
    expect(slot.message).toContain('slots 1..3');
    expectSimError(() => device.module(0), 'DEVICE_UNKNOWN_SLOT');
    expectSimError(() => device.channel(9, 0), 'DEVICE_UNKNOWN_SLOT');
    const channel = expectSimError(() => device.channel(3, 8), 'DEVICE_UNKNOWN_CHANNEL');
    expect(channel.context).toEqual({ slot: 3, index: 8 });
    expect(channel.message).toContain('0..7');
    expectSimError(() => device.channel(1, -1), 'DEVICE_UNKNOWN_CHANNEL');
    expect(device.channel(3, 7).index).toBe(7);
  });

  it('refuses to build from a spec that breaks a cross-field rule', () => {
    const spec = deviceSpecSchema.parse({ slots: [{ slot: 2, module: '45MR-1600' }] });
    const error = expectSimError(() => new Device(spec, new ManualClock()), 'PROFILE_INVALID');
    expect(error.message).toContain('slots.0.slot');
    expect(error.context.issues).toEqual([{ path: ['slots', 0, 'slot'], message: expect.stringContaining('without gaps') }]);
  });

  it('runs with an empty rail', () => {
    const { device } = rig();
    expect(device.modules).toEqual([]);
    expect(device.snapshot().slots).toHaveLength(1);
    expect(device.identity).toMatchObject({ name: 'ioThinx_4510', mac: '00:90:e8:00:00:01', ip: '192.168.127.254' });
  });

  it('releases timers and listeners on dispose', () => {
    const r = rig({
      slots: [
        { slot: 1, module: '45MR-2600', channels: [{ index: 0, mode: 'pulse', pulse: { count: 0, onWidth: 10, offWidth: 10 } }] },
        { slot: 2, module: '45MR-1600', channels: [{ index: 0, filterMs: 50 }] },
      ],
    });
    r.device.channel(1, 0).write('doPulseStatus', 1, 'rest');
    r.device.channel(2, 0).applyField({ level: 1 }, 'field');
    expect(r.clock.pending()).toBe(2);
    const before = r.changes.length;
    r.device.dispose();
    expect(r.clock.pending()).toBe(0);
    r.device.channel(1, 5).write('doStatus', 1, 'rest');
    expect(r.changes.length).toBe(before);
  });
});
