import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET_HEAP_GROWING_PERCENT, DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercent } from '../../src/cli/heap.js';

describe('heapGrowingPercent (V8 old-space growth of `start`)', () => {
  it('defaults to 30 % when the variable is unset or empty', () => {
    expect(DEFAULT_HEAP_GROWING_PERCENT).toBe(30);
    expect(heapGrowingPercent({})).toBe(30);
    expect(heapGrowingPercent({ IOTHINX_SIM_HEAP_GROWING_PERCENT: '' })).toBe(30);
    // A fleet's own default (2x), which the variable overrides as well.
    expect(heapGrowingPercent({}, DEFAULT_FLEET_HEAP_GROWING_PERCENT)).toBe(100);
    expect(heapGrowingPercent({ IOTHINX_SIM_HEAP_GROWING_PERCENT: '0' }, DEFAULT_FLEET_HEAP_GROWING_PERCENT)).toBe(0);
  });

  it('takes 0 (V8 decides) through 400 from the environment', () => {
    expect(heapGrowingPercent({ IOTHINX_SIM_HEAP_GROWING_PERCENT: '0' })).toBe(0);
    expect(heapGrowingPercent({ IOTHINX_SIM_HEAP_GROWING_PERCENT: '75' })).toBe(75);
    expect(heapGrowingPercent({ IOTHINX_SIM_HEAP_GROWING_PERCENT: '400' })).toBe(400);
  });

  it('refuses anything else with a usage error naming the variable', () => {
    for (const bad of ['x', '-5', '401', '1e9', '12.5']) {
      expect(() => heapGrowingPercent({ IOTHINX_SIM_HEAP_GROWING_PERCENT: bad })).toThrow(/IOTHINX_SIM_HEAP_GROWING_PERCENT: expected an integer 0\.\.400/);
    }
  });
});
