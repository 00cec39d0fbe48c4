/**
 * Signal generators as step iterators: `start()` gives the value at attach time and `next()` the
 * delay to the next change and the value then (null: the signal holds for ever). Edges of steps
 * and square waves fall at exact times; continuous shapes are sampled every sampleMs. Pure: no
 * timers here, so the runner decides how time passes.
 */
import type { SignalSpec } from '../device/schema.js';
import type { Random } from './random.js';

export interface SignalStep {
  delayMs: number;
  value: number;
}

export interface Generator {
  start(): number;
  next(): SignalStep | null;
}

export function createGenerator(spec: SignalSpec, random: Random): Generator {
  switch (spec.kind) {
    case 'constant':
      return { start: () => spec.value, next: () => null };
    case 'steps': {
      let i = 0;
      return {
        start: () => spec.steps[0]!.value,
        next: () => {
          const hold = spec.steps[i]!.holdMs;
          if (i + 1 >= spec.steps.length && !spec.repeat) return null;
          i = (i + 1) % spec.steps.length;
          return { delayMs: hold, value: spec.steps[i]!.value };
        },
      };
    }
    case 'square': {
      let high = true;
      const highMs = spec.periodMs * spec.duty;
      return {
        start: () => spec.high,
        next: () => {
          const delayMs = high ? highMs : spec.periodMs - highMs;
          high = !high;
          return { delayMs, value: high ? spec.high : spec.low };
        },
      };
    }
    case 'ramp':
      return sampled(spec.sampleMs, (t) => rampAt(spec, t), spec.shape === 'once' ? spec.periodMs : undefined);
    case 'sine':
      return sampled(spec.sampleMs, (t) => spec.offset + spec.amplitude * Math.sin((2 * Math.PI * t) / spec.periodMs));
    case 'randomWalk': {
      let value = spec.start;
      return {
        start: () => spec.start,
        next: () => {
          value = Math.min(spec.max, Math.max(spec.min, value + (random() * 2 - 1) * spec.step));
          return { delayMs: spec.sampleMs, value };
        },
      };
    }
  }
}

function sampled(sampleMs: number, at: (t: number) => number, endMs?: number): Generator {
  let t = 0;
  return {
    start: () => at(0),
    next: () => {
      if (endMs !== undefined && t >= endMs) return null;
      const delayMs = endMs !== undefined ? Math.min(sampleMs, endMs - t) : sampleMs;
      t += delayMs;
      return { delayMs, value: at(t) };
    },
  };
}

function rampAt(spec: Extract<SignalSpec, { kind: 'ramp' }>, t: number): number {
  const span = spec.to - spec.from;
  if (spec.shape === 'once') return spec.from + span * Math.min(1, t / spec.periodMs);
  const phase = (t % spec.periodMs) / spec.periodMs;
  if (spec.shape === 'sawtooth') return spec.from + span * phase;
  return spec.from + span * (phase < 0.5 ? phase * 2 : 2 - phase * 2);
}
