/**
 * #18: a shipped profile by its name, through the built CLI and the fixture (the resolution itself:
 * test/unit/profile-name.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startDevice } from '../../src/testing/index.js';
import { isSimClientError } from '../../src/testing/errors.js';
import { cleanupProcesses, runCli } from '../helpers/process.js';

afterEach(cleanupProcesses);

const SHIPPED = '(default, packaging-line, rtu-gateway, tank-station)';

describe('profiles by name (#18)', () => {
  it('map --profile tank-station reads the shipped file; an unknown name exits 2 listing the shipped names', async () => {
    const map = await runCli(['map', '--profile', 'tank-station', '--format', 'csv']);
    expect(map.code, map.stderr).toBe(0);
    expect(map.stdout).toContain('TankLevel');
    for (const argv of [['map', '--profile', 'tank-statoin'], ['start', '--profile', 'tank-statoin', '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--snmp', '127.0.0.1:0']]) {
      const run = await runCli(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toContain(`tank-statoin: (profile name): no profile of that name ships with iothinx-sim ${SHIPPED}`);
    }
  });

  it('startDevice({ profile: "tank-station" }) in-process, and an unknown name rejects with CLIENT_START_FAILED', async () => {
    await using device = await startDevice({ profile: 'tank-station', mode: 'in-process' });
    expect((await device.client.device()).name).toBe('TankStation01');
    const error: unknown = await startDevice({ profile: 'tank-statoin', mode: 'in-process' }).catch((e: unknown) => e);
    expect(isSimClientError(error, 'CLIENT_START_FAILED')).toBe(true);
    expect((error as Error).message).toContain(SHIPPED);
  });
});
