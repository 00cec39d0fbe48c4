import { describe, expect, it } from 'vitest';
import { ManualClock, RealClock } from '../../src/device/clock.js';
import { FaultBoard, faultSpecSchema, isModbusFault } from '../../src/device/faults.js';
import { rig } from './helpers.js';

describe('fault board', () => {
  it('replaces a fault of the same kind and target, keeps others, and says so', () => {
    const board = new FaultBoard(() => 5);
    const events: string[] = [];
    board.onChange((e) => events.push(`${e.type} ${e.fault.id}`));
    board.inject({ kind: 'modbus-slow', delayMs: 10, count: null });
    board.inject({ kind: 'module-failed', slot: 1 });
    board.inject({ kind: 'modbus-drop', count: null });
    expect(board.active().map((f) => [f.id, f.spec.kind])).toEqual([
      ['f2', 'module-failed'],
      ['f3', 'modbus-drop'],
    ]);
    expect(events).toEqual(['injected f1', 'injected f2', 'cleared f1', 'injected f3']);
    expect(board.find(isModbusFault)?.id).toBe('f3');
    expect(board.clear('f9')).toBe(false);
    expect(board.clearAll()).toBe(2);
  });

  it('clears a counted fault after that many hits', () => {
    const board = new FaultBoard(() => 0);
    const fault = board.inject({ kind: 'modbus-exception', exceptionCode: 6, count: 2 });
    board.hit(fault);
    expect(board.active()).toHaveLength(1);
    board.hit(fault);
    expect(board.active()).toHaveLength(0);
  });

  it('refuses specs that do not fit, naming the field', () => {
    const bad = faultSpecSchema.safeParse({ kind: 'modbus-slow', delayMs: -1 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['delayMs']);
    expect(faultSpecSchema.safeParse({ kind: 'melt' }).success).toBe(false);
  });
});

describe('faults in the device model', () => {
  it('makes a removed or failed module refuse, shows it in the snapshot, and clears cleanly', () => {
    const r = rig({ slots: [{ slot: 1, module: '45MR-1600' }, { slot: 2, module: '45MR-2600' }] });
    const fault = r.device.faults.inject({ kind: 'module-removed', slot: 2 });
    expect(r.device.unavailable(r.device.channel(2, 0))?.code).toBe('DEVICE_MODULE_REMOVED');
    expect(r.device.unavailable(r.device.channel(1, 0))).toBeNull();
    expect(r.device.snapshot().slots[2]).toMatchObject({ slot: 2, fault: 'removed' });
    r.device.faults.inject({ kind: 'module-failed', slot: 2 });
    expect(r.device.unavailable(r.device.channel(2, 0))?.code).toBe('DEVICE_MODULE_FAILED');
    expect(r.device.faults.active().map((f) => f.id)).not.toContain(fault.id);
    r.device.faults.clearAll();
    expect(r.device.unavailable(r.device.channel(2, 0))).toBeNull();
    expect(r.device.snapshot().slots[2]).toMatchObject({ fault: null });
    expect(r.device.journal.query({ kind: 'fault' }).map((e) => e.action?.split(' ')[0])).toEqual(['injected', 'cleared', 'injected', 'cleared']);
  });

  it('applies a channel fault and restores the field state before it', () => {
    const r = rig({ slots: [{ slot: 1, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA-burnout' }] }] });
    const ai = r.device.channel(1, 0);
    ai.applyField({ physical: 12 }, 'field');
    const healthy = ai.read('aiStatus');
    const f = r.device.faults.inject({ kind: 'channel', target: '1/0', input: { burnout: true } });
    expect(ai.field()).toMatchObject({ burnout: true });
    expect(ai.read('aiStatus')).not.toBe(healthy);
    r.device.faults.clear(f.id);
    expect(ai.field()).toMatchObject({ burnout: false, physical: 12 });
    expect(ai.read('aiStatus')).toBe(healthy);
  });

  it('leaves no fault active when the channel refuses its field input, and undoes nothing twice', () => {
    const r = rig({ slots: [{ slot: 1, module: '45MR-2600' }] });
    // A DO takes no field input: the channel refuses, so the fault must not stay listed.
    expect(() => r.device.faults.inject({ kind: 'channel', target: '1/0', input: { burnout: true } })).toThrow();
    expect(r.device.faults.active()).toEqual([]);
    expect(faultSpecSchema.safeParse({ kind: 'channel', target: '1/0', input: {} }).error?.issues[0]?.path).toEqual(['input']);
  });

  it('steps the wall clock on a clock jump and back on clear; monotonic time does not move', () => {
    for (const clock of [new ManualClock(), new RealClock()]) {
      const r = rig({}, clock as ManualClock);
      const before = { now: clock.now(), mono: clock.monotonic() };
      const f = r.device.faults.inject({ kind: 'clock-jump', ms: 3_600_000 });
      expect(clock.now() - before.now).toBeGreaterThanOrEqual(3_600_000);
      expect(clock.now() - before.now).toBeLessThan(3_600_000 + 1_000);
      expect(clock.monotonic() - before.mono).toBeLessThan(1_000);
      r.device.faults.clear(f.id);
      expect(Math.abs(clock.now() - before.now)).toBeLessThan(1_000);
    }
  });
});
