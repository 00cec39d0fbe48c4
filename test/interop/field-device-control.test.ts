/**
 * `iothinx-sim field-device --control`: a standalone virtual field device on one end of a socat
 * pty pair, polled by mbpoll (libmodbus) as the RTU master on the other end, and driven over its
 * control API while it runs: points, faults, and refusals that name the field.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mbpoll as mbpollClient } from '../helpers/mbpoll.js';
import { CLI, tempDir } from '../helpers/process.js';
import { readyFile, startPeer, startPtyPair, stopPeers, type PtyPair } from '../helpers/pty.js';

const SLAVE = 5;
const BAUD = 19_200;
let pty: PtyPair;
let control: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://${control}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  const dir = await tempDir();
  pty = await startPtyPair(dir);
  const ready = join(dir, 'field-device.json');
  const peer = startPeer(process.execPath, [CLI, 'field-device', '--port', pty.b, '--profile', 'vfd', '--slave-id', String(SLAVE), '--baud', String(BAUD), '--control', '127.0.0.1:0', '--ready-file', ready]);
  const info = await readyFile<{ control: string; state: string }>(ready, peer);
  expect(info.state).toBe('open');
  control = info.control;
});

afterAll(stopPeers);

const { run, read } = mbpollClient(
  () => ['-m', 'rtu', '-a', String(SLAVE), '-b', String(BAUD), '-P', 'none', '-d', '8', '-s', '1', '-o', '1'],
  () => pty.a,
);

describe('field-device --control', () => {
  it('sets a point the master then reads', async () => {
    const set = await call('PUT', '/points/frequencySetpoint', { value: 25 });
    expect(set.status).toBe(200);
    // frequencySetpoint is holding register 1, in 0.01 Hz.
    expect(await read('4', 1)).toEqual([2500]);
  });

  it('answers the injected exception until the fault is cleared', async () => {
    const fault = await call('PUT', '/fault', { kind: 'exception', exceptionCode: 2 });
    expect(fault.body.fault).toEqual({ kind: 'exception', exceptionCode: 2, count: null });
    const refused = await run('4', 1);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toMatch(/Illegal data address/);
    expect((await call('DELETE', '/fault')).body.fault.kind).toBe('none');
    expect(await read('4', 1)).toEqual([2500]);
    expect((await call('GET', '/')).body.counters.faulted).toBeGreaterThanOrEqual(1);
  });

  it('refuses a bad fault or point naming the field, and changes nothing', async () => {
    const bad = await call('PUT', '/fault', { kind: 'slow', delayMs: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.path).toBe('delayMs');
    const unknown = await call('PUT', '/points/nope', { value: 1 });
    expect(unknown.status).toBe(404);
    const outOfRange = await call('PUT', '/points/frequencySetpoint', { value: 1e9 });
    expect(outOfRange.status).toBe(400);
    const now = (await call('GET', '/')).body;
    expect(now.fault.kind).toBe('none');
    expect(now.points.find((p: { name: string }) => p.name === 'frequencySetpoint').value).toBe(25);
  });
});
