/**
 * mbpoll (/usr/bin/mbpoll, libmodbus) against the built CLI running the default profile:
 * coils, discrete inputs, input-register REALs, holding WORDs and an exception, at addresses
 * taken from GET /sim/v1/modbus/map. mbpoll flags: -0 PDU (0-based) addresses, -1 one poll,
 * -B high word first for 32-bit values, -t 0 coil / 1 discrete / 3 input / 4 holding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliDevice, unmapped, type CliDevice } from '../helpers/cli-device.js';
import { mbpoll as mbpollClient } from '../helpers/mbpoll.js';
import { cleanupProcesses } from '../helpers/process.js';


let device: CliDevice;

// One emulator for the file: each test works on its own channels.
beforeAll(async () => {
  device = await startCliDevice();
});

afterAll(async () => {
  await cleanupProcesses();
});

/** mbpoll on one reference: `-B` high word first, 5 s timeout (PDU addresses, one poll). */
const { run: mbpoll, read, write } = mbpollClient(
  () => ['-m', 'tcp', '-p', String(device.modbusPort), '-B', '-o', '5'],
  () => device.modbusHost,
);

describe('mbpoll', () => {
  it('writes a DO coil, seen by the device API, read back, and looped back to DI 1/15', async () => {
    const coil = await device.row(2, 'doStatus', 0);
    expect(coil).toMatchObject({ table: 'coil', type: 'bit' });
    await write('0', coil.address, [1]);
    expect((await device.call('GET', '/slots/2/channels/0')).body).toMatchObject({ doStatus: 1 });
    expect(await read('0', coil.address)).toEqual([1]);
    // The default profile wires DO 2/0 to DI 1/15.
    expect(await read('1', (await device.row(1, 'diStatus', 15)).address)).toEqual([1]);
    await write('0', coil.address, [0]);
    expect((await device.call('GET', '/slots/2/channels/0')).body).toMatchObject({ doStatus: 0 });
  });

  it('reads a DI set through the emulator API as a discrete input', async () => {
    const di = await device.row(1, 'diStatus', 3);
    expect(await read('1', di.address)).toEqual([0]);
    expect((await device.call('PUT', '/slots/1/channels/3', { level: 1 })).status).toBe(200);
    expect(await read('1', di.address)).toEqual([1]);
  });

  it('reads an AI scaled REAL (FC4, high word first)', async () => {
    const ai = await device.row(4, 'aiValueScaled', 1);
    expect(ai).toMatchObject({ table: 'input', type: 'float', length: 2 });
    expect((await device.call('PUT', '/slots/4/channels/1', { physical: 12 })).body).toMatchObject({ modeName: '4-20mA', aiValueScaled: 12 });
    expect(await read('3:float', ai.address)).toEqual([12]);
  });

  it('writes and reads holding WORD and REAL internal registers', async () => {
    const wir = device.irRow('WIR-05');
    await write('4', wir.address, [4321]);
    expect(await read('4', wir.address)).toEqual([4321]);
    const irs = (await device.call('GET', '/internal-registers')).body as { ioName: string; value: number }[];
    expect(irs.find((ir) => ir.ioName === 'WIR-05')?.value).toBe(4321);
    const fir = device.irRow('FIR-01');
    await write('4:float', fir.address, [-2.5]);
    expect((await device.call('GET', '/internal-registers')).body.find((ir: { ioName: string }) => ir.ioName === 'FIR-01').value).toBe(-2.5);
    expect(await read('4:float', fir.address)).toEqual([-2.5]);
  });

  it('reports an unmapped address as "Illegal data address"', async () => {
    const run = await mbpoll('4', unmapped(device.map, 'holding'));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Illegal data address/i);
    const coil = await mbpoll('0', unmapped(device.map, 'coil'));
    expect(coil.code).not.toBe(0);
    expect(coil.stderr).toMatch(/Illegal data address/i);
  });
});
