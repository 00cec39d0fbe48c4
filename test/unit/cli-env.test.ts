/**
 * #17: IOTHINX_SIM_* variables become flags placed before the command line's, so a flag given on
 * the command line wins (node:util parseArgs keeps the last of a repeated flag).
 */
import { describe, expect, it } from 'vitest';
import { parseStart } from '../../src/cli/args.js';
import { allowedHostsFromEnv, parseWithEnv, START_ENV, withEnv } from '../../src/cli/env.js';

describe('IOTHINX_SIM_* variables (src/cli/env.ts)', () => {
  it('put the flags first, skip empty and unknown variables, and take 1/true/yes for a boolean flag', () => {
    const env = { IOTHINX_SIM_MODBUS: '0.0.0.0:502', IOTHINX_SIM_HTTP: '', IOTHINX_SIM_QUIET: 'Yes', IOTHINX_SIM_NOT_A_FLAG: 'x' };
    expect(withEnv(['--seed', '7'], START_ENV, env)).toEqual({ argv: ['--quiet', '--modbus=0.0.0.0:502', '--seed', '7'], used: ['IOTHINX_SIM_QUIET=Yes', 'IOTHINX_SIM_MODBUS=0.0.0.0:502'] });
    expect(withEnv([], START_ENV, { IOTHINX_SIM_QUIET: '0' }).argv).toEqual([]);
  });

  it('lose to the command line', () => {
    const options = parseWithEnv(['--modbus', '127.0.0.1:5020'], START_ENV, parseStart, { IOTHINX_SIM_MODBUS: '0.0.0.0:502', IOTHINX_SIM_SNMP: 'off' });
    expect(options.modbus).toEqual({ host: '127.0.0.1', port: 5020 });
    expect(options.snmp).toBeNull();
  });

  it('name the variable in a usage error', () => {
    const parse = () => parseWithEnv([], START_ENV, parseStart, { IOTHINX_SIM_CLOCK: 'sundial' });
    expect(parse).toThrow(/--clock: expected real or manual[\s\S]*\(flags from the environment: IOTHINX_SIM_CLOCK=sundial\)/);
    // The variables echoed with a usage error keep a broker URL's password to themselves.
    const secret = () => parseWithEnv([], START_ENV, parseStart, { IOTHINX_SIM_CLOCK: 'sundial', IOTHINX_SIM_MQTT: 'mqtt://plant:s3cret@broker:1883' });
    expect(secret).toThrow(/IOTHINX_SIM_MQTT=mqtt:\/\/broker:1883/);
    expect(secret).not.toThrow(/s3cret/);
    expect(() => withEnv([], START_ENV, { IOTHINX_SIM_QUIET: 'maybe' })).toThrow(expect.objectContaining({ code: 'CLI_USAGE', message: expect.stringContaining('IOTHINX_SIM_QUIET') }));
  });

  it('add allowed hosts without duplicates, within the profile bound of 64', () => {
    expect(allowedHostsFromEnv({ IOTHINX_SIM_ALLOWED_HOSTS: ' fleet, plant.local ,,' })).toEqual(['fleet', 'plant.local']);
    expect(allowedHostsFromEnv({ IOTHINX_SIM_ALLOWED_HOSTS: 'fleet,fleet,mosquitto' })).toEqual(['fleet', 'mosquitto']);
    expect(() => allowedHostsFromEnv({ IOTHINX_SIM_ALLOWED_HOSTS: Array.from({ length: 65 }, (_, i) => `h${i}`).join(',') })).toThrow(/at most 64/);
  });
});
