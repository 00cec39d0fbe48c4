/**
 * `iothinx-sim field-device --control`: a standalone virtual field device on one end of a socat
 * pty pair, polled by mbpoll (libmodbus) as the RTU master on the other end, and driven over its
 * control API while it runs: points, faults, and refusals that name the field. Then modbus-serial,
 * the Node users' library, as the RTU master on the same pty (#18).
 */
import { join } from 'node:path';
import ModbusRTU from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mbpoll as mbpollClient } from '../helpers/mbpoll.js';
import { CLI, cleanupProcesses, tempDir } from '../helpers/process.js';
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

afterAll(async () => {
  await stopPeers();
  // The temp dir (pty links, ready file) goes too.
  await cleanupProcesses();
});

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

describe('modbus-serial as the RTU master (#18)', () => {
  it('reads and writes the field device over the pty, and sees an injected exception', async () => {
    // A CommonJS module: its default import's `default` is the class (as its types say).
    const master = new ModbusRTU.default();
    await master.connectRTUBuffered(pty.a, { baudRate: BAUD, parity: 'none', dataBits: 8, stopBits: 1 });
    try {
      master.setID(SLAVE);
      master.setTimeout(2000);
      await master.writeRegister(1, 4321); // frequencySetpoint, 0.01 Hz (FC 6)
      expect((await call('GET', '/')).body.points.find((p: { name: string }) => p.name === 'frequencySetpoint').value).toBeCloseTo(43.21, 2);
      expect((await master.readHoldingRegisters(1, 1)).data).toEqual([4321]);
      await master.writeCoil(0, true); // run (FC 5)
      expect((await master.readCoils(0, 2)).data.slice(0, 2)).toEqual([true, false]);
      // runHours: a uint32, high word first (FC 4).
      const [hi, lo] = (await master.readInputRegisters(8, 2)).data;
      expect(hi! * 0x10000 + lo!).toBe(1234);
      await call('PUT', '/fault', { kind: 'exception', exceptionCode: 2 });
      await expect(master.readHoldingRegisters(1, 1)).rejects.toMatchObject({ modbusCode: 2 });
      await call('DELETE', '/fault');
      expect((await master.readHoldingRegisters(1, 1)).data).toEqual([4321]);
    } finally {
      await new Promise<void>((resolve) => master.close(() => resolve()));
    }
  });
});
