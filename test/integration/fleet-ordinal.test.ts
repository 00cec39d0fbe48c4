/**
 * #17 item 4: `iothinx-sim fleet` as a StatefulSet pod runs it (deploy/kubernetes): the pod's
 * ordinal through IOTHINX_SIM_FLEET_ORDINAL sets the first index, so pod 2 of 3-device pods runs
 * devices 7..9 under the same names after every restart; a bad value exits 2 naming the variable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, runCli, startCliWith, tempDir } from '../helpers/process.js';

afterEach(cleanupProcesses);

describe('iothinx-sim fleet with IOTHINX_SIM_FLEET_ORDINAL', () => {
  it('runs devices ordinal × count + 1 on, from the ordinal or the pod name', async () => {
    for (const ordinal of ['2', 'iothinx-sim-2']) {
      const dir = await tempDir();
      const started = await startCliWith(['fleet', '--count', '3', '--addressing', 'ports:0', '--mqtt', 'off', '--quiet'], dir, { IOTHINX_SIM_FLEET_ORDINAL: ordinal });
      const ready = JSON.parse(await readFile(join(dir, 'ready.json'), 'utf8')) as { devices: { index: number; name: string }[] };
      expect(ready.devices.map((d) => [d.index, d.name])).toEqual([
        [7, 'ioThinx_4510-007'],
        [8, 'ioThinx_4510-008'],
        [9, 'ioThinx_4510-009'],
      ]);
      started.child.kill('SIGTERM');
      expect(await started.exited).toEqual({ code: 0, signal: null });
    }
  });

  it('exits 2 naming the variable', async () => {
    const bad = await runCli(['fleet', '--count', '2', '--mqtt', 'off'], 15_000, { IOTHINX_SIM_FLEET_ORDINAL: 'pod-x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('IOTHINX_SIM_FLEET_ORDINAL: expected a pod ordinal 0..499999');
    const both = await runCli(['fleet', '--count', '2', '--mqtt', 'off'], 15_000, { IOTHINX_SIM_FLEET_ORDINAL: '1', IOTHINX_SIM_FLEET_FIRST: '5' });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('IOTHINX_SIM_FLEET_FIRST and IOTHINX_SIM_FLEET_ORDINAL are both set');
  });
});

describe('GET /fleet/v1/health/live', () => {
  it('answers 200 while /fleet/v1/health says 503 because the broker is away (a livenessProbe restarts nothing)', async () => {
    const dir = await tempDir();
    // Port 1 on loopback: no broker there, so every device's MQTT client keeps connecting.
    const started = await startCliWith(['fleet', '--count', '2', '--addressing', 'ports:0', '--mqtt', 'mqtt://127.0.0.1:1', '--quiet'], dir);
    const ready = JSON.parse(await readFile(join(dir, 'ready.json'), 'utf8')) as { http: string };
    const health = await fetch(`http://${ready.http}/fleet/v1/health`);
    expect(health.status).toBe(503);
    const live = await fetch(`http://${ready.http}/fleet/v1/health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok', devices: 2 });
    started.child.kill('SIGTERM');
    expect(await started.exited).toEqual({ code: 0, signal: null });
  });
});
