import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDevice } from 'iothinx-sim/testing';
import { writeCoil } from '../modbus.mjs';

let device;
before(async () => {
  device = await startDevice({ clock: 'manual' });
});
after(() => device?.stop());

test('a DI set on the field side reads 1 over the device API', async () => {
  const { ioName } = await device.client.setField('1/0', { level: 1 });
  const res = await fetch(`${device.http}/api/io/di/${ioName}/diStatus`, {
    headers: { Accept: 'vdn.dac.v2', 'Content-Type': 'application/json' },
  });
  assert.deepEqual(await res.json(), { value: 1 });
});

test('the SCADA switches DO 3 exactly once, through a slow link', async () => {
  const { ioName } = await device.client.channel(2, 3);
  const coil = (await device.client.modbusMap()).find((r) => r.ioName === ioName && r.parameter === 'doStatus').address;
  await device.client.clearJournal();
  await device.client.injectFault({ kind: 'modbus-slow', delayMs: 2000, count: 1 });

  const reply = writeCoil(device.modbus, coil, true);
  await device.client.waitFor('2/3', 'doStatus', 1);
  await device.client.advance(2000);
  await reply;

  const writes = await device.client.journal({ kind: 'write', source: 'modbus', ioName: '2/3', attribute: 'doStatus' });
  assert.equal(writes.length, 1);
});
