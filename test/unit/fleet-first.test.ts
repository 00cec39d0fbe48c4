/** #17 item 4: a StatefulSet pod's ordinal sets its fleet's first device index (src/cli/fleet-first.ts). */
import { describe, expect, it } from 'vitest';
import { firstIndexFrom } from '../../src/cli/fleet-first.js';
import { SimError } from '../../src/errors.js';

const fail = (message: string) => new SimError('CLI_USAGE', message);
const first = (env: NodeJS.ProcessEnv, count = 100, flag?: string) => firstIndexFrom({ flag, env, count, fail });

describe('the fleet first index from --first, IOTHINX_SIM_FLEET_FIRST or IOTHINX_SIM_FLEET_ORDINAL', () => {
  it('is the profile’s (undefined) when nothing is set or the variables are empty', () => {
    expect(first({})).toBeUndefined();
    expect(first({ IOTHINX_SIM_FLEET_FIRST: '', IOTHINX_SIM_FLEET_ORDINAL: '' })).toBeUndefined();
  });

  it('takes the ordinal as pod O of a StatefulSet: O × count + 1', () => {
    expect(first({ IOTHINX_SIM_FLEET_ORDINAL: '0' })).toBe(1);
    expect(first({ IOTHINX_SIM_FLEET_ORDINAL: '3' })).toBe(301);
    expect(first({ IOTHINX_SIM_FLEET_ORDINAL: '3' }, 7)).toBe(22);
  });

  it('takes a pod name, whose last -N is the ordinal (clusters before the pod-index label)', () => {
    expect(first({ IOTHINX_SIM_FLEET_ORDINAL: 'iothinx-sim-0' })).toBe(1);
    expect(first({ IOTHINX_SIM_FLEET_ORDINAL: 'plant-a-sim-12' }, 50)).toBe(601);
  });

  it('lets --first win over both variables, and the first-index variable stand alone', () => {
    expect(first({ IOTHINX_SIM_FLEET_ORDINAL: '3', IOTHINX_SIM_FLEET_FIRST: '9' }, 100, '40')).toBe(40);
    expect(first({ IOTHINX_SIM_FLEET_FIRST: '9' })).toBe(9);
  });

  it('refuses both variables at once, naming both', () => {
    expect(() => first({ IOTHINX_SIM_FLEET_ORDINAL: '3', IOTHINX_SIM_FLEET_FIRST: '9' })).toThrow(
      'IOTHINX_SIM_FLEET_FIRST and IOTHINX_SIM_FLEET_ORDINAL are both set ("9", "3"): set one',
    );
  });

  it('refuses a bad ordinal, naming the variable, the range for this count and the value', () => {
    for (const bad of ['x', '-1', '1.5', 'sim-', 'sim-x', '10000', '9999999']) {
      expect(() => first({ IOTHINX_SIM_FLEET_ORDINAL: bad })).toThrow(
        `IOTHINX_SIM_FLEET_ORDINAL: expected a pod ordinal 0..9999 (first index = ordinal × 100 + 1 ≤ 999999) or a pod name ending in -ORDINAL, got "${bad}"`,
      );
    }
    expect(first({ IOTHINX_SIM_FLEET_ORDINAL: '9999' })).toBe(999_901);
  });
});
