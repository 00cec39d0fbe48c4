/**
 * pymodbus (Debian's python3-pymodbus, run with /usr/bin/python3) against the built CLI running
 * the default profile: test/interop/pymodbus_client.py runs a list of operations in one
 * connection and prints JSON. Addresses come from GET /sim/v1/modbus/map.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool, startCliDevice, unmapped, type CliDevice } from '../helpers/cli-device.js';
import { cleanupProcesses } from '../helpers/process.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./pymodbus_client.py', import.meta.url));

type Operation = { op: string; address: number; count?: number; value?: number | boolean; values?: number[]; unit?: number };
type Result = { bits?: number[]; registers?: number[]; float?: number; ok?: boolean; exception?: number; name?: string; error?: string };

let device: CliDevice;

beforeAll(async () => {
  device = await startCliDevice();
});

afterAll(async () => {
  await cleanupProcesses();
});

async function pymodbus(operations: Operation[]): Promise<Result[]> {
  const run = await runTool(PYTHON, [SCRIPT, device.modbusHost, String(device.modbusPort), JSON.stringify(operations)]);
  expect(run.code, run.stderr).toBe(0);
  const out = JSON.parse(run.stdout) as { version: string; results: Result[] };
  expect(out.version).toMatch(/^3\./);
  return out.results;
}

describe('pymodbus', () => {
  it('writes a DO coil, reads it back, and sees it looped back to DI 1/15', async () => {
    const coil = (await device.row(2, 'doStatus', 0)).address;
    const looped = (await device.row(1, 'diStatus', 15)).address;
    expect(await pymodbus([
      { op: 'write_coil', address: coil, value: true },
      { op: 'read_coils', address: coil, count: 1 },
      { op: 'read_discrete_inputs', address: looped, count: 1 },
    ])).toEqual([{ ok: true }, { bits: [1] }, { bits: [1] }]);
    expect((await device.call('GET', '/slots/2/channels/0')).body).toMatchObject({ doStatus: 1 });
  });

  it('reads a DI set through the emulator API, and an AI scaled REAL', async () => {
    const di = (await device.row(1, 'diStatus', 3)).address;
    const ai = (await device.row(4, 'aiValueScaled', 1)).address;
    expect((await device.call('PUT', '/slots/1/channels/3', { level: 1 })).status).toBe(200);
    expect((await device.call('PUT', '/slots/4/channels/1', { physical: 12 })).status).toBe(200);
    expect(await pymodbus([
      { op: 'read_discrete_inputs', address: di, count: 1 },
      { op: 'read_input_float', address: ai },
    ])).toEqual([{ bits: [1] }, { float: 12 }]);
  });

  it('writes and reads a holding WORD internal register', async () => {
    const wir = device.irRow('WIR-07').address;
    expect(await pymodbus([
      { op: 'write_register', address: wir, value: 65_535 },
      { op: 'read_holding_registers', address: wir, count: 1 },
      { op: 'write_registers', address: wir, values: [11, 12] },
      { op: 'read_holding_registers', address: wir, count: 2 },
    ])).toEqual([{ ok: true }, { registers: [65_535] }, { ok: true }, { registers: [11, 12] }]);
    const irs = (await device.call('GET', '/internal-registers')).body as { ioName: string; value: number }[];
    expect(irs.find((ir) => ir.ioName === 'WIR-07')?.value).toBe(11);
    expect(irs.find((ir) => ir.ioName === 'WIR-08')?.value).toBe(12);
  });

  it('gets exception responses: an unmapped address, and a DO in pulse mode', async () => {
    const pulsed = (await device.row(2, 'doStatus', 1)).address;
    expect(await pymodbus([
      { op: 'read_holding_registers', address: unmapped(device.map, 'holding'), count: 1 },
      { op: 'read_coils', address: unmapped(device.map, 'coil'), count: 1 },
      { op: 'write_coil', address: pulsed, value: true },
      // The connection is still usable after exceptions.
      { op: 'read_holding_registers', address: device.irRow('WIR-00').address, count: 1 },
    ])).toEqual([
      { exception: 2, name: 'IllegalAddress' },
      { exception: 2, name: 'IllegalAddress' },
      { exception: 3, name: 'IllegalValue' },
      { registers: [0] },
    ]);
  });
});
