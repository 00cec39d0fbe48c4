/**
 * iothinx-sim/testing (issue #9): startDevice in both modes, the SimClient against a running
 * device, its errors, and its route list checked against the device's own OpenAPI document.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLIENT_ROUTES, SCENARIO_ROUTES, SimClient, SimClientError, startDevice, type StartedDevice } from '../../src/testing/index.js';

describe('startDevice, child mode', () => {
  let device: StartedDevice;
  beforeAll(async () => {
    device = await startDevice({ clock: 'manual' });
  });
  afterAll(() => device?.stop());

  it('reports its addresses and answers on them', async () => {
    expect(device.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(device.modbus).toEqual({ host: '127.0.0.1', port: expect.any(Number) });
    expect(device.mqtt).toBeNull();
    expect(device.pid).not.toBe(process.pid);
    await expect(device.client.health()).resolves.toMatchObject({ status: 'ok', clock: 'manual' });
  });

  it('every route the client uses is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${device.http}/sim/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const missing = CLIENT_ROUTES.filter(([method, path]) => !doc.paths[path]?.[method]);
    expect(missing).toEqual([]);
    // The scenario routes land separately; where served, they must match too.
    const served = SCENARIO_ROUTES.filter(([method, path]) => doc.paths[path]?.[method]);
    expect(served.length === 0 || served.length === SCENARIO_ROUTES.length).toBe(true);
  });

  it('sets the field side, writes, reads back and waits on the event stream', async () => {
    const c = device.client;
    expect((await c.setField('1/0', { level: 1 })).diStatus).toBe(1);
    expect((await c.channel(1, 0)).diStatus).toBe(1);
    const pending = c.waitFor('2/3', 'doStatus', 1, { timeoutMs: 5000 });
    await c.write('2/3', 'doStatus', 1);
    await expect(pending).resolves.toBe(1);
    await expect(c.waitFor('2/3', 'doStatus', (v) => v > 0)).resolves.toBe(1);
    expect(await c.read('2/3', 'doStatus')).toBe(1);
    const before = await c.clock();
    await expect(c.advance(250)).resolves.toMatchObject({ monotonic: before.monotonic + 250 });
    const ir = await c.setInternalRegister('WIR-00', 42);
    expect(ir).toEqual({ type: 'word', index: 0, ioName: 'WIR-00', value: 42 });
    expect((await c.internalRegisters()).find((r) => r.ioName === 'WIR-00')?.value).toBe(42);
  });

  it('times out naming the attribute and the last value', async () => {
    const error = await device.client.waitFor('2/2', 'doStatus', 1, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimClientError);
    expect(error).toMatchObject({ code: 'CLIENT_TIMEOUT', status: null, message: '2/2 doStatus: still 0 after 300 ms, waiting for 1' });
  });

  it('throws the API error body as a SimClientError', async () => {
    const error = await device.client.setField('1/0', { level: 2 as 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SimClientError', status: 400, code: 'HTTP_BAD_REQUEST', path: 'level', request: 'PUT /sim/v1/slots/1/channels/0' });
    await expect(device.client.channel(1, 99)).rejects.toMatchObject({ status: 404, code: 'DEVICE_UNKNOWN_CHANNEL' });
    await expect(device.client.injectFault({ kind: 'modbus-slow', delayMs: -1 })).rejects.toMatchObject({ status: 400, path: 'delayMs' });
    await expect(device.client.clearFault('f999')).rejects.toMatchObject({ status: 404, code: 'FAULT_UNKNOWN' });
  });

  it('injects, lists and clears faults; reads and clears the journal', async () => {
    const c = device.client;
    const fault = await c.injectFault({ kind: 'modbus-slow', delayMs: 200 });
    expect(fault).toMatchObject({ id: expect.any(String), spec: { kind: 'modbus-slow', delayMs: 200 }, hits: 0 });
    expect((await c.faults()).map((f) => f.id)).toEqual([fault.id]);
    await expect(c.clearFault(fault.id)).resolves.toEqual({ cleared: fault.id });
    await c.injectFault({ kind: 'module-failed', slot: 3 });
    await expect(c.clearFaults()).resolves.toEqual({ cleared: 1 });
    await c.clearJournal();
    await c.write('2/0', 'doStatus', 1);
    const writes = await c.journal({ kind: 'write', ioName: '2/0', attribute: 'doStatus' });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ source: 'sim', value: 1 });
  });

  it('reads the status documents', async () => {
    const c = device.client;
    expect((await c.device()).slots.length).toBeGreaterThan(1);
    expect((await c.config()).device.name).toBe((await c.device()).name);
    expect((await c.modbusMap()).some((r) => r.parameter === 'doStatus')).toBe(true);
    expect(await c.modbus()).toHaveProperty('address');
    expect(await c.mqtt()).toMatchObject({ enabled: expect.any(Boolean) });
    expect(await c.serial()).toHaveProperty('enabled');
  });

  it('stop() is idempotent and frees the port', async () => {
    const other = await startDevice();
    await Promise.all([other.stop(), other.stop()]);
    await other[Symbol.asyncDispose]();
    await expect(other.client.health()).rejects.toMatchObject({ code: 'CLIENT_UNREACHABLE' });
  });
});

describe('startDevice, in-process mode and inline profiles', () => {
  it('runs an inline profile in this process', async () => {
    const profile = parse(await readFile('profiles/default.yaml', 'utf8')) as { device: { name: string } };
    profile.device.name = 'inline_4510';
    const device = await startDevice({ mode: 'in-process', profile, modbus: false });
    try {
      expect(device.pid).toBe(process.pid);
      expect(device.modbus).toBeNull();
      expect((await device.client.device()).name).toBe('inline_4510');
    } finally {
      await device.stop();
    }
    await expect(device.client.health()).rejects.toMatchObject({ code: 'CLIENT_UNREACHABLE' });
  });

  it('a child that fails to start rejects with its stderr', async () => {
    const error = await startDevice({ profile: { device: { name: 'x' }, slots: 'nope' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CLIENT_START_FAILED' });
    expect((error as Error).message).toMatch(/exited \(code 2\) before it was ready: .*profile\.yaml: slots/);
  });

  it('an in-process start that fails rejects with the problem', async () => {
    await expect(startDevice({ mode: 'in-process', profile: 'profiles/does-not-exist.yaml' })).rejects.toThrow(/does-not-exist/);
  });
});

describe('SimClient', () => {
  it('accepts a URL with or without /sim/v1 and refuses a bad channel ref before any request', () => {
    expect(new SimClient('http://127.0.0.1:1/sim/v1/').url).toBe('http://127.0.0.1:1');
    expect(() => new SimClient('http://127.0.0.1:1').setField('1-0', { level: 1 })).toThrow(/expected slot\/index/);
  });
});
