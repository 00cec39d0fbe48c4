/**
 * Min/max of AI, RTD and TC channels start from the first value the channel takes (issue #14
 * point 19): a channel a signal drives from power-up never held the profile's default, so its
 * minimum is not that default.
 */
import { describe, expect, it } from 'vitest';
import { profileSchema, type ProfileInput } from '../../src/config/profile.js';
import { SignalRunner } from '../../src/sim/signals.js';
import { rig } from './helpers.js';

/** As src/app/emulator.ts connectField does at start: every channel with a signal gets it. */
function powerUp(input: ProfileInput) {
  const r = rig(input);
  const runner = new SignalRunner(r.clock, 1);
  for (const module of profileSchema.parse(input).slots) {
    for (const ch of module.channels) if (ch.signal) runner.attach(r.device.channel(module.slot, ch.index), ch.signal);
  }
  return { ...r, runner };
}

const sine = { kind: 'sine', offset: 12, amplitude: 2, periodMs: 1000, sampleMs: 50 } as const;

describe('min/max start from the first value the channel takes', () => {
  it('#14.19: an AI a sine drives at 10-14 mA reports 10-14 mA, not the 4 mA default', () => {
    const r = powerUp({ slots: [{ slot: 1, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA', signal: sine }] }] });
    const ai = r.device.channel(1, 0);
    expect(ai.read('aiValueScaledMin')).toBe(12); // the sine's first value, before any time passes
    expect(ai.read('aiValueScaledMax')).toBe(12);
    for (let i = 0; i < 40; i++) r.clock.advance(50);
    expect(ai.read('aiValueScaledMin')).toBeCloseTo(10, 6);
    expect(ai.read('aiValueScaledMax')).toBeCloseTo(14, 6);
    expect(ai.read('aiValueRawMin')).toBe(Math.round((6 / 16) * 0xffff));
    expect(ai.read('aiValueRawMax')).toBe(Math.round((10 / 16) * 0xffff));
    // A reset restarts from the reading at that moment, never from the default.
    ai.write('aiResetMinValue', 1, 'modbus');
    ai.write('aiResetMaxValue', 1, 'modbus');
    const now = ai.read('aiValueScaled');
    expect([ai.read('aiValueScaledMin'), ai.read('aiValueScaledMax')]).toEqual([now, now]);
    r.clock.advance(250);
    expect(ai.read('aiValueScaledMin')).toBeGreaterThanOrEqual(10 - 1e-9);
    expect(ai.read('aiValueScaledMax')).toBeLessThanOrEqual(14 + 1e-9);
    r.runner.dispose();
  });

  it('#14.19: an RTD and a TC a signal drives start from its first value, not 25 °C', () => {
    const r = powerUp({
      slots: [
        { slot: 1, module: '45MR-6600', channels: [{ index: 0, signal: { kind: 'ramp', from: 100, to: 200, periodMs: 1000, sampleMs: 100 } }] },
        { slot: 2, module: '45MR-6810', channels: [{ index: 0, signal: { kind: 'constant', value: 300 } }] },
      ],
    });
    const rtd = r.device.channel(1, 0);
    const tc = r.device.channel(2, 0);
    expect([rtd.read('rtdValueScaledMin'), rtd.read('rtdValueScaledMax')]).toEqual([100, 100]);
    expect([tc.read('tcValueScaledMin'), tc.read('tcValueScaledMax')]).toEqual([300, 300]);
    r.clock.advance(500);
    expect([rtd.read('rtdValueScaledMin'), rtd.read('rtdValueScaledMax')]).toEqual([100, 150]);
    r.runner.dispose();
  });

  it('a channel without a signal starts from its profile value, which it holds from power-up', () => {
    const r = powerUp({
      slots: [
        { slot: 1, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA', physical: 8 }] },
        { slot: 2, module: '45MR-6600', channels: [{ index: 0, temperature: 40 }] },
      ],
    });
    const ai = r.device.channel(1, 0);
    ai.applyField({ physical: 16 }, 'field');
    expect([ai.read('aiValueScaledMin'), ai.read('aiValueScaledMax')]).toEqual([8, 16]);
    const rtd = r.device.channel(2, 0);
    rtd.applyField({ temperature: 60 }, 'field');
    expect([rtd.read('rtdValueScaledMin'), rtd.read('rtdValueScaledMax')]).toEqual([40, 60]);
  });

  it('a mode-3 AI that powers up in burnout starts empty and reads its present value until a measurement', () => {
    const r = powerUp({ slots: [{ slot: 1, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA-burnout', physical: 1 }] }] });
    const ai = r.device.channel(1, 0);
    expect(ai.read('aiStatus')).toBe(1);
    expect(ai.read('aiValueScaledMin')).toBe(ai.read('aiValueScaled'));
    ai.applyField({ physical: 12 }, 'field');
    ai.applyField({ physical: 10 }, 'field');
    expect([ai.read('aiValueScaledMin'), ai.read('aiValueScaledMax')]).toEqual([10, 12]);
    expect([ai.read('aiValueRawMin'), ai.read('aiValueRawMax')]).toEqual([24576, 32768]);
  });
});
