import { describe, expect, it, vi } from 'vitest';
import type { Channel } from '../../src/device/channel.js';
import { signalSchema, type SignalInput } from '../../src/device/schema.js';
import { createGenerator } from '../../src/sim/generators.js';
import { deriveSeed, mulberry32 } from '../../src/sim/random.js';
import { SignalRunner, type SignalLogger } from '../../src/sim/signals.js';
import { expectSimError, rig, type Rig } from './helpers.js';

/** A rail with a DI module, a voltage AI, a current AI, an RTD and a power module. */
function simRig(seed = 1, logger?: SignalLogger) {
  const r = rig({
    slots: [
      { slot: 1, module: '45MR-1600' },
      { slot: 2, module: '45MR-3810', channels: [{ index: 0, mode: '+-10V' }] },
      { slot: 3, module: '45MR-3800' },
      { slot: 4, module: '45MR-6600' },
      { slot: 5, module: '45MR-7210' },
      { slot: 6, module: '45MR-2600' },
    ],
  });
  const runner = new SignalRunner(r.clock, seed, logger);
  const attach = (channel: Channel, spec: SignalInput) => runner.attach(channel, signalSchema.parse(spec));
  return { ...r, runner, attach, di: r.device.channel(1, 0), vin: r.device.channel(2, 0), ain: r.device.channel(3, 0) };
}

/** The input after each of `steps` advances of `ms`. */
function sample(r: Rig, read: () => unknown, ms: number, steps: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < steps; i++) {
    r.clock.advance(ms);
    out.push(read());
  }
  return out;
}

const physical = (c: Channel) => () => c.field().physical as number;
const closeTo = (values: number[]) => values.map((v) => expect.closeTo(v, 9));

describe('signals', () => {
  it('constant: applies its value at once and sets no timer', () => {
    const r = simRig();
    r.attach(r.ain, { kind: 'constant', value: 12 });
    expect(r.ain.read('aiValueScaled')).toBe(12);
    expect(r.clock.pending()).toBe(0);
    expect(r.changesOf('aiValueScaled')[0]?.source).toBe('signal');
    expect(r.runner.get(r.ain)).toEqual({ kind: 'constant', value: 12 });
  });

  it('steps: holds each value for holdMs and repeats by default', () => {
    const r = simRig();
    r.attach(r.di, { kind: 'steps', steps: [{ value: 1, holdMs: 100 }, { value: 0, holdMs: 50 }] });
    const status = () => r.di.read('diStatus');
    expect(status()).toBe(1);
    expect(sample(r, status, 50, 6)).toEqual([1, 0, 1, 1, 0, 1]); // t=50..300: edges at 100, 150, 250, 300
    expect(r.changesOf('diStatus').every((c) => c.source === 'signal')).toBe(true);
  });

  it('steps without repeat: stops on the last value', () => {
    const r = simRig();
    r.attach(r.ain, {
      kind: 'steps',
      repeat: false,
      steps: [
        { value: 4, holdMs: 100 },
        { value: 8, holdMs: 100 },
        { value: 12, holdMs: 100 },
      ],
    });
    expect(sample(r, physical(r.ain), 100, 4)).toEqual([8, 12, 12, 12]);
    expect(r.clock.pending()).toBe(0);
  });

  it('square: high for duty × period, then low', () => {
    const r = simRig();
    r.attach(r.di, { kind: 'square', periodMs: 1000, duty: 0.25 });
    const status = () => r.di.read('diStatus');
    expect(status()).toBe(1);
    expect(sample(r, status, 250, 8)).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    const at = r.changesOf('diStatus').map((c) => c.at - r.clock.now() + 2000);
    expect(at).toEqual([0, 250, 1000, 1250, 2000]); // the first edge is the attach itself
  });

  it('startAfter (a fleet starting): the first value at once, no step until the promise resolves, then the same steps as without', async () => {
    const r = simRig();
    let release!: () => void;
    const runner = new SignalRunner(r.clock, 1, undefined, new Promise<void>((resolve) => (release = resolve)));
    runner.attach(r.di, signalSchema.parse({ kind: 'square', periodMs: 1000, duty: 0.25 }));
    expect(r.di.read('diStatus')).toBe(1);
    expect(r.clock.pending()).toBe(0);
    expect(sample(r, () => r.di.read('diStatus'), 250, 4)).toEqual([1, 1, 1, 1]);
    // Detached while held: nothing of it runs after the release.
    runner.attach(r.vin, signalSchema.parse({ kind: 'ramp', from: 0, to: 10, periodMs: 1000, sampleMs: 100 }));
    runner.detach(r.vin);
    release();
    await Promise.resolve();
    expect(r.clock.pending()).toBe(1);
    expect(sample(r, () => r.di.read('diStatus'), 250, 4)).toEqual([0, 0, 0, 1]);
  });

  it('square: custom low and high on an AI', () => {
    const r = simRig();
    r.attach(r.ain, { kind: 'square', periodMs: 200, low: 4, high: 20 });
    expect(physical(r.ain)()).toBe(20);
    expect(sample(r, physical(r.ain), 100, 4)).toEqual([4, 20, 4, 20]);
  });

  it('ramp sawtooth: rises from..to over the period, then jumps back', () => {
    const r = simRig();
    r.attach(r.ain, { kind: 'ramp', from: 4, to: 20, periodMs: 1000, sampleMs: 250 });
    expect(physical(r.ain)()).toBe(4);
    expect(sample(r, physical(r.ain), 250, 6)).toEqual([8, 12, 16, 4, 8, 12]);
  });

  it('ramp triangle: rises and falls back within the period', () => {
    const r = simRig();
    r.attach(r.vin, { kind: 'ramp', from: -10, to: 10, periodMs: 1000, sampleMs: 250, shape: 'triangle' });
    expect(physical(r.vin)()).toBe(-10);
    expect(sample(r, physical(r.vin), 250, 6)).toEqual([0, 10, 0, -10, 0, 10]);
  });

  it('ramp once: stops at `to` at the end of the period', () => {
    const r = simRig();
    r.attach(r.ain, { kind: 'ramp', from: 4, to: 20, periodMs: 1000, sampleMs: 300, shape: 'once' });
    expect(sample(r, physical(r.ain), 300, 3)).toEqual(closeTo([8.8, 13.6, 18.4]));
    r.clock.advance(99);
    expect(physical(r.ain)()).toBeCloseTo(18.4, 9);
    r.clock.advance(1);
    expect(physical(r.ain)()).toBe(20); // the last sample falls exactly at periodMs
    expect(r.clock.pending()).toBe(0);
    r.clock.advance(5000);
    expect(physical(r.ain)()).toBe(20);
  });

  it('ramp defaults to a 100 ms sample', () => {
    const r = simRig();
    r.attach(r.vin, { kind: 'ramp', from: 0, to: 10, periodMs: 1000 });
    expect(sample(r, physical(r.vin), 100, 3)).toEqual(closeTo([1, 2, 3]));
  });

  it('sine: offset + amplitude × sin(2πt/period), sampled', () => {
    const r = simRig();
    r.attach(r.ain, { kind: 'sine', offset: 12, amplitude: 8, periodMs: 1000, sampleMs: 250 });
    expect(physical(r.ain)()).toBe(12);
    expect(sample(r, physical(r.ain), 250, 5)).toEqual(closeTo([20, 12, 4, 12, 20]));
  });

  it('drives an RTD temperature and a power module voltage', () => {
    const r = simRig();
    const rtd = r.device.channel(4, 0);
    const sp = r.device.channel(5, 0);
    r.attach(rtd, { kind: 'ramp', from: 20, to: 120, periodMs: 1000, sampleMs: 500 });
    r.attach(sp, { kind: 'steps', steps: [{ value: 24, holdMs: 100 }, { value: 10, holdMs: 100 }] });
    r.clock.advance(500);
    expect(rtd.read('rtdValueScaled')).toBe(70);
    expect(rtd.read('rtdValueScaledMax')).toBe(70);
    expect(sp.read('spStatus')).toBe(1); // 10 V from t=500 to 600
    r.clock.advance(100);
    expect(sp.read('spStatus')).toBe(0);
  });

  describe('randomWalk', () => {
    const walk = { kind: 'randomWalk', start: 12, step: 1.5, min: 10, max: 14, sampleMs: 100 } as const;

    function run(seed: number, spec: SignalInput = walk): number[] {
      const r = simRig(seed);
      r.attach(r.ain, spec);
      return sample(r, physical(r.ain), 100, 200) as number[];
    }

    it('stays within min..max and moves at most `step` per sample', () => {
      const values = run(7);
      let previous = 12;
      for (const v of values) {
        expect(v).toBeGreaterThanOrEqual(10);
        expect(v).toBeLessThanOrEqual(14);
        expect(Math.abs(v - previous)).toBeLessThanOrEqual(1.5);
        previous = v;
      }
      expect(new Set(values).size).toBeGreaterThan(50);
      // With a step this large relative to the band, the walk reaches both bounds.
      expect(values).toContain(10);
      expect(values).toContain(14);
    });

    it('gives identical sequences for the same seed and different ones for another seed', () => {
      expect(run(42)).toEqual(run(42));
      expect(run(42)).not.toEqual(run(43));
    });

    it('lets the spec seed override the run seed', () => {
      expect(run(1, { ...walk, seed: 99 })).toEqual(run(2, { ...walk, seed: 99 }));
      expect(run(1, { ...walk, seed: 99 })).not.toEqual(run(1, { ...walk, seed: 100 }));
    });

    it('derives a different stream per channel from one run seed', () => {
      const r = simRig(5);
      const other = r.device.channel(3, 1);
      r.attach(r.ain, walk);
      r.attach(other, walk);
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 20; i++) {
        r.clock.advance(100);
        a.push(physical(r.ain)());
        b.push(physical(other)());
      }
      expect(a).not.toEqual(b);
    });

    it('refuses a start outside min..max in the schema', () => {
      expect(signalSchema.safeParse({ ...walk, start: 20 }).success).toBe(false);
      expect(signalSchema.safeParse({ ...walk, step: 0 }).success).toBe(false);
    });
  });

  it('attach replaces the running signal', () => {
    const r = simRig();
    r.attach(r.ain, { kind: 'ramp', from: 4, to: 20, periodMs: 1000, sampleMs: 100 });
    r.clock.advance(100);
    r.attach(r.ain, { kind: 'constant', value: 7 });
    expect(r.runner.get(r.ain)).toEqual({ kind: 'constant', value: 7 });
    expect(r.clock.pending()).toBe(0);
    r.clock.advance(1000);
    expect(physical(r.ain)()).toBe(7);
  });

  it('detach stops the signal and leaves the last value', () => {
    const r = simRig();
    r.attach(r.ain, { kind: 'ramp', from: 4, to: 20, periodMs: 1000, sampleMs: 250 });
    r.clock.advance(250);
    expect(r.runner.detach(r.ain)).toBe(true);
    expect(r.runner.detach(r.ain)).toBe(false);
    expect(r.runner.get(r.ain)).toBeUndefined();
    const before = r.changes.length;
    r.clock.advance(5000);
    expect(r.changes.length).toBe(before);
    expect(physical(r.ain)()).toBe(8);
    expect(r.clock.pending()).toBe(0);
  });

  it('keeps the old signal when the new one starts with a refused value', () => {
    const r = simRig();
    const rtd = r.device.channel(4, 0); // PT100: -200..850 °C
    r.attach(rtd, { kind: 'ramp', from: 0, to: 100, periodMs: 1000, sampleMs: 100 });
    expectSimError(() => r.attach(rtd, { kind: 'constant', value: 5000 }), 'DEVICE_VALUE_OUT_OF_RANGE');
    expect(r.runner.get(rtd)).toMatchObject({ kind: 'ramp' });
    r.clock.advance(300);
    expect(rtd.read('rtdValueScaled')).toBeCloseTo(30, 9);
  });

  it('skips a generated value the channel refuses, logs it, and goes on', () => {
    const logger = { warn: vi.fn() };
    const r = simRig(1, logger);
    const rtd = r.device.channel(4, 0);
    r.attach(rtd, { kind: 'steps', steps: [{ value: 800, holdMs: 100 }, { value: 900, holdMs: 100 }, { value: 820, holdMs: 100 }] });
    r.clock.advance(100);
    expect(rtd.read('rtdValueScaled')).toBe(800);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[0]).toMatchObject({ ioName: rtd.ioName });
    r.clock.advance(100);
    expect(rtd.read('rtdValueScaled')).toBe(820);
  });

  it('refuses a signal on an output and attaches nothing', () => {
    const r = simRig();
    const out = r.device.channel(6, 0);
    expectSimError(() => r.attach(out, { kind: 'constant', value: 1 }), 'DEVICE_NOT_APPLICABLE');
    expect(r.runner.get(out)).toBeUndefined();
    expect(r.clock.pending()).toBe(0);
  });

  it('maps values to DI levels at the 0.5 threshold', () => {
    const r = simRig();
    r.attach(r.di, { kind: 'constant', value: 0.5 });
    expect(r.di.read('diStatus')).toBe(1);
    r.attach(r.di, { kind: 'constant', value: 0.49 });
    expect(r.di.read('diStatus')).toBe(0);
  });

  it('dispose detaches every signal', () => {
    const r = simRig();
    r.attach(r.ain, { kind: 'sine', offset: 12, amplitude: 1, periodMs: 1000 });
    r.attach(r.di, { kind: 'square', periodMs: 100 });
    expect(r.clock.pending()).toBe(2);
    r.runner.dispose();
    expect(r.clock.pending()).toBe(0);
    expect(r.runner.get(r.di)).toBeUndefined();
  });
});

describe('generators (pure)', () => {
  it('step iterators give the delay to the next change and its value', () => {
    const g = createGenerator(signalSchema.parse({ kind: 'square', periodMs: 100, duty: 0.3, low: -1, high: 2 }), mulberry32(1));
    expect(g.start()).toBe(2);
    expect([g.next(), g.next(), g.next()]).toEqual([
      { delayMs: 30, value: -1 },
      { delayMs: 70, value: 2 },
      { delayMs: 30, value: -1 },
    ]);
    const c = createGenerator(signalSchema.parse({ kind: 'constant', value: 3 }), mulberry32(1));
    expect(c.start()).toBe(3);
    expect(c.next()).toBeNull();
  });
});

describe('random', () => {
  it('mulberry32 is deterministic and in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(Array.from({ length: 10 }, mulberry32(124))).not.toEqual(xs.slice(0, 10));
  });

  it('deriveSeed depends on both the seed and the key', () => {
    expect(deriveSeed(1, 'a')).toBe(deriveSeed(1, 'a'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(2, 'a'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(1, 'b'));
    expect(Number.isInteger(deriveSeed(1, 'x'))).toBe(true);
    expect(deriveSeed(1, 'x')).toBeGreaterThanOrEqual(0);
  });
});
