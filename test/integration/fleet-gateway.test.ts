/**
 * #16 item 2c: the fleet's Modbus gateway, over real sockets. One port where unit id u answers as
 * device first + u - 1, through that device's own request handling (its map, journal, faults),
 * beside each device's own port; a unit id that selects no device gets exception 11 (gateway
 * target device failed to respond); devices added and removed through /fleet/v1 are reachable,
 * or not, at once; the gateway's connection cap, framing and counters are those of a device's
 * port. Then the CLI and the fixture: ready file, --gateway flag, validate.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fleetSchema, type FleetInput } from '../../src/config/fleet.js';
import { loadProfile } from '../../src/config/load.js';
import type { Fleet } from '../../src/fleet/fleet.js';
import { fleetIssues } from '../../src/fleet/check.js';
import { startFleet as startFleetFixture } from '../../src/testing/fleet.js';
import { ApiFleets, DEFAULT_PROFILE as PROFILE } from '../helpers/fleet-api.js';
import { closeClients, exceptionCode, RawModbusClient, readPdu, writeCoilPdu } from '../helpers/modbus-client.js';
import { cleanupProcesses, runCli, startCliWith, tempDir } from '../helpers/process.js';

const fleets = new ApiFleets();
/** Exception 11: GATEWAY TARGET DEVICE FAILED TO RESPOND (Modbus Application Protocol §7). */
const NO_DEVICE = 0x0b;

afterEach(async () => {
  await closeClients();
  await fleets.stopAll();
  await cleanupProcesses();
});

async function startFleet(count: number, input: FleetInput = {}): Promise<Fleet> {
  return (await fleets.start(count, { input: { gateway: { port: 0 }, ...input } })).fleet;
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

function gatewayPort(fleet: Fleet): number {
  const status = fleet.gateway();
  if (!status.enabled) throw new Error('the gateway is off');
  return portOf(status.address);
}

/** FC 3 or 4 (as the map places it) over the serial number's registers of device `index`. */
function serialPdu(fleet: Fleet, index: number): Buffer {
  const rows = fleet.device(index)!.modbus.map().filter((r) => r.parameter === 'serialNumber');
  return readPdu(rows[0]!.table === 'holding' ? 3 : 4, rows[0]!.address, rows.length);
}

/** Registers as ASCII, two characters a word, trailing NULs dropped. */
function text(pdu: Buffer): string {
  return pdu.subarray(2).toString('latin1').replace(/\0+$/, '');
}

async function api(fleet: Fleet, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> & { gateway?: string | null; devices?: { unitId: number | null }[]; serialNumber?: string } }> {
  const response = await fetch(`http://${fleet.httpAddress}/fleet/v1${path}`, {
    method,
    // Any change is JSON (the guard refuses other content types as cross-site).
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

describe('the fleet Modbus gateway', () => {
  it('unit id u reads and writes device u through its own request handling, beside each device port', async () => {
    const fleet = await startFleet(4);
    const members = fleet.list();
    expect(members.map((m) => m.unitId)).toEqual([1, 2, 3, 4]);
    const serialRead = serialPdu(fleet, 1);

    const gateway = await RawModbusClient.connect(gatewayPort(fleet));
    const viaGateway = await Promise.all(members.map(async (m) => text(await gateway.call(serialRead, m.unitId!))));
    expect(viaGateway).toEqual(members.map((m) => m.serialNumber));
    expect(new Set(viaGateway).size).toBe(4);
    // Each device's own port still answers (any unit id, as a 4510 does).
    const own = await RawModbusClient.connect(portOf(members[1]!.addresses.modbus!));
    expect(text(await own.call(serialRead, 9))).toBe(members[1]!.serialNumber);

    // FC5 through the gateway to unit 3: device 3's model changes, and only it; its journal has the request.
    const coil = fleet.device(3)!.modbus.map().find((r) => r.slot === 2 && r.parameter === 'doStatus')!;
    await gateway.call(writeCoilPdu(coil.address, true), 3);
    expect(members.map((m) => fleet.device(m.index)!.device.channel(2, 0).read('doStatus'))).toEqual([0, 0, 1, 0]);
    const journal = fleet.device(3)!.device.journal.query({ source: 'modbus', kind: 'request' });
    expect(journal.at(-1)).toMatchObject({ peer: `127.0.0.1:${gateway.socket.localPort}`, function: 5, result: 'ok' });
    expect(fleet.device(2)!.device.journal.query({ source: 'modbus', kind: 'request', peer: `127.0.0.1:${gateway.socket.localPort}` })).toHaveLength(1);

    // A field input set on device 2 alone is what unit 2 reads.
    const di = fleet.device(2)!.modbus.map().find((r) => r.slot === 1 && r.parameter === 'diStatus' && r.ioName === fleet.device(2)!.device.channel(1, 3).ioName)!;
    expect((await api(fleet, 'PUT', '/field', { devices: [members[1]!.name], slot: 1, channel: 3, input: { level: 1 } })).status).toBe(200);
    const reads = await Promise.all([1, 2, 3].map(async (u) => (await gateway.call(readPdu(2, di.address, 1), u))[2]! & 1));
    expect(reads).toEqual([0, 1, 0]);

    const status = fleet.gateway();
    expect(status).toMatchObject({ enabled: true, firstIndex: 1, unitIds: { first: 1, last: 247 }, noDeviceException: NO_DEVICE, stats: { accepted: 1, connections: 1, unrouted: 0 } });
  });

  it('answers exception 11 for a unit id that selects no device: beyond the fleet, 0, 248..255', async () => {
    const fleet = await startFleet(3);
    const scrape = async () => (await fetch(`http://${fleet.httpAddress}/fleet/v1/metrics`)).text();
    // A device's metrics count from its app's first use (docs/fleet.md): this scrape builds them.
    await scrape();
    const gateway = await RawModbusClient.connect(gatewayPort(fleet));
    for (const unit of [4, 247, 0, 248, 255]) {
      const frame = await gateway.request(readPdu(3, 0, 1), unit);
      expect(frame.unit, `unit ${unit}`).toBe(unit);
      expect(frame.pdu[0], `unit ${unit}`).toBe(0x83);
      expect(exceptionCode(frame), `unit ${unit}`).toBe(NO_DEVICE);
    }
    // The connection is still served, and the refusals are counted.
    expect((await gateway.call(readPdu(3, 0, 1), 1)).length).toBeGreaterThan(0);
    expect(fleet.gateway()).toMatchObject({ stats: { requests: 6, exceptions: 5, unrouted: 5 } });
    const metrics = await scrape();
    expect(metrics).toContain('iothinx_fleet_gateway_requests_total{result="no_device"} 5');
    expect(metrics).toContain('iothinx_fleet_gateway_requests_total{result="ok"} 1');
    // What device 1 answered through the gateway is in its own metrics, labelled with its name.
    expect(metrics).toContain(`iothinx_modbus_requests_total{device="${fleet.list()[0]!.name}",function="3",result="ok"} 1`);
  });

  it('a device removed through /fleet/v1 stops answering at once, one added answers at once', async () => {
    const fleet = await startFleet(3);
    const gateway = await RawModbusClient.connect(gatewayPort(fleet));
    const listed = await api(fleet, 'GET', '/devices');
    expect(listed.body.gateway).toBe(fleet.gateway().enabled ? (fleet.gateway() as { address: string }).address : null);
    expect(listed.body.devices!.map((d) => d.unitId)).toEqual([1, 2, 3]);
    expect((await gateway.call(readPdu(3, 0, 1), 2)).length).toBeGreaterThan(0);

    const name2 = fleet.list()[1]!.name;
    expect((await api(fleet, 'DELETE', `/devices/${name2}`)).status).toBe(200);
    expect(exceptionCode(await gateway.request(readPdu(3, 0, 1), 2))).toBe(NO_DEVICE);

    expect(exceptionCode(await gateway.request(readPdu(3, 0, 1), 5))).toBe(NO_DEVICE);
    const added = await api(fleet, 'POST', '/devices', { index: 5 });
    expect(added).toMatchObject({ status: 201, body: { index: 5, unitId: 5 } });
    expect(text(await gateway.call(serialPdu(fleet, 5), 5))).toBe(added.body.serialNumber);

    // Beyond unit id 247 a device has no unit id (it keeps its own port).
    expect(await api(fleet, 'POST', '/devices', { index: 300 })).toMatchObject({ status: 201, body: { index: 300, unitId: null } });
    expect((await api(fleet, 'GET', '/gateway')).body).toMatchObject({ enabled: true, firstIndex: 1 });
  });

  it('keeps the port limits: connection cap, malformed header, and a device fault stays behind its unit id', async () => {
    const fleet = await startFleet(2, { gateway: { port: 0, maxConnections: 2 } });
    const port = gatewayPort(fleet);
    const a = await RawModbusClient.connect(port);
    const b = await RawModbusClient.connect(port);
    await a.call(readPdu(3, 0, 1), 1);
    await b.call(readPdu(3, 0, 1), 2);
    const c = RawModbusClient.open(port);
    await c.closed;
    expect(fleet.gateway()).toMatchObject({ stats: { refusedByLimit: 1, connections: 2 } });

    // modbus-drop on device 2: the gateway answers 11 for it and keeps the connection; device 1 still answers.
    expect((await api(fleet, 'POST', '/faults', { devices: [fleet.list()[1]!.name], fault: { kind: 'modbus-drop' } })).status).toBe(200);
    expect(exceptionCode(await a.request(readPdu(3, 0, 1), 2))).toBe(NO_DEVICE);
    expect((await a.call(readPdu(3, 0, 1), 1)).length).toBeGreaterThan(0);
    expect(a.isClosed).toBe(false);

    // A malformed MBAP header closes that connection only, counted.
    b.writeRaw(Buffer.from([0, 1, 0, 7, 0, 2, 1, 3]));
    await b.closed;
    expect(fleet.gateway()).toMatchObject({ stats: { malformed: 1 } });
  });

  it('validate and fleet refuse a gateway section that cannot give every device a unit id', async () => {
    const profile = await loadProfile(PROFILE);
    expect(fleetIssues(profile, fleetSchema.parse({ count: 248, gateway: {} }))).toEqual([expect.objectContaining({ path: 'fleet.gateway' })]);
    expect(fleetIssues(profile, fleetSchema.parse({ count: 247, gateway: {} }))).toEqual([]);
    expect(() => fleetSchema.parse({ gateway: { noDeviceException: 4 } })).toThrow();

    const dir = await tempDir();
    const file = join(dir, 'fleet.yaml');
    await writeFile(file, `${await readFile(PROFILE, 'utf8')}\nfleet: { count: 300, gateway: { port: 0 } }\n`);
    const validated = await runCli(['validate', file]);
    expect(validated.code).toBe(2);
    expect(validated.stderr).toContain('fleet.gateway');
    const bad = await runCli(['fleet', '--gateway', 'nowhere:x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--gateway');
  });
});

describe('the gateway from the CLI and the fixture', () => {
  it('the ready file gives the gateway and each device its unit id', async () => {
    const started = await startCliWith(['fleet', '--profile', PROFILE, '--count', '3', '--first', '10', '--addressing', 'ports:0', '--gateway', '127.0.0.1:0', '--mqtt', 'off']);
    const written = JSON.parse(await readFile(started.readyFile, 'utf8'));
    expect(written.gateway).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(written.devices.map((d: { index: number; unitId: number }) => [d.index, d.unitId])).toEqual([[10, 1], [11, 2], [12, 3]]);
    const client = await RawModbusClient.connect(portOf(written.gateway));
    expect((await client.call(readPdu(3, 0, 1), 3)).length).toBeGreaterThan(0);
    expect(exceptionCode(await client.request(readPdu(3, 0, 1), 4))).toBe(NO_DEVICE);
  });

  it('startFleet({ gateway: true }) gives the gateway address and each device its unit id, in both modes', async () => {
    for (const mode of ['child', 'in-process'] as const) {
      await using fleet = await startFleetFixture({ count: 2, gateway: true, mode });
      expect(fleet.gateway, mode).not.toBeNull();
      expect(fleet.devices.map((d) => d.unitId), mode).toEqual([1, 2]);
      const client = await RawModbusClient.connect(fleet.gateway!.port, { host: fleet.gateway!.host });
      expect((await client.call(readPdu(3, 0, 1), 2)).length, mode).toBeGreaterThan(0);
      client.destroy();
    }
    await using off = await startFleetFixture({ count: 1, mode: 'in-process' });
    expect(off.gateway).toBeNull();
    expect(off.devices[0]!.unitId).toBeNull();
  });
});
