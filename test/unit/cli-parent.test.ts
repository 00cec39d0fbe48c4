/**
 * IOTHINX_SIM_REMOVE_ON_EXIT (src/cli/parent.ts) removes only a fixture's run dir: a folder
 * iothinx-* right under the temp dir. Anything else is a usage error and nothing is scheduled.
 */
import { describe, expect, it } from 'vitest';
import { removeOnExit, REMOVE_ON_EXIT_ENV, watchParent, PARENT_FD_ENV } from '../../src/cli/parent.js';
import { expectSimError } from './helpers.js';

describe('IOTHINX_SIM_REMOVE_ON_EXIT', () => {
  const temp = '/tmp/run-temp';
  const attempt = (dir: string) => () => removeOnExit({ [REMOVE_ON_EXIT_ENV]: dir }, temp);

  it.each([
    ['a data folder', '/data'],
    ['the temp dir itself', '/tmp/run-temp'],
    ['a folder of another name under it', '/tmp/run-temp/mine'],
    ['a fixture-like name deeper down', '/tmp/run-temp/a/iothinx-device-1'],
    ['a way out of it', '/tmp/run-temp/iothinx-x/../../etc'],
    ['a relative path', 'iothinx-device-1'],
  ])('refuses %s (%s)', (_what, dir) => {
    const before = process.listenerCount('exit');
    expect(expectSimError(attempt(dir), 'CLI_USAGE').message).toMatch(/iothinx-\* right under \/tmp\/run-temp/);
    expect(process.listenerCount('exit')).toBe(before);
  });

  it('accepts a run dir of the fixture and removes it at exit; unset, it does nothing', () => {
    const before = process.listenerCount('exit');
    removeOnExit({}, temp);
    expect(process.listenerCount('exit')).toBe(before);
    removeOnExit({ [REMOVE_ON_EXIT_ENV]: '/tmp/run-temp/iothinx-device-Ab12' }, temp);
    expect(process.listenerCount('exit')).toBe(before + 1);
    process.removeListener('exit', process.listeners('exit').at(-1)!);
  });

  it('IOTHINX_SIM_PARENT_FD must name a descriptor of 3 or more', () => {
    expect(expectSimError(() => watchParent(() => {}, { [PARENT_FD_ENV]: '1' }), 'CLI_USAGE').message).toMatch(/3 or more/);
    expect(expectSimError(() => watchParent(() => {}, { [PARENT_FD_ENV]: 'x' }), 'CLI_USAGE').message).toMatch(/3 or more/);
  });
});
