import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDevice, type StartedDevice } from 'iothinx-sim/testing';

let device: StartedDevice;

beforeAll(async () => {
  device = await startDevice({ clock: 'manual' });
});
afterAll(() => device?.stop()); // also closes the Modbus connections it handed out

test('a DI set on the field side reads 1 over Modbus/TCP', async () => {
  await device.client.setField('1/0', { level: 1 });
  // The address comes from the device's own map: FC 2 on DI-00's discrete input.
  expect(await device.readAttribute('1/0', 'diStatus')).toBe(1);
});

test('the SCADA switches DO 3 exactly once, through a slow link', async () => {
  await device.client.clearJournal();
  // The next Modbus reply is held back for 2 s of device time.
  await device.client.injectFault({ kind: 'modbus-slow', delayMs: 2000, count: 1 });

  const reply = device.writeAttribute('2/3', 'doStatus', 1); // what the SCADA does: FC 5
  await device.client.waitFor('2/3', 'doStatus', 1);
  await device.client.advance(2000); // the reply leaves now
  await reply;

  const writes = await device.client.journal({ kind: 'write', source: 'modbus', ioName: '2/3', attribute: 'doStatus' });
  expect(writes).toHaveLength(1);
  expect(await device.client.faults()).toEqual([]); // count: 1 cleared it
});

test('a modbus-serial client, as a SCADA library would use it', async () => {
  const modbus = await device.modbusClient(); // connected, unit id set, closed by stop()
  const { address, wordOrder } = await device.modbusPoint('4/1', 'aiValueScaled'); // a REAL, two input registers
  const { data } = await modbus.readInputRegisters(address, 2);
  // Decoded as a SCADA would: the two words in the device's word order, then IEEE-754.
  const [hi, lo] = wordOrder === 'high-first' ? data : [data[1], data[0]];
  const raw = Buffer.alloc(4);
  raw.writeUInt16BE(hi!, 0);
  raw.writeUInt16BE(lo!, 2);
  expect(raw.readFloatBE(0)).toBeCloseTo((await device.client.read('4/1', 'aiValueScaled')) as number, 4);
  expect(await device.readAttribute('4/1', 'aiValueScaled')).toBeCloseTo((await device.client.read('4/1', 'aiValueScaled')) as number, 4);
});
