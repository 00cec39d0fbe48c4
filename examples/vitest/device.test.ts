import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDevice, type StartedDevice } from 'iothinx-sim/testing';
import { readDiscreteInput, writeCoil } from '../modbus.mjs';

let device: StartedDevice;

beforeAll(async () => {
  device = await startDevice({ clock: 'manual' });
});
afterAll(() => device?.stop());

/** The Modbus address of a channel's parameter, from the device's own map. */
async function address(ref: string, parameter: string): Promise<number> {
  const [slot, index] = ref.split('/').map(Number);
  const { ioName } = await device.client.channel(slot!, index!);
  const row = (await device.client.modbusMap()).find((r) => r.ioName === ioName && r.parameter === parameter);
  return row!.address;
}

test('a DI set on the field side reads 1 over Modbus/TCP', async () => {
  await device.client.setField('1/0', { level: 1 });
  expect(await readDiscreteInput(device.modbus!, await address('1/0', 'diStatus'))).toBe(1);
});

test('the SCADA switches DO 3 exactly once, through a slow link', async () => {
  const coil = await address('2/3', 'doStatus');
  await device.client.clearJournal();
  // The next Modbus reply is held back for 2 s of device time.
  await device.client.injectFault({ kind: 'modbus-slow', delayMs: 2000, count: 1 });

  const reply = writeCoil(device.modbus!, coil, true); // what the SCADA does
  await device.client.waitFor('2/3', 'doStatus', 1);
  await device.client.advance(2000); // the reply leaves now
  await reply;

  const writes = await device.client.journal({ kind: 'write', source: 'modbus', ioName: '2/3', attribute: 'doStatus' });
  expect(writes).toHaveLength(1);
  expect(await device.client.faults()).toEqual([]); // count: 1 cleared it
});
