import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SHIPPED_PROFILES } from '../../src/cli/args.js';
import { problemsOf } from '../../src/config/load.js';
import { DEFAULT_PROFILE, isBareName, PROFILES_DIR, resolveProfile, resolveShipped, shippedNames } from '../../src/config/profile-name.js';
import { expectSimError } from './helpers.js';

const ROOT_PROFILES = fileURLToPath(new URL('../../profiles/', import.meta.url));

describe('profiles by name (#18)', () => {
  it('finds the package profiles/ folder and lists its device profiles, not field devices or scenarios', () => {
    expect(PROFILES_DIR).toBe(ROOT_PROFILES);
    expect(DEFAULT_PROFILE).toBe(join(ROOT_PROFILES, 'default.yaml'));
    expect(shippedNames('profile')).toEqual(['default', 'packaging-line', 'rtu-gateway', 'tank-station']);
    // The CLI's usage text names them without reading the folder at start-up.
    expect(SHIPPED_PROFILES).toBe(shippedNames('profile').join(', '));
  });

  it('resolves a bare name to the shipped file and no option to the default', () => {
    expect(resolveProfile('tank-station')).toBe(join(ROOT_PROFILES, 'tank-station.yaml'));
    expect(resolveProfile('default')).toBe(DEFAULT_PROFILE);
    expect(resolveProfile(undefined)).toBe(DEFAULT_PROFILE);
  });

  it('leaves a path alone: a slash or a .yaml/.yml/.json extension', () => {
    for (const path of ['./tank-station', 'profiles/tank-station.yaml', '/abs/x', 'mine.yaml', 'mine.YML', 'mine.json', 'C:\\p\\x']) {
      expect(isBareName(path)).toBe(false);
      expect(resolveProfile(path)).toBe(path);
    }
  });

  it('an unknown name is PROFILE_READ_FAILED naming the name and listing the shipped names', () => {
    for (const name of ['tank-statoin', '', '..', '.default']) {
      const error = expectSimError(() => resolveProfile(name), 'PROFILE_READ_FAILED');
      expect(error.message).toContain('default, packaging-line, rtu-gateway, tank-station');
      expect(error.context).toMatchObject({ name, shipped: ['default', 'packaging-line', 'rtu-gateway', 'tank-station'] });
      // One problem, printed by the CLI as `NAME: (profile name): ...` with exit 2.
      expect(problemsOf(error)).toEqual([{ file: name, path: '(profile name)', message: expect.stringContaining('no profile of that name ships with iothinx-sim') as string }]);
    }
    expect(resolveProfile.bind(null, 'tank-statoin')).toThrow(/^tank-statoin: \(profile name\): .*e\.g\. \.\/tank-statoin\.yaml$/);
  });

  it('resolves a bare name by kind: scenarios and field devices from their folders of profiles/', () => {
    expect(resolveShipped('field-device', 'vfd')).toBe(join(ROOT_PROFILES, 'field-devices', 'vfd.yaml'));
    expect(resolveShipped('scenario', 'tank-station-selftest')).toBe(join(ROOT_PROFILES, 'scenarios', 'tank-station-selftest.yaml'));
    expect(resolveShipped('profile', 'tank-station')).toBe(resolveProfile('tank-station'));
    expect(resolveShipped('field-device', './vfd')).toBe('./vfd');
    expect(shippedNames('field-device')).toEqual(['power-meter', 'temperature-transmitter', 'vfd']);
    expect(shippedNames('scenario')).toEqual(['default-io-selftest', 'fleet-line', 'tank-high-level-pump-off', 'tank-station-selftest']);
  });

  it('an unknown name of a kind lists the shipped names of that kind only', () => {
    const device = expectSimError(() => resolveShipped('field-device', 'tank-station'), 'PROFILE_READ_FAILED');
    expect(problemsOf(device)).toEqual([
      { file: 'tank-station', path: '(field device name)', message: 'no field device of that name ships with iothinx-sim (power-meter, temperature-transmitter, vfd); name a file of your own by its path, e.g. ./tank-station.yaml' },
    ]);
    const scenario = expectSimError(() => resolveShipped('scenario', 'vfd'), 'PROFILE_READ_FAILED');
    expect(scenario.message).toMatch(/^vfd: \(scenario name\): no scenario of that name ships with iothinx-sim \(default-io-selftest, fleet-line, /);
    expect(scenario.context).toMatchObject({ name: 'vfd', kind: 'scenario' });
  });
});
