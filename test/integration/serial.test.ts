/**
 * The RTU master end to end through the built CLI, with real sockets: virtual field devices on
 * the in-process bus (IRs over /sim/v1, the device API and Modbus/TCP, faults over REST), and RTU
 * over TCP to a slave served from this test (a port that goes away and comes back).
 * Serial devices and socat pty pairs are in the interop tier (test/interop/serial-rtu.test.ts).
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/device/clock.js';
import { RtuSlave } from '../../src/serial/rtu-slave.js';
import { TransportEvents } from '../../src/serial/transport-events.js';
import type { Transport } from '../../src/serial/transport.js';
import { mulberry32 } from '../../src/sim/random.js';
import { FieldDevice, loadFieldDeviceFile } from '../../src/sim/field-device.js';
import { RawModbusClient, wordsFloat } from '../helpers/modbus-client.js';
import { cleanupProcesses, runCli, startCli, tempDir } from '../helpers/process.js';
import { until } from '../helpers/until.js';

afterEach(cleanupProcesses);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
type Json = any;


async function startWith(profile: object) {
  const dir = await tempDir();
  const file = join(dir, 'profile.json');
  await writeFile(file, JSON.stringify(profile));
  const started = await startCli(['--profile', file, '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--quiet'], dir);
  const api = `http://${started.ready.http}`;
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const res = await fetch(api + path, { method, headers: method === 'GET' ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const map = (await call('GET', '/sim/v1/modbus/map')).body as { ioName: string; parameter: string; table: string; address: number; length: number }[];
  const row = (parameter: string, ioName?: string) => map.find((r) => r.parameter === parameter && (ioName === undefined || r.ioName === ioName))!;
  const modbusPort = Number(started.ready.modbus!.split(':').pop());
  const profileStatus = async (name: string) => ((await call('GET', '/sim/v1/serial')).body.profiles as Json[]).find((p) => p.name === name);
  return { ...started, call, row, modbusPort, profileStatus, dir };
}

const BUS_PROFILE = {
  device: { name: 'rtu_it' },
  slots: [{ slot: 1, module: '45MR-1600' }],
  serial: {
    port: 'virtual:bus',
    baudRate: 38_400,
    responseTimeoutMs: 100,
    retries: 0,
    profiles: [
      { name: 'volts', slaveId: 1, pointType: 4, startAddress: 0, length: 6, scanRate: 1, irType: 'float', irStart: 0, exceptionIr: 0 },
      { name: 'drive', slaveId: 3, pointType: 3, startAddress: 0, length: 2, scanRate: 1, irType: 'word', irStart: 1 },
    ],
    fieldDevices: [
      { name: 'meter', definition: 'power-meter', slaveId: 1 },
      { name: 'vfd', definition: 'vfd', slaveId: 3 },
    ],
  },
};

describe('RTU master with virtual field devices (CLI, in-process bus)', () => {
  it('brings field values to every northbound side and reports faults on REST and Modbus/TCP', async () => {
    const device = await startWith(BUS_PROFILE);
    const volts = await until('a first good poll', async () => {
      const p = await device.profileStatus('volts');
      return p.okCount > 0 ? p : undefined;
    });
    expect(volts).toMatchObject({ state: 'ok', errorCode: 0, slaveId: 1 });

    // /sim/v1 and the device API agree on the voltage the meter produced (~230 V).
    const fir = (await device.call('GET', '/sim/v1/internal-registers')).body.find((r: Json) => r.ioName === 'FIR-00');
    expect(fir.value).toBeGreaterThan(200);
    expect(fir.value).toBeLessThan(260);
    const apiIr = await fetch(`http://${device.ready.http}/api/io/ir/FIR-00/irValue`, { headers: { accept: 'vdn.dac.v2', 'content-type': 'application/json' } });
    expect(apiIr.status).toBe(200);

    // Modbus/TCP: the float IR in the system block, and the RTU status registers.
    const client = await RawModbusClient.connect(device.modbusPort);
    const firRow = device.row('firValue', 'FIR-00');
    expect(wordsFloat(await client.readWords(3, firRow.address, 2))).toBeGreaterThan(200);
    const statusRow = device.row('modbusRtuMasterDeviceStatus');
    const codeRow = device.row('modbusRtuMasterprofileErrorCode');
    expect((await client.readWords(4, statusRow.address, 2))).toEqual([0, 1]);

    // No answer from the meter: timeout code 0x0B in the status, the Modbus registers and the exception IR.
    const fault = await device.call('PUT', '/sim/v1/serial/field-devices/meter/fault', { kind: 'no-answer' });
    expect(fault.status).toBe(200);
    expect(fault.body.fault).toEqual({ kind: 'no-answer', count: null });
    await until('the timeout to show', async () => ((await device.profileStatus('volts')).errorCode === 0x0b ? true : undefined));
    expect((await client.readWords(4, codeRow.address, 2))).toEqual([0x0b, 0]);
    expect((await client.readWords(4, statusRow.address, 1))[0]! & 1).toBe(1);
    expect((await device.call('GET', '/sim/v1/internal-registers/WIR-00')).body.value).toBe(0x0b);

    // Cleared: polls succeed again and the codes go back to 0.
    expect((await device.call('DELETE', '/sim/v1/serial/field-devices/meter/fault')).body.fault.kind).toBe('none');
    await until('recovery', async () => ((await device.profileStatus('volts')).errorCode === 0 ? true : undefined));
    expect((await client.readWords(4, codeRow.address, 1))).toEqual([0]);
    expect((await device.profileStatus('volts')).errors.timeout).toBeGreaterThan(0);

    // A Modbus/TCP write to the WORD IR of the drive profile is written through to the VFD.
    const wir = device.row('wirValue', 'WIR-02');
    await client.call(Buffer.from([6, wir.address >> 8, wir.address & 0xff, 0x0f, 0xa0]));
    const setpoint = await until('the write-through', async () => {
      const vfd = (await device.call('GET', '/sim/v1/serial/field-devices/vfd')).body;
      const point = vfd.points.find((p: Json) => p.address === 1 && p.table === 'holding');
      return point.value === 40 ? point : undefined;
    });
    expect(setpoint.name).toBe('frequencySetpoint');
    await client.end();
  });

  it('sets a field device point, and refuses bad faults and unknown names with a 4xx naming the field', async () => {
    const device = await startWith(BUS_PROFILE);
    const set = await device.call('PUT', '/sim/v1/serial/field-devices/vfd/points/frequencySetpoint', { value: 25 });
    expect(set.status).toBe(200);
    expect(set.body.points.find((p: Json) => p.name === 'frequencySetpoint').value).toBe(25);
    // The drive profile polls holding register 1 into WIR-02, in the map's 0.01 Hz units.
    await until('the poll of the new value', async () => ((await device.call('GET', '/sim/v1/internal-registers/WIR-02')).body.value === 2500 ? true : undefined));

    const badKind = await device.call('PUT', '/sim/v1/serial/field-devices/meter/fault', { kind: 'melt' });
    expect(badKind.status).toBe(400);
    expect(JSON.stringify(badKind.body)).toContain('kind');
    const badDelay = await device.call('PUT', '/sim/v1/serial/field-devices/meter/fault', { kind: 'slow', delayMs: -1 });
    expect(badDelay.status).toBe(400);
    expect(JSON.stringify(badDelay.body)).toContain('delayMs');
    const unknown = await device.call('PUT', '/sim/v1/serial/field-devices/nope/fault', { kind: 'crc' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('meter, vfd');
    const outOfRange = await device.call('PUT', '/sim/v1/serial/field-devices/vfd/points/outputFrequency', { value: 1e9 });
    expect(outOfRange.status).toBe(400);
    // Nothing changed by the refusals.
    const meter = (await device.call('GET', '/sim/v1/serial/field-devices/meter')).body;
    expect(meter.fault.kind).toBe('none');
  });

  it('refuses a field device file with problems at validate, naming the file and the path', async () => {
    const dir = await tempDir();
    const definition = join(dir, 'bad-device.yaml');
    await writeFile(definition, 'name: bad\npoints:\n  - { name: a, table: coil, address: 0, type: float32 }\n');
    const profile = join(dir, 'p.json');
    await writeFile(profile, JSON.stringify({ serial: { port: 'virtual:x', fieldDevices: [{ name: 'b', definition: './bad-device.yaml' }] } }));
    const run = await runCli(['validate', profile]);
    expect(run.code).toBe(2);
    // The file is named once, then the point's own path.
    expect(run.stderr).toContain(`${profile}: serial.fieldDevices.0.definition: ${definition}: points.0.type: `);
  });

  it('an unknown ready-made field device name lists the shipped ones at validate', async () => {
    const dir = await tempDir();
    const profile = join(dir, 'p.json');
    await writeFile(profile, JSON.stringify({ serial: { port: 'virtual:x', fieldDevices: [{ name: 'm', definition: 'power-metre' }] } }));
    const run = await runCli(['validate', profile]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${profile}: serial.fieldDevices.0.definition: power-metre: (field device name): no field device of that name ships with iothinx-sim (`);
    expect(run.stderr).toContain('power-meter');
    // start refuses it alike: exit 2, the profile and the path named, nothing left running.
    const start = await runCli(['start', '--profile', profile, '--http', 'off', '--modbus', 'off', '--mqtt', 'off', '--snmp', 'off']);
    expect(start.code).toBe(2);
    expect(start.stderr).toContain(`${profile}: serial.fieldDevices.0.definition: power-metre: (field device name): no field device`);
  });
});

/** One accepted TCP connection as a Transport, so an RtuSlave can answer on it. */
function socketTransport(socket: Socket): Transport {
  const events = new TransportEvents();
  socket.on('data', (chunk) => events.emitData(chunk));
  return Object.assign(events, {
    description: 'test socket',
    isOpen: true,
    open: async () => {},
    write: async (bytes: Buffer) => {
      socket.write(bytes);
    },
    close: async () => {
      socket.destroy();
    },
  });
}

/** An RTU-over-TCP slave (a serial device server with a meter behind it) on a fixed port. */
async function rtuOverTcp(port = 0): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const clock = new RealClock();
  const meter = new FieldDevice(loadFieldDeviceFile(new URL('../../profiles/field-devices/power-meter.yaml', import.meta.url).pathname), clock, 1);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    new RtuSlave(socketTransport(socket), clock, meter, { slaveId: 1, line: { baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 }, exactTiming: false, random: mulberry32(1) });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('RTU over TCP', () => {
  let slave: Awaited<ReturnType<typeof rtuOverTcp>> | undefined;
  afterEach(async () => {
    await slave?.close();
    slave = undefined;
  });

  it('polls through a TCP serial server, reports the link lost, and resumes when it is back', async () => {
    slave = await rtuOverTcp();
    const port = slave.port;
    const device = await startWith({
      serial: {
        port: `tcp://127.0.0.1:${port}`,
        responseTimeoutMs: 200,
        retries: 0,
        profiles: [{ name: 'volts', slaveId: 1, pointType: 4, startAddress: 0, length: 2, scanRate: 1, irType: 'float', irStart: 5 }],
      },
    });
    await until('a good poll', async () => ((await device.profileStatus('volts')).okCount > 0 ? true : undefined));
    const fir = (await device.call('GET', '/sim/v1/internal-registers/FIR-05')).body;
    expect(fir.value).toBeGreaterThan(200);
    let serial = (await device.call('GET', '/sim/v1/serial')).body;
    expect(serial.port).toMatchObject({ port: `tcp://127.0.0.1:${port}`, state: 'open', kind: 'tcp' });

    await slave.close();
    serial = await until('the port to be reported closed', async () => {
      const s = (await device.call('GET', '/sim/v1/serial')).body;
      return s.port.state !== 'open' && s.profiles[0].errorCode === 0x0a ? s : undefined;
    });
    expect(serial.port.lastError).toMatch(/tcp:\/\/127\.0\.0\.1/);
    expect(serial.deviceStatus[1]).toBe(0);
    expect(serial.profiles[0].errors['port-closed']).toBeGreaterThan(0);

    slave = await rtuOverTcp(port);
    serial = await until('the port to come back', async () => {
      const s = (await device.call('GET', '/sim/v1/serial')).body;
      return s.port.state === 'open' && s.profiles[0].errorCode === 0 ? s : undefined;
    });
    expect(serial.port.failures).toBeGreaterThan(0);
    expect(serial.deviceStatus[1]).toBe(1);
  });
});
