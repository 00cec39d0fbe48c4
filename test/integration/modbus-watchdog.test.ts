/**
 * The Modbus/TCP connection watchdog on the manual clock: armed by the first request, it raises
 * watchdogAlarmFlag (system block discrete input 0) and drives DOs and relays with a safeValue
 * to it when no request arrives for timeoutS; the next request is answered and clears the flag.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { closeClients, readPdu } from '../helpers/modbus-client.js';
import { startModbus, stopModbus } from '../helpers/modbus-harness.js';

afterEach(async () => {
  await closeClients();
  await stopModbus();
});

const PROFILE = {
  slots: [
    {
      slot: 1,
      module: '45MR-2600',
      channels: [
        { index: 0, status: 1 as const, safeValue: 0 as const },
        { index: 2, status: 1 as const },
        { index: 3, safeValue: 1 as const },
      ],
    },
    { slot: 2, module: '45MR-2404', channels: [{ index: 0, safeValue: 1 as const }, { index: 1, status: 1 as const, safeValue: 0 as const }] },
  ],
  modbus: { watchdog: { enabled: true, timeoutS: 2 }, idleTimeoutS: 0 },
};

describe('watchdog', () => {
  it('does not fire before any request', async () => {
    const h = await startModbus(PROFILE);
    await h.connect();
    h.clock.advance(10_000);
    expect(h.device.head.read('watchdogAlarmFlag')).toBe(0);
    expect(h.device.channel(1, 0).read('doStatus')).toBe(1);
    expect(h.changes).toEqual([]);
  });

  it('fires timeoutS after the last request: alarm flag, outputs to their safe values', async () => {
    const h = await startModbus(PROFILE);
    const c = await h.connect();
    const flag = h.row(0, 'watchdogAlarmFlag');
    expect(flag).toMatchObject({ table: 'discrete', address: 0, slot: 0 });
    expect(await c.readBits(2, 0, 1)).toEqual([0]);
    h.clock.advance(1900);
    expect(h.device.head.read('watchdogAlarmFlag')).toBe(0);
    h.clock.advance(200);
    expect(h.device.head.read('watchdogAlarmFlag')).toBe(1);
    expect(h.service.stats()).toMatchObject({ watchdogAlarm: true });
    // DO with safeValue 0 goes off, DO without one keeps its state, DO with safeValue 1 goes on.
    expect([0, 1, 2, 3].map((i) => h.device.channel(1, i).read('doStatus'))).toEqual([0, 0, 1, 1]);
    // Relays: safeValue 1 closes (a switching, counted), safeValue 0 opens.
    expect(h.device.channel(2, 0).read('relayStatus')).toBe(1);
    expect(h.device.channel(2, 0).read('relayTotalCount')).toBe(1);
    expect(h.device.channel(2, 1).read('relayStatus')).toBe(0);
    expect(h.changes).toContainEqual(expect.objectContaining({ slot: 0, attribute: 'watchdogAlarmFlag', value: 1, source: 'modbus' }));
    expect(h.changes).toContainEqual(expect.objectContaining({ slot: 1, index: 0, attribute: 'doStatus', value: 0, source: 'modbus' }));

    // The master comes back: its first request is answered with the alarm still visible, and clears it.
    expect(await c.readBits(2, 0, 1)).toEqual([1]);
    expect(h.device.head.read('watchdogAlarmFlag')).toBe(0);
    expect(h.changes.at(-1)).toMatchObject({ slot: 0, attribute: 'watchdogAlarmFlag', value: 0, previous: 1, source: 'modbus' });
    expect(await c.readBits(2, 0, 1)).toEqual([0]);
    // The outputs stay at their safe values until a master writes them.
    expect(h.device.channel(1, 0).read('doStatus')).toBe(0);

    // Silence again: it fires again.
    h.clock.advance(2000);
    expect(h.device.head.read('watchdogAlarmFlag')).toBe(1);
  });

  it('any connection’s request keeps it quiet, and a disabled watchdog never fires', async () => {
    const h = await startModbus(PROFILE);
    const a = await h.connect();
    const b = await h.connect();
    await a.call(readPdu(3, 0, 1));
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1500);
      await (i % 2 ? a : b).call(readPdu(3, 0, 1));
    }
    expect(h.device.head.read('watchdogAlarmFlag')).toBe(0);

    const off = await startModbus({ ...PROFILE, modbus: { watchdog: { enabled: false, timeoutS: 2 } } });
    const c = await off.connect();
    await c.call(readPdu(3, 0, 1));
    off.clock.advance(60_000);
    expect(off.device.head.read('watchdogAlarmFlag')).toBe(0);
    expect(off.device.channel(1, 0).read('doStatus')).toBe(1);
  });
});
