/**
 * startFleet() from iothinx-sim/testing: a fleet for a test, in a child process (the built CLI)
 * or in-process, each device with its own identity, addresses and SimClient.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type StartedFleet } from '../../src/testing/index.js';

const fleets: StartedFleet[] = [];
afterEach(async () => {
  for (const f of fleets.splice(0)) await f.stop();
});

describe.each(['child', 'in-process'] as const)('startFleet (%s)', (mode) => {
  it('starts distinct devices, each with its own client, and a field write reaches only the device it names', async () => {
    const fleet = await startFleet({ count: 5, first: 11, mode, mqtt: 'embedded', clock: 'manual' });
    fleets.push(fleet);
    expect(fleet.devices.map((d) => d.name)).toEqual(['ioThinx_4510-011', 'ioThinx_4510-012', 'ioThinx_4510-013', 'ioThinx_4510-014', 'ioThinx_4510-015']);
    // Child mode: one fleet listener, a path per device; in-process: a listener per device.
    if (mode === 'in-process') expect(new Set(fleet.devices.map((d) => new URL(d.http).port)).size).toBe(5);
    expect(new Set(fleet.devices.map((d) => `${d.modbus!.port}`)).size).toBe(5);
    expect(fleet.broker).not.toBeNull();
    expect(fleet.devices.every((d) => d.mqtt === `mqtt://127.0.0.1:${fleet.broker!.port}`)).toBe(true);

    const sysinfo = await Promise.all(fleet.devices.map(async (d) => (await d.client.device()).name));
    expect(sysinfo).toEqual(fleet.devices.map((d) => d.name));

    await fleet.device(13).client.setField('1/0', { level: 1 });
    const levels = await Promise.all(fleet.devices.map(async (d) => (await d.client.channel(1, 0)).diStatus));
    expect(levels).toEqual([0, 0, 1, 0, 0]);
    expect(() => fleet.device('nope')).toThrow(/no fleet device nope/);
    if (mode === 'child') {
      const list = (await (await fetch(`${fleet.api!}/devices`)).json()) as { devices: { name: string }[] };
      expect(list.devices.map((d) => d.name)).toEqual(fleet.devices.map((d) => d.name));
    } else expect(fleet.api).toBeNull();
  }, 60_000);
});
