/**
 * Base addresses: the default packing (system block from 0, then each slot in order, per point
 * type), overrides in the profile, refusal of overlapping or out-of-range blocks, and the
 * /sim/v1/modbus base-address routes over real HTTP against a listening Modbus server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema, type ProfileInput } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { isSimError } from '../../src/errors.js';
import { AddressMap, POINT_TABLES } from '../../src/modbus/address-map.js';
import { ModbusService } from '../../src/modbus/service.js';
import { closeClients, readPdu } from '../helpers/modbus-client.js';
import { silent, startModbus, stopModbus } from '../helpers/modbus-harness.js';

const SLOTS: ProfileInput['slots'] = [
  { slot: 1, module: '45MR-1600' },
  { slot: 2, module: '45MR-2600' },
  { slot: 3, module: '45MR-2404' },
  { slot: 4, module: '45MR-3800', channels: [{ index: 2, mode: '0-20mA', physical: 5 }] },
];

afterEach(async () => {
  await closeClients();
  await stopModbus();
});

/** The SimError a constructor throws, or fails the test. */
function thrown(fn: () => unknown): { code: string; message: string; issues: { path: (string | number)[] }[] } {
  try {
    fn();
  } catch (error) {
    if (!isSimError(error)) throw error;
    return { code: error.code, message: error.message, issues: error.context.issues as { path: (string | number)[] }[] };
  }
  throw new Error('expected a SimError');
}

describe('default packing', () => {
  it('places the system block at 0 and each slot right after the previous one, per point type', async () => {
    const h = await startModbus({ slots: SLOTS });
    const { effective, overrides } = h.service.baseAddresses();
    expect(overrides).toEqual([]);
    // System block: 48 BIR coils, 1 discrete, 48 WIR + 48×2 DIR + 48×2 FIR, 47 input registers (M-EZ p=106-107).
    expect(effective).toEqual([
      { slot: 0, coil: 0, discrete: 0, holding: 0, input: 0 },
      { slot: 1, coil: 48, discrete: 1, holding: 240, input: 47 },
      { slot: 2, coil: 56, discrete: 37, holding: 250, input: 50 },
      // The 2404 has no discrete inputs: its unused base is where the next block would start.
      { slot: 3, coil: 76, discrete: 53, holding: 268, input: 51 },
      { slot: 4, coil: 84, discrete: 53, holding: 269, input: 67 },
    ]);
    // Every table is packed with no gaps: addresses 0..n-1, each value's length after the last.
    for (const table of POINT_TABLES) {
      let next = 0;
      for (const row of h.service.map().filter((r) => r.table === table)) {
        expect(row.address, `${table} ${row.ioName} ${row.parameter}`).toBe(next);
        next += row.length;
      }
    }
    // The first row of each slot's table sits on its base.
    for (const base of effective) {
      for (const table of POINT_TABLES) {
        const first = h.service.map().find((r) => r.slot === base.slot && r.table === table);
        if (first) expect(first.address).toBe(base[table]);
      }
    }
  });

  it('reads at the map’s addresses what the device holds', async () => {
    const h = await startModbus({ slots: SLOTS });
    const c = await h.connect();
    h.device.channel(2, 3).write('doStatus', 1, 'sim');
    h.device.channel(3, 2).write('relayStatus', 1, 'sim');
    h.device.channel(1, 9).applyField({ level: 1 }, 'field');
    expect(h.row(2, 'doStatus', 3)).toMatchObject({ table: 'coil', address: 59, length: 1, type: 'bit', ioName: '45MR-2600-0@DO-03' });
    expect(await c.readBits(1, 59, 1)).toEqual([1]);
    expect(await c.readBits(1, h.at(3, 'relayStatus', 2), 1)).toEqual([1]);
    expect(await c.readBits(2, h.at(1, 'diStatus', 9), 1)).toEqual([1]);
    expect(await c.readWords(4, h.at(1, 'diStatusAll'), 1)).toEqual([1 << 9]);
    expect(await c.readWords(3, h.at(3, 'relayStatusAll'), 1)).toEqual([1 << 2]);
    // The relay's switching counts, DWORDs in the input table.
    expect(h.row(3, 'relayTotalCount', 2)).toMatchObject({ table: 'input', address: 51 + 4, length: 2, type: 'dword' });
    expect(await c.readWords(4, 55, 2)).toEqual([0, 1]);
    expect(await c.readWords(4, h.at(4, 'aiValueRaw', 2), 1)).toEqual([h.device.channel(4, 2).read('aiValueRaw')]);
  });
});

describe('overrides', () => {
  it('an override in the profile moves a slot; later slots follow it, its old addresses are free', async () => {
    const h = await startModbus({ slots: SLOTS, modbus: { baseAddresses: [{ slot: 2, coil: 1000, holding: 3000 }] } });
    const c = await h.connect();
    expect(h.service.baseAddresses().effective[2]).toEqual({ slot: 2, coil: 1000, discrete: 37, holding: 3000, input: 50 });
    expect(h.at(2, 'doStatus', 0)).toBe(1000);
    expect(h.at(3, 'relayStatus', 0)).toBe(1020);
    h.device.channel(2, 0).write('doStatus', 1, 'sim');
    expect(await c.readBits(1, 1000, 1)).toEqual([1]);
    expect(await c.readWords(3, h.at(2, 'doStatusAll'), 1)).toEqual([1]);
    expect(await c.exception(readPdu(1, 56, 1))).toBe(2);
    expect(await c.exception(readPdu(3, 250, 1))).toBe(2);
  });

  it('refuses overlapping blocks, naming the override (modbus.baseAddresses.N.table)', () => {
    const profile = profileSchema.parse({ slots: SLOTS, modbus: { baseAddresses: [{ slot: 4, input: 0 }, { slot: 2, coil: 50 }] } });
    const device = new Device(profile, new ManualClock());
    const fromMap = thrown(() => new AddressMap(device, profile.modbus));
    expect(fromMap.code).toBe('PROFILE_INVALID');
    expect(fromMap.issues.map((i) => i.path.join('.'))).toEqual(['modbus.baseAddresses.1.coil', 'modbus.baseAddresses.0.input']);
    expect(fromMap.message).toContain('modbus.baseAddresses.1.coil: slot 2');
    expect(fromMap.message).toContain('overlaps slot 1');
    const fromService = thrown(() => new ModbusService(device, new ManualClock(), profile.modbus, silent));
    expect(fromService.code).toBe('PROFILE_INVALID');
    device.dispose();
  });

  it('refuses a block past 65535 and an override for an empty slot', () => {
    const profile = profileSchema.parse({ slots: SLOTS, modbus: { baseAddresses: [{ slot: 4, holding: 65_535 }, { slot: 9, coil: 0 }] } });
    const device = new Device(profile, new ManualClock());
    const error = thrown(() => new AddressMap(device, profile.modbus));
    expect(error.code).toBe('PROFILE_INVALID');
    expect(error.issues.map((i) => i.path.join('.'))).toEqual(['modbus.baseAddresses.0.holding', 'modbus.baseAddresses.1.slot']);
    device.dispose();
  });

  it('a block pushed past 65535 by an earlier override is reported without a bogus index', () => {
    const profile = profileSchema.parse({ slots: SLOTS, modbus: { baseAddresses: [{ slot: 3, coil: 65_530 }] } });
    const device = new Device(profile, new ManualClock());
    const error = thrown(() => new AddressMap(device, profile.modbus));
    // Slot 4 follows slot 3 and runs past the end too; it has no override of its own to name.
    expect(error.issues.map((i) => i.path.join('.'))).toEqual(['modbus.baseAddresses.0.coil', 'modbus.baseAddresses']);
    expect(error.message).toContain("slot 4's coil block");
    device.dispose();
  });
});

describe('/sim/v1/modbus/base-addresses', () => {
  async function send(method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(url, { method, headers: method === 'GET' ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('PUT refuses an overlap with 400 and the field path, changing nothing; a good PUT applies at once; reload-defaults undoes it', async () => {
    const h = await startModbus({ slots: SLOTS }, { http: true });
    const base = `${await h.http()}/modbus`;
    const c = await h.connect();
    h.device.channel(2, 0).write('doStatus', 1, 'sim');
    const before = await send('GET', `${base}/base-addresses`);

    const bad = await send('PUT', `${base}/base-addresses`, { overrides: [{ slot: 2, coil: 0 }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'PROFILE_INVALID', path: 'overrides.0.coil' });
    expect(await send('GET', `${base}/base-addresses`)).toEqual(before);
    expect(await c.readBits(1, 56, 1)).toEqual([1]);

    const good = await send('PUT', `${base}/base-addresses`, { overrides: [{ slot: 2, coil: 500 }] });
    expect(good.status).toBe(200);
    expect(good.body.overrides).toEqual([{ slot: 2, coil: 500 }]);
    expect((good.body.effective as { slot: number; coil: number }[])[2]).toMatchObject({ slot: 2, coil: 500 });
    // The open connection sees the new map on its next request; the running config too.
    expect(await c.readBits(1, 500, 1)).toEqual([1]);
    expect(await c.exception(readPdu(1, 56, 1))).toBe(2);
    expect(h.profile.modbus.baseAddresses).toEqual([{ slot: 2, coil: 500 }]);
    const map = (await (await fetch(`${base}/map`)).json()) as { ioName: string; parameter: string; address: number }[];
    expect(map.find((r) => r.ioName === '45MR-2600-0@DO-00' && r.parameter === 'doStatus')?.address).toBe(500);

    const reload = await send('POST', `${base}/base-addresses/reload-defaults`);
    expect(reload.status).toBe(200);
    expect(reload.body).toEqual(before.body);
    expect(await c.readBits(1, 56, 1)).toEqual([1]);
    expect(await c.exception(readPdu(1, 500, 1))).toBe(2);
  });
});
