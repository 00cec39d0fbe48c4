/**
 * Connection handling of the Modbus/TCP server: unit id, the accessible-IP list (clients bound to
 * other loopback addresses), the connection limit, pipelining and the idle timeout on the
 * manual clock. A refused connection is one the server closes before sending any byte.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema, type ProfileInput } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { AddressMap } from '../../src/modbus/address-map.js';
import { ModbusTcpServer } from '../../src/modbus/server.js';
import { deviceRouter, ModbusUnit } from '../../src/modbus/unit.js';
import {
  closeClients,
  encodeFrame,
  exceptionCode,
  RawModbusClient,
  readPdu,
  wordsOf,
  writeCoilPdu,
  writeRegisterPdu,
  type Frame,
} from '../helpers/modbus-client.js';
import { listenHandled, silent, startModbus, stopModbus } from '../helpers/modbus-harness.js';

const SLOTS: ProfileInput['slots'] = [
  { slot: 1, module: '45MR-1600' },
  { slot: 2, module: '45MR-2600' },
];

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await closeClients();
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await stopModbus();
});

/** Awaits the close of a connection the server refused: no byte may have arrived. */
async function expectRefused(client: RawModbusClient): Promise<void> {
  await client.closed;
  expect(client.bytesReceived).toBe(0);
  expect(client.received).toEqual([]);
}

/** A request proves the connection is served. */
async function expectServed(client: RawModbusClient): Promise<void> {
  expect(await client.readWords(3, 0, 1)).toHaveLength(1);
}

describe('unit id', () => {
  it('"any" (default) answers every unit id and echoes it', async () => {
    const h = await startModbus({ slots: SLOTS });
    const c = await h.connect();
    for (const unit of [0, 1, 17, 255]) {
      const frame = await c.request(readPdu(3, 0, 1), unit);
      expect(frame.unit).toBe(unit);
      expect(exceptionCode(frame)).toBeUndefined();
    }
  });

  it('a fixed unit id answers only that one; other units get no reply at all', async () => {
    const h = await startModbus({ slots: SLOTS, modbus: { unitId: 5 } });
    const c = await h.connect();
    const skipped = c.tid();
    const answered = c.tid();
    c.writeRaw(Buffer.concat([encodeFrame(skipped, 1, writeCoilPdu(h.at(2, 'doStatus', 0), true)), encodeFrame(answered, 5, readPdu(3, 0, 1))]));
    const frame = await c.response(answered);
    expect(frame.unit).toBe(5);
    // Replies come in request order, so a reply to the skipped frame would have come first.
    expect(c.received.map((f) => f.tid)).toEqual([answered]);
    expect(h.device.channel(2, 0).read('doStatus')).toBe(0);
    await c.request(readPdu(3, 0, 1), 5);
    expect(c.received.map((f) => f.tid)).toEqual([answered, answered + 1]);
    expect(h.service.stats()).toMatchObject({ requests: 2, exceptions: 0 });
  });
});

describe('accessible-IP list', () => {
  const LIST = {
    enabled: true,
    entries: [
      { ip: '127.0.0.1', netmask: '255.255.255.255', active: true },
      { ip: '127.0.0.2', active: false },
    ],
  };

  it('serves listed hosts and closes others before any byte', async () => {
    const h = await startModbus({ slots: SLOTS, modbus: { accessibleIps: LIST } });
    const ok = await h.connect({ localAddress: '127.0.0.1' });
    await expectServed(ok);
    // Listed but inactive, and not listed at all.
    await expectRefused(h.open({ localAddress: '127.0.0.2' }));
    await expectRefused(h.open({ localAddress: '127.0.0.3' }));
    await expectServed(ok);
    expect(h.service.stats()).toMatchObject({ accepted: 1, refusedByList: 2, refusedByLimit: 0, connections: 1 });
  });

  it('a netmask row admits its subnet; a disabled list admits everyone', async () => {
    const h = await startModbus({
      slots: SLOTS,
      modbus: { accessibleIps: { enabled: true, entries: [{ ip: '127.0.1.0', netmask: '255.255.255.0' }] } },
    });
    await expectServed(await h.connect({ localAddress: '127.0.1.7' }));
    await expectServed(await h.connect({ localAddress: '127.0.1.254' }));
    await expectRefused(h.open({ localAddress: '127.0.2.7' }));
    await expectRefused(h.open({ localAddress: '127.0.0.1' }));
    h.service.setAccessibleIps({ ...h.service.accessibleIps(), enabled: false });
    await expectServed(await h.connect({ localAddress: '127.0.2.7' }));
    await expectServed(await h.connect({ localAddress: '127.0.0.1' }));
    expect(h.service.stats()).toMatchObject({ accepted: 4, refusedByList: 2 });
  });

  it('a change at run time refuses new connections at once and drops existing ones no longer allowed', async () => {
    const h = await startModbus({ slots: SLOTS, modbus: { accessibleIps: LIST } }, { http: true });
    const stays = await h.connect({ localAddress: '127.0.0.1' });
    const current = h.service.accessibleIps();
    h.service.setAccessibleIps({ ...current, entries: [...current.entries, { ip: '127.0.1.0', netmask: '255.255.255.0', active: true }] });
    const dropped = await h.connect({ localAddress: '127.0.1.7' });
    await expectServed(dropped);
    await expectServed(stays);
    // Over the emulator API, as a tester would.
    const base = await h.http();
    const res = await fetch(`${base}/modbus/accessible-ips`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, entries: [{ ip: '127.0.0.1' }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ enabled: true, additionalRestrictions: false, entries: [{ ip: '127.0.0.1', netmask: '255.255.255.255', active: true }] });
    await dropped.closed;
    expect(dropped.errors).toEqual([]);
    await expectRefused(h.open({ localAddress: '127.0.1.7' }));
    await expectServed(stays);
    expect(h.service.stats()).toMatchObject({ accepted: 2, refusedByList: 1, connections: 1 });
    expect(h.profile.modbus.accessibleIps.entries).toHaveLength(1);
  });
});

describe('max connections', () => {
  it('closes connections beyond the limit at once, and counts them', async () => {
    const h = await startModbus({ slots: SLOTS, modbus: { maxConnections: 2 } });
    const a = await h.connect();
    const b = await h.connect();
    // A request on each makes sure the server has accepted both.
    await expectServed(a);
    await expectServed(b);
    await expectRefused(h.open());
    await expectServed(a);
    expect(h.service.stats()).toMatchObject({ accepted: 2, refusedByLimit: 1, connections: 2 });
  });

  it('accepts a new connection once one of the first two has closed (ModbusTcpServer.handle on our own listener)', async () => {
    // The server's own bookkeeping runs on the server-side socket's close; listening here lets
    // the test await exactly that event instead of guessing when it has happened.
    const profile = profileSchema.parse({ slots: SLOTS, modbus: { maxConnections: 2 } });
    const clock = new ManualClock();
    const device = new Device(profile, clock);
    const m = profile.modbus;
    const unit = new ModbusUnit(device, clock, new AddressMap(device, m), m.watchdog, silent);
    const server = new ModbusTcpServer(clock, deviceRouter(unit, () => m.unitId), m, device.refusals, silent);
    const serverSideClosed: Promise<unknown>[] = [];
    const listening = await listenHandled(server, (socket) => serverSideClosed.push(once(socket, 'close')));
    cleanups.push(async () => {
      await listening.close();
      device.dispose();
    });
    const port = listening.port;
    const a = await RawModbusClient.connect(port);
    const b = await RawModbusClient.connect(port);
    await expectServed(a);
    await expectServed(b);
    await expectRefused(RawModbusClient.open(port));
    expect(server.stats).toMatchObject({ accepted: 2, refusedByLimit: 1, connections: 2 });
    await a.end();
    await serverSideClosed[0];
    expect(server.stats.connections).toBe(1);
    const d = await RawModbusClient.connect(port);
    await expectServed(d);
    await expectServed(b);
    expect(server.stats).toMatchObject({ accepted: 3, refusedByLimit: 1, connections: 2 });
  });
});

describe('pipelining', () => {
  it('answers 50 requests sent in one write, in order, each with its transaction id', async () => {
    const h = await startModbus({ slots: SLOTS });
    const c = await h.connect();
    // Each WIR write is followed by a read of it: order matters, and the read must see the write.
    const pdus = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? writeRegisterPdu(i >> 1, 1000 + i) : readPdu(3, i >> 1, 1)));
    const tids = c.sendPipelined(pdus);
    const frames: Frame[] = await Promise.all(tids.map((tid) => c.response(tid)));
    expect(c.received.map((f) => f.tid)).toEqual(tids);
    frames.forEach((frame, i) => {
      if (i % 2 === 0) expect(frame.pdu).toEqual(pdus[i]);
      else expect(wordsOf(frame.pdu)).toEqual([1000 + i - 1]);
    });
    expect(h.service.stats()).toMatchObject({ requests: 50, exceptions: 0 });
  });

  it('reassembles a frame split over several writes, and several frames with a split one at the end', async () => {
    const h = await startModbus({ slots: SLOTS });
    const c = await h.connect();
    const one = encodeFrame(7, 1, readPdu(3, 3, 2));
    c.writeRaw(one.subarray(0, 3));
    c.writeRaw(one.subarray(3, 8));
    c.writeRaw(one.subarray(8));
    expect(wordsOf((await c.response(7)).pdu)).toEqual([0, 0]);
    const two = Buffer.concat([encodeFrame(8, 1, writeRegisterPdu(3, 33)), encodeFrame(9, 1, readPdu(3, 3, 1))]);
    c.writeRaw(two.subarray(0, 15));
    c.writeRaw(two.subarray(15));
    expect(wordsOf((await c.response(9)).pdu)).toEqual([33]);
    expect(c.received.map((f) => f.tid)).toEqual([7, 8, 9]);
  });
});

describe('idle timeout', () => {
  it('closes a connection idle for idleTimeoutS on the device clock; an active one stays', async () => {
    const h = await startModbus({ slots: SLOTS, modbus: { idleTimeoutS: 5 } });
    const idle = await h.connect();
    const active = await h.connect();
    await expectServed(idle);
    await expectServed(active);
    h.clock.advance(3000);
    await expectServed(active);
    h.clock.advance(2100);
    await idle.closed;
    expect(idle.isClosed).toBe(true);
    await expectServed(active);
    expect(h.service.stats()).toMatchObject({ connections: 1 });
    // Quiet for another 5 s: the second one goes too.
    h.clock.advance(5000);
    await active.closed;
    expect(h.service.stats()).toMatchObject({ connections: 0 });
  });

  it('a connection that never sent a request times out too', async () => {
    const h = await startModbus({ slots: SLOTS, modbus: { idleTimeoutS: 5 } });
    const silentOne = await h.connect();
    const probe = await h.connect();
    // The probe's answer shows the server has accepted both (accepts are handled in order).
    await expectServed(probe);
    h.clock.advance(5000);
    await silentOne.closed;
    expect(silentOne.bytesReceived).toBe(0);
  });

  it('0 never times out', async () => {
    const h = await startModbus({ slots: SLOTS, modbus: { idleTimeoutS: 0 } });
    const c = await h.connect();
    await expectServed(c);
    h.clock.advance(24 * 3600 * 1000);
    await expectServed(c);
  });
});
