/**
 * `iothinx-sim ctl` (issue #9) against a running device: output, and the exit codes scripts
 * rely on (0 ok, 1 timeout or unreachable, 2 usage or a 4xx naming the field).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevice, type StartedDevice } from '../../src/testing/index.js';
import { cleanupProcesses, runCli } from '../helpers/process.js';

describe('iothinx-sim ctl', () => {
  let device: StartedDevice;
  const ctl = (...args: string[]) => runCli(['ctl', '--url', device.http, ...args]);
  beforeAll(async () => {
    device = await startDevice({ clock: 'manual' });
  });
  afterAll(async () => {
    await device?.stop();
    await cleanupProcesses();
  });

  it('set, get and write', async () => {
    expect(await ctl('set', '1/0', '--level', '1')).toMatchObject({ code: 0, stdout: '' });
    expect(await ctl('get', '1/0', 'diStatus')).toMatchObject({ code: 0, stdout: '1\n' });
    const whole = await ctl('get', '1/0');
    expect(JSON.parse(whole.stdout)).toMatchObject({ ioName: '45MR-1600-0@Button', diStatus: 1 });
    expect((await ctl('set', '4/0', '--burnout', 'true')).code).toBe(0);
    expect((await ctl('write', '2/3', 'doStatus', '1')).code).toBe(0);
    expect(await ctl('get', '2/3', 'doStatus')).toMatchObject({ code: 0, stdout: '1\n' });
  });

  it('wait: 0 once reached, 1 on timeout', async () => {
    expect((await ctl('wait', '2/3', 'doStatus', '1', '--timeout', '2000')).code).toBe(0);
    const late = await ctl('wait', '2/2', 'doStatus', '1', '--timeout', '500');
    expect(late.code, late.stderr).toBe(1);
    expect(late.stderr).toMatch(/2\/2 doStatus: still 0 after 500 ms, waiting for 1/);
  });

  it('advance, fault, clear-faults, journal, health', async () => {
    expect((await ctl('advance', '500')).code).toBe(0);
    const fault = await ctl('fault', '{"kind":"modbus-slow","delayMs":200}');
    expect(fault.code).toBe(0);
    expect((await device.client.faults()).map((f) => f.id)).toEqual([fault.stdout.trim()]);
    expect((await ctl('clear-faults')).code).toBe(0);
    expect(await device.client.faults()).toEqual([]);
    const journal = await ctl('journal', '--kind', 'write', '--ioName', '2/3', '--attribute', 'doStatus');
    const lines = journal.stdout.trim().split('\n').map((l) => JSON.parse(l) as { value: number; source: string });
    expect(lines).toEqual([expect.objectContaining({ value: 1, source: 'sim' })]);
    expect(JSON.parse((await ctl('health')).stdout)).toMatchObject({ status: 'ok', clock: 'manual' });
  });

  it('exit 2 with the field named on a 4xx or bad usage', async () => {
    const bad = await ctl('set', '1/0', '--level', '2');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/400 HTTP_BAD_REQUEST: level: .*\(field: level\)/);
    expect((await ctl('fault', '{"kind":"modbus-slow","delayMs":-5}')).stderr).toMatch(/field: delayMs/);
    expect((await ctl('fault', 'not json')).code).toBe(2);
    expect((await ctl('get', '1/0', 'nope')).code).toBe(2);
    expect((await ctl('get', '1-0')).code).toBe(2);
    expect((await ctl('set', '1/0')).code).toBe(2);
    expect((await ctl('get', '1/0', '--level', '1')).stderr).toMatch(/--level does not apply/);
    expect((await ctl('frobnicate')).code).toBe(2);
    expect((await ctl('get', '1/99')).code).toBe(2);
  });

  it('exit 1 when the device cannot be reached', async () => {
    const down = await runCli(['ctl', '--url', 'http://127.0.0.1:1', 'health']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});
