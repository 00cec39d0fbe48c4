/**
 * #16 item 2c with a client nobody here wrote: mbpoll (/usr/bin/mbpoll, libmodbus) against the
 * Modbus gateway of one `iothinx-sim fleet` child process, choosing the device with `-a UNIT`.
 * Each unit id reads its own device's serial number from the system block, a coil written to
 * unit 2 changes device 2 only (as its emulator API shows), and a unit id with no device gets
 * exception 11, which libmodbus names "Target device failed to respond".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type StartedFleet } from '../../src/testing/index.js';
import { mbpoll } from '../helpers/mbpoll.js';

let fleet: StartedFleet;

beforeAll(async () => {
  fleet = await startFleet({ count: 3, gateway: true });
});

afterAll(async () => {
  await fleet?.stop();
});

/** mbpoll on the gateway, unit id `unit`: PDU addresses, one poll, 5 s timeout. */
const on = (unit: number) =>
  mbpoll(
    () => ['-m', 'tcp', '-p', String(fleet.gateway!.port), '-a', String(unit), '-o', '5'],
    () => fleet.gateway!.host,
  );

/** Registers as ASCII, two characters a word, trailing NULs dropped. */
function text(words: number[]): string {
  return Buffer.from(words.flatMap((w) => [(w >> 8) & 0xff, w & 0xff])).toString('latin1').replace(/\0+$/, '');
}

describe('mbpoll through the fleet gateway', () => {
  it('-a u reads device u: each unit id its own serial number', async () => {
    const rows = (await fleet.devices[0]!.client.modbusMap()).filter((r) => r.parameter === 'serialNumber');
    const type = rows[0]!.table === 'holding' ? '4' : '3';
    for (const device of fleet.devices) {
      const words = await on(device.unitId!).read(type, rows[0]!.address, rows.length);
      // mbpoll prints registers as signed 16-bit integers.
      expect(text(words.map((w) => w & 0xffff)), device.name).toBe(device.serialNumber);
    }
  });

  it('-a 2 writes a coil on device 2 only', async () => {
    const coil = (await fleet.devices[1]!.client.modbusMap()).find((r) => r.slot === 2 && r.parameter === 'doStatus')!;
    await on(2).write('0', coil.address, [1]);
    const states = await Promise.all(fleet.devices.map(async (d) => (await d.client.channel(2, 0)).doStatus));
    expect(states).toEqual([0, 1, 0]);
    expect(await on(2).read('0', coil.address)).toEqual([1]);
    expect(await on(1).read('0', coil.address)).toEqual([0]);
  });

  it('-a 9 (no device there) gets exception 11, gateway target device failed to respond', async () => {
    const result = await on(9).run('4', 0);
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/target device failed to respond/i);
  });
});
