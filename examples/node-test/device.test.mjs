import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDevice } from 'iothinx-sim/testing';

let device;
before(async () => {
  device = await startDevice({ clock: 'manual' });
});
after(() => device?.stop()); // also closes the Modbus connections it handed out

test('a DI set on the field side reads 1 over the device API and over Modbus/TCP', async () => {
  const { ioName } = await device.client.setField('1/0', { level: 1 });
  const res = await fetch(`${device.http}/api/io/di/${ioName}/diStatus`, {
    headers: { Accept: 'vdn.dac.v2', 'Content-Type': 'application/json' },
  });
  assert.deepEqual(await res.json(), { value: 1 });
  assert.equal(await device.readAttribute('1/0', 'diStatus'), 1); // address from the device's own map
});

test('the SCADA switches DO 3 exactly once, through a slow link', async () => {
  await device.client.clearJournal();
  await device.client.injectFault({ kind: 'modbus-slow', delayMs: 2000, count: 1 });

  const reply = device.writeAttribute('2/3', 'doStatus', 1); // FC 5, held back by the fault
  await device.client.waitFor('2/3', 'doStatus', 1);
  await device.client.advance(2000);
  await reply;

  const writes = await device.client.journal({ kind: 'write', source: 'modbus', ioName: '2/3', attribute: 'doStatus' });
  assert.equal(writes.length, 1);
});

test('a modbus-serial client reads DO 3 back with FC 1', async () => {
  await device.client.write('2/3', 'doStatus', 1); // this test's own precondition
  const modbus = await device.modbusClient();
  const { address } = await device.modbusPoint('2/3', 'doStatus');
  assert.deepEqual((await modbus.readCoils(address, 1)).data.slice(0, 1), [true]);
});
