/**
 * #16 fleets: many devices in one process through src/app, each a distinct device on the wire.
 * 100 devices of the default profile on ports the OS picks, one embedded broker: each answers
 * Modbus/TCP at its own address with its own serial number, MQTT with no client-id takeover, and
 * a write to device 17 changes device 17 only. Then the CLI: ready file, first index, bad flags.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { until } from '../helpers/until.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../../src/fleet/fleet.js';
import type { ManualClock } from '../../src/device/clock.js';
import { fleetSchema, type FleetInput } from '../../src/config/fleet.js';
import { loadProfile } from '../../src/config/load.js';
import { RawModbusClient } from '../helpers/modbus-client.js';
import { cleanupProcesses, runCli, startCliWith, tempDir } from '../helpers/process.js';

const PROFILE = new URL('../../profiles/default.yaml', import.meta.url).pathname;
const logger = pino({ level: 'silent' });
const running: Fleet[] = [];
const clients: RawModbusClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const f of running.splice(0)) await f.stop();
  await cleanupProcesses();
});

async function startFleet(count: number, input: FleetInput = {}): Promise<Fleet> {
  const profile = await loadProfile(PROFILE);
  const fleet = fleetSchema.parse({ count, addressing: { mode: 'ports', base: { http: 0, modbus: 0, snmp: 0 } }, ...input });
  const started = await Fleet.start({ profile, fleet, profileFile: PROFILE, mqtt: 'embedded', broker: { host: '127.0.0.1', port: 0 }, clock: 'manual', seed: 1, logger });
  running.push(started);
  return started;
}

function hostPort(address: string | null): { host: string; port: number } {
  const at = address!.lastIndexOf(':');
  return { host: address!.slice(0, at), port: Number(address!.slice(at + 1)) };
}

/** Registers as ASCII, two characters a word, trailing NULs dropped. */
function text(words: number[]): string {
  return Buffer.from(words.flatMap((w) => [w >> 8, w & 0xff])).toString('latin1').replace(/\0+$/, '');
}

describe('a fleet of 100 devices in one process', () => {
  it('each answers Modbus at its own address with its own identity, MQTT has no takeover, and a write to device 17 changes only device 17', async () => {
    const fleet = await startFleet(100);
    const members = fleet.list();
    expect(members).toHaveLength(100);
    for (const kind of ['modbus', 'http', 'snmp'] as const) expect(new Set(members.map((m) => m.addresses[kind])).size, kind).toBe(100);

    // The serial number as the device's own Modbus system registers give it, at each device's own address.
    const serialRows = fleet.device(1)!.modbus.map().filter((r) => r.parameter === 'serialNumber');
    const serials = await Promise.all(
      members.map(async (m) => {
        const { host, port } = hostPort(m.addresses.modbus);
        const client = await RawModbusClient.connect(port, { host });
        clients.push(client);
        return text(await client.readWords(4, serialRows[0]!.address, serialRows.length));
      }),
    );
    expect(serials).toEqual(members.map((m) => m.serialNumber));
    expect(new Set(serials).size).toBe(100);

    // One broker, 100 clients, each connected at its first attempt: no client id knocked another off.
    await Promise.all(members.map((m) => fleet.device(m.index)!.mqttService!.whenConnected()));
    await until('the broker to count 100 clients', () => (fleet.broker!.clients === 100 ? true : undefined));
    const statuses = members.map((m) => fleet.device(m.index)!.mqttService!.status());
    expect(new Set(statuses.map((s) => s.clientId)).size).toBe(100);
    expect(statuses.filter((s) => s.attempts !== 1 || s.lastError !== null || !s.connected)).toEqual([]);

    // FC5 to DO-00 of slot 2 on device 17 (16 in the list): only its model changes.
    const coil = fleet.device(17)!.modbus.map().find((r) => r.slot === 2 && r.parameter === 'doStatus')!;
    await clients[16]!.call(Buffer.from([0x05, coil.address >> 8, coil.address & 0xff, 0xff, 0x00]));
    const doStatus = members.map((m) => fleet.device(m.index)!.device.channel(2, 0).read('doStatus'));
    expect(doStatus.map((v, i) => [members[i]!.index, v]).filter(([, v]) => v === 1)).toEqual([[17, 1]]);
  }, 120_000);

  it('shows takeovers when two devices are given the same MQTT client id (the check above can fail)', async () => {
    const fleet = await startFleet(2, { identity: { mqttClientId: 'same-id' } });
    const statuses = () => fleet.list().map((m) => fleet.device(m.index)!.mqttService!.status());
    // The broker drops the first client when the second connects with its id; it reconnects after its backoff.
    await until('a takeover to show', () => (statuses().some((s) => s.attempts > 1 || s.lastError !== null) ? true : undefined), 5000);
  });

  it('refuses a device added at run time whose identity a running device has (a template without {index})', async () => {
    const fleet = await startFleet(1, { identity: { name: 'Pump', mqttClientId: null } });
    await expect(fleet.add(2)).rejects.toMatchObject({ code: 'FLEET_DEVICE_EXISTS', context: { path: 'identity.name' } });
    expect(fleet.list().map((m) => m.index)).toEqual([1]);
    // Once the first is gone its name is free again.
    await fleet.remove(1);
    expect((await fleet.add(2)).name).toBe('Pump');
  });

  it('adds and removes a device at run time; the others keep running', async () => {
    const fleet = await startFleet(3);
    const added = await fleet.add(10);
    expect(added.name).toBe('ioThinx_4510-010');
    expect(fleet.list().map((m) => m.index)).toEqual([1, 2, 3, 10]);
    await expect(fleet.add(2)).rejects.toThrow(/device 2 already runs/);
    expect(await fleet.remove(2)).toBe(true);
    expect(await fleet.remove(2)).toBe(false);
    expect(fleet.list().map((m) => m.index)).toEqual([1, 3, 10]);
    const { host, port } = hostPort(fleet.list()[2]!.addresses.modbus);
    const client = await RawModbusClient.connect(port, { host });
    clients.push(client);
    expect(await client.readWords(4, 0, 1)).toHaveLength(1);
  });
});

describe('iothinx-sim fleet', () => {
  it('holds signals and the first publications until `release` resolves (the CLI: once the ready file is out)', async () => {
    const profile = await loadProfile(PROFILE);
    const fleet = fleetSchema.parse({ count: 3, addressing: { mode: 'ports', base: { http: 0, modbus: 0, snmp: 0 } } });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const started = await Fleet.start({ profile, fleet, profileFile: PROFILE, mqtt: 'embedded', broker: { host: '127.0.0.1', port: 0 }, clock: 'manual', seed: 1, logger, release: released });
    running.push(started);
    const clock = started.clock as ManualClock;
    const device = started.device(1)!;
    // DI-02 of slot 1 carries the default profile's 1 s square wave.
    const level = () => device.device.channel(1, 2).read('diStatus');
    const first = level();
    clock.advance(500);
    expect(level()).toBe(first);
    // Connected (Fleet.start waits for it), so nothing published is the hold, not a late client.
    expect(device.mqttService!.status().connected).toBe(true);
    expect(device.mqttService!.status().published).toBe(0);
    release();
    await started.whenFirstPublicationsOut();
    expect(device.mqttService!.status().published).toBeGreaterThan(0);
    clock.advance(500);
    expect(level()).not.toBe(first);
  });

  it('writes a ready file listing every device, takes the first index from IOTHINX_SIM_FLEET_FIRST, and stops on SIGTERM', async () => {
    const dir = await tempDir();
    const started = await startCliWith(['fleet', '--count', '3', '--addressing', 'ports:0', '--mqtt', 'off', '--quiet'], dir, { IOTHINX_SIM_FLEET_FIRST: '40' });
    const ready = JSON.parse(await readFile(join(dir, 'ready.json'), 'utf8')) as { http: string; devices: { index: number; name: string; serialNumber: string; modbus: string; http: string | null }[] };
    expect(ready.devices.map((d) => [d.index, d.name, d.serialNumber])).toEqual([
      [40, 'ioThinx_4510-040', 'TAGCB1100040'],
      [41, 'ioThinx_4510-041', 'TAGCB1100041'],
      [42, 'ioThinx_4510-042', 'TAGCB1100042'],
    ]);
    // No HTTP listener of its own: the device is served through the fleet API.
    expect(ready.devices.every((d) => d.http === null)).toBe(true);
    const device = (await (await fetch(`http://${ready.http}/fleet/v1/devices/ioThinx_4510-041/sim/v1/device`)).json()) as { name: string };
    expect(device.name).toBe('ioThinx_4510-041');
    started.child.kill('SIGTERM');
    expect(await started.exited).toEqual({ code: 0, signal: null });
  });

  it('gives each device its own HTTP listener with --device-http (or without the fleet API)', async () => {
    for (const flags of [['--device-http'], ['--http', 'off']]) {
      const dir = await tempDir();
      const started = await startCliWith(['fleet', '--count', '2', '--addressing', 'ports:0', '--mqtt', 'off', '--quiet', ...flags], dir);
      const ready = JSON.parse(await readFile(join(dir, 'ready.json'), 'utf8')) as { devices: { name: string; http: string | null }[] };
      const names = await Promise.all(ready.devices.map(async (d) => ((await (await fetch(`http://${d.http!}/sim/v1/device`)).json()) as { name: string }).name));
      expect(names).toEqual(ready.devices.map((d) => d.name));
      started.child.kill('SIGTERM');
      expect(await started.exited).toEqual({ code: 0, signal: null });
    }
  });

  it('validate checks the fleet section as the fleet command would use it', async () => {
    const dir = await tempDir();
    const { writeFile } = await import('node:fs/promises');
    const same = join(dir, 'same.yaml');
    await writeFile(same, 'fleet: { count: 3, identity: { name: "Pump" } }\n');
    const long = join(dir, 'long.yaml');
    await writeFile(long, 'fleet: { count: 2000, identity: { serialNumber: "SN{index:011}" } }\n');
    const good = join(dir, 'good.yaml');
    await writeFile(good, 'fleet: { count: 1000, identity: { name: "Line1-{index:04}" } }\n');
    const run = await runCli(['validate', same, long, good]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${same}: fleet.identity.name: devices 1 and 2 would both be "Pump": give a template with {index}`);
    expect(run.stderr).toMatch(new RegExp(`${long.replace(/[.]/g, '\\.')}: fleet\\.identity\\.serialNumber: device 1 would be "SN00000000001"`));
    expect(run.stdout).toContain(`${good}: ok (profile)\n`);
    expect(run.stdout).not.toContain(`${same}: ok`);
  });

  it('exits 2 naming the flag or the template field', async () => {
    const count = await runCli(['fleet', '--count', '0']);
    expect(count.code).toBe(2);
    expect(count.stderr).toContain('--count: expected an integer 1..10000, got "0"');
    const env = await runCli(['fleet', '--count', '2'], 15_000, { IOTHINX_SIM_FLEET_FIRST: 'x' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('IOTHINX_SIM_FLEET_FIRST: expected an integer 0..999999, got "x"');
    const dir = await tempDir();
    const file = join(dir, 'fleet.yaml');
    await (await import('node:fs/promises')).writeFile(file, 'fleet: { count: 2, identity: { name: "AVeryLongLineName{index:03}" } }\n');
    const bad = await runCli(['fleet', '--profile', file, '--addressing', 'ports:0', '--mqtt', 'off']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/fleet\.identity\.name: device 1 would be "AVeryLongLineName001"/);
    await (await import('node:fs/promises')).writeFile(file, 'fleet: { count: 2, identity: { name: "Pump" } }\n');
    const same = await runCli(['fleet', '--profile', file, '--addressing', 'ports:0', '--mqtt', 'off']);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain(`${file}: fleet.identity.name: devices 1 and 2 would both be "Pump": give a template with {index}`);
  });
});
