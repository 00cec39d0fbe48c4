/**
 * The RTU master on the serial port, against real peers over socat pty pairs (test/helpers/pty.ts):
 *
 *   emulator master ── DIR/a ═ socat ═ DIR/b ── pymodbus RTU slave (test/interop/pymodbus_rtu_slave.py)
 *                                            ── `iothinx-sim field-device` (power-meter, vfd)
 *                                            ── a profile-attached field device (serial.fieldDevices[].port)
 *   mbpoll (libmodbus RTU master) ── DIR/a ═ socat ═ DIR/b ── `iothinx-sim field-device`
 *
 * The built CLI runs on the real clock (a pty carries real time). Every value is checked where a
 * user sees it: /sim/v1/serial, /sim/v1/internal-registers, the RESTful API (/api/io/ir), the
 * Modbus/TCP system block (wirValue/firValue holding registers, modbusRtuMasterDeviceStatus and
 * modbusRtuMasterprofileErrorCode input registers, addresses from GET /sim/v1/modbus/map) and
 * MQTT (embedded broker). Waits poll with generous deadlines; nothing asserts on timing.
 *
 * Peers (scripts/install-peers.sh): /usr/bin/socat, /usr/bin/mbpoll, /usr/bin/python3 with
 * python3-pymodbus 3.0 and python3-serial-asyncio. A missing peer fails the test, naming it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MapRow } from '../../src/modbus/address-map.js';
import { mbpoll as mbpollClient } from '../helpers/mbpoll.js';
import { RawModbusClient, closeClients, wordsFloat, writeRegisterPdu } from '../helpers/modbus-client.js';
import { CLI, cleanupProcesses, startCli, tempDir } from '../helpers/process.js';
import { readyFile, startPeer, startPtyPair, stopPeers, waitUntil, type Peer, type PtyPair } from '../helpers/pty.js';

const PYTHON = '/usr/bin/python3';
const SLAVE_SCRIPT = fileURLToPath(new URL('./pymodbus_rtu_slave.py', import.meta.url));
const BAUD = 19_200;
const DEVICE_NAME = 'rtu_interop';
/** Deadline of every wait for the emulator to show something. */
const WAIT_MS = 15_000;

const TIMEOUT = 0x0b;
const PORT_CLOSED = 0x0a;
const CRC = 0x0100;
const UNEXPECTED = 0x0101;

// The emulator's JSON; a test reads the fields it checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
type Json = any;

interface ProfileStatus {
  name: string;
  state: string;
  errorCode: number;
  polls: number;
  okCount: number;
  errorCount: number;
  errors: Record<'timeout' | 'crc' | 'exception' | 'unexpected' | 'port-closed', number>;
  writes: number;
  writeErrors: number;
  lastError: { kind: string; detail: string; exceptionCode: number | null } | null;
}

interface SerialStatus {
  port: { state: string; lastError: string | null; failures: number } | null;
  deviceStatus: number[];
  profileErrorCode: number[];
  profiles: ProfileStatus[];
  fieldDevices: { name: string; fault: { kind: string }; counters: { requests: number; faulted: number } }[];
}

interface RtuStatusWords {
  deviceStatus: number[];
  errorCodes: number[];
}

interface Emulator {
  dir: string;
  /** /sim/v1 */
  sim(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** The RESTful API (/api), with the headers it requires. */
  rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  serial(): Promise<SerialStatus>;
  /** One internal register's value from /sim/v1/internal-registers. */
  ir(ioName: string): Promise<number>;
  modbus: RawModbusClient;
  map: MapRow[];
  /** The RTU status words over Modbus/TCP. */
  rtuWords(): Promise<RtuStatusWords>;
  /** An internal register's value over Modbus/TCP (holding registers of the system block). */
  tcpIr(ioName: string): Promise<number>;
  brokerUrl: string | null;
}

// ---- fixtures --------------------------------------------------------------------------------

async function request(base: string, method: string, path: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : undefined };
}

/** Starts the built CLI on `profile` (written to DIR/profile.json) and opens a Modbus/TCP client. */
async function startEmulator(dir: string, profile: object, mqtt = false): Promise<Emulator> {
  const file = join(dir, 'profile.json');
  await writeFile(file, JSON.stringify(profile, null, 2));
  const mqttArgs = mqtt ? ['--mqtt', 'embedded', '--broker', '127.0.0.1:0'] : ['--mqtt', 'off'];
  const { ready } = await startCli(['--profile', file, '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', ...mqttArgs, '--quiet'], dir);
  if (!ready.http || !ready.modbus) throw new Error(`ready file without http/modbus: ${JSON.stringify(ready)}`);
  const http = `http://${ready.http}`;
  const sim: Emulator['sim'] = (method, path, body) => request(`${http}/sim/v1`, method, path, body, method === 'GET' ? {} : { 'content-type': 'application/json' });
  const rest: Emulator['rest'] = (method, path, body) => request(`${http}/api`, method, path, body, { Accept: 'vdn.dac.v2', 'Content-Type': 'application/json' });
  const map = (await sim('GET', '/modbus/map')).body as MapRow[];
  const modbus = await RawModbusClient.connect(Number(ready.modbus.slice(ready.modbus.lastIndexOf(':') + 1)));
  const systemRows = (parameter: string) => {
    const rows = map.filter((r) => r.ioName === 'system' && r.parameter === parameter).sort((x, y) => x.address - y.address);
    if (rows.length === 0) throw new Error(`no map rows for ${parameter}`);
    rows.forEach((r, i) => {
      if (r.table !== 'input' || r.address !== rows[0]!.address + i) throw new Error(`${parameter} is not a block of input registers: ${JSON.stringify(rows)}`);
    });
    return rows;
  };
  const statusRows = systemRows('modbusRtuMasterDeviceStatus');
  const codeRows = systemRows('modbusRtuMasterprofileErrorCode');
  return {
    dir,
    sim,
    rest,
    serial: async () => (await sim('GET', '/serial')).body as SerialStatus,
    ir: async (ioName) => {
      const all = (await sim('GET', '/internal-registers')).body as { ioName: string; value: number }[];
      const found = all.find((r) => r.ioName === ioName);
      if (!found) throw new Error(`no internal register ${ioName}`);
      return found.value;
    },
    modbus,
    map,
    rtuWords: async () => ({
      deviceStatus: await modbus.readWords(4, statusRows[0]!.address, statusRows.length),
      errorCodes: await modbus.readWords(4, codeRows[0]!.address, codeRows.length),
    }),
    tcpIr: async (ioName) => {
      const parameter = { W: 'wirValue', F: 'firValue' }[ioName[0] as 'W' | 'F'];
      const row = map.find((r) => r.ioName === ioName && r.parameter === parameter);
      if (!row) throw new Error(`no map row for ${ioName} ${parameter}`);
      const words = await modbus.readWords(3, row.address, row.length);
      return row.type === 'float' ? wordsFloat(words) : (words[0]! << 16) >> 16;
    },
    brokerUrl: ready.mqtt,
  };
}

/** The pymodbus RTU slave on `port`; resolves once it printed READY. */
async function startPymodbusSlave(port: string, slaveId = 1): Promise<Peer> {
  const peer = startPeer(PYTHON, [SLAVE_SCRIPT, '--port', port, '--baud', String(BAUD), '--slave-id', String(slaveId)]);
  await waitUntil(() => /^READY$/m.test(peer.stdout()), `pymodbus RTU slave on ${port} READY`, peer);
  return peer;
}

/** `iothinx-sim field-device` on `port`; resolves once its ready file is there. */
async function startFieldDevice(dir: string, port: string, profile: string, slaveId: number): Promise<Peer> {
  const ready = join(dir, `field-device-${profile}.json`);
  const peer = startPeer(process.execPath, [CLI, 'field-device', '--port', port, '--profile', profile, '--slave-id', String(slaveId), '--baud', String(BAUD), '--ready-file', ready]);
  const info = await readyFile<{ port: string; slaveId: number; definition: string; state: string }>(ready, peer);
  expect(info).toMatchObject({ slaveId, definition: profile, state: 'open' });
  return peer;
}

/**
 * Polls `probe` until `done` holds for what it returns, and returns that; on the deadline fails
 * with `what` and the last thing seen.
 */
async function until<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; last seen: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function profileOf(status: SerialStatus, name: string): ProfileStatus {
  const found = status.profiles.find((p) => p.name === name);
  if (!found) throw new Error(`no profile ${name} in ${JSON.stringify(status.profiles.map((p) => p.name))}`);
  return found;
}

const IRS = { quantities: { bool: 48, word: 48, dword: 48, float: 48 } };

/** No error of any kind. */
const NO_ERRORS = { timeout: 0, crc: 0, exception: 0, unexpected: 0, 'port-closed': 0 };

/**
 * A serial section on `port`. The default timing forgives a peer that a loaded machine holds up
 * (1 s, two retries), so that "no errors at all" can be asserted; the fault tests set their own.
 */
function serialSection(port: string, profiles: object[], extra: object = {}) {
  return { port, interface: 'rs485-2w', baudRate: BAUD, responseTimeoutMs: 1000, retries: 2, profiles, ...extra };
}

/** Closes the Modbus/TCP clients, stops the peers and socat, then the emulators, and removes the temp dirs. */
async function teardown(): Promise<void> {
  await closeClients();
  await stopPeers();
  await cleanupProcesses();
}

// ---- 1-3: pymodbus slave ------------------------------------------------------------------------

describe('RTU master against the pymodbus RTU slave', () => {
  let emu: Emulator;

  beforeAll(async () => {
    const dir = await tempDir();
    const pty = await startPtyPair(dir);
    await startPymodbusSlave(pty.b);
    emu = await startEmulator(
      dir,
      {
        device: { name: DEVICE_NAME },
        internalRegisters: IRS,
        mqtt: { enabled: true, topics: [{ ioName: 'WIR-0*', parameter: 'irValue', enabled: true, trigger: 'onChange', retain: true, qos: 1 }] },
        serial: serialSection(pty.a, [
          { name: 'hr', slaveId: 1, pointType: 3, startAddress: 0, length: 4, scanRate: 1, irType: 'word', irStart: 0, exceptionIr: 40 },
          { name: 'ir', slaveId: 1, pointType: 4, startAddress: 10, length: 3, scanRate: 1, irType: 'word', irStart: 4 },
          { name: 'co', slaveId: 1, pointType: 1, startAddress: 0, length: 6, scanRate: 1, irType: 'bool', irStart: 0 },
          // pymodbus has 100 points: 98..101 runs past the end -> exception 2.
          { name: 'bad', slaveId: 1, pointType: 3, startAddress: 98, length: 4, scanRate: 1, irType: 'word', irStart: 10, exceptionIr: 41 },
        ]),
      },
      true,
    );
  });

  afterAll(teardown);

  it('reads holding registers into WORD IRs, seen over /sim/v1, REST, Modbus/TCP and MQTT', async () => {
    await until('hr profile polled ok', () => emu.serial(), (s) => profileOf(s, 'hr').okCount >= 2);
    expect(await Promise.all(['WIR-00', 'WIR-01', 'WIR-02', 'WIR-03'].map((n) => emu.ir(n)))).toEqual([100, 101, 102, 103]);
    for (const [i, name] of ['WIR-00', 'WIR-01', 'WIR-02', 'WIR-03'].entries()) {
      const res = await emu.rest('GET', `/io/ir/${name}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ irValue: 100 + i });
      expect(await emu.tcpIr(name)).toBe(100 + i);
    }
    expect(profileOf(await emu.serial(), 'hr')).toMatchObject({ state: 'ok', errorCode: 0, errorCount: 0, errors: NO_ERRORS });

    // MQTT: the embedded broker holds the retained OnChange publications of WIR-00..03.
    expect(emu.brokerUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const client: MqttClient = await connectAsync(emu.brokerUrl!, { clientId: 'serial-rtu-test', reconnectPeriod: 0 });
    try {
      const latest = new Map<string, unknown>();
      client.on('message', (topic, payload) => latest.set(topic, (JSON.parse(payload.toString()) as { value: unknown }).value));
      await client.subscribeAsync(`${DEVICE_NAME}/read/+/irValue`, { qos: 1 });
      const topics = [0, 1, 2, 3].map((i) => `${DEVICE_NAME}/read/WIR-0${i}/irValue`);
      await until(
        'MQTT irValue of WIR-00..03',
        async () => topics.map((t) => latest.get(t)),
        (values) => values.every((v, i) => v === 100 + i),
      );
    } finally {
      await client.endAsync();
    }
  });

  it('reads input registers into WORD IRs and coils into BOOL IRs', async () => {
    await until('ir and co profiles polled ok', () => emu.serial(), (s) => profileOf(s, 'ir').okCount >= 2 && profileOf(s, 'co').okCount >= 2);
    // input[i] = 200 + i from address 10.
    expect(await Promise.all(['WIR-04', 'WIR-05', 'WIR-06'].map((n) => emu.ir(n)))).toEqual([210, 211, 212]);
    expect(await emu.tcpIr('WIR-05')).toBe(211);
    expect((await emu.rest('GET', '/io/ir/WIR-06')).body).toEqual({ irValue: 212 });
    // coil i = 1 when i is odd.
    expect(await Promise.all([0, 1, 2, 3, 4, 5].map((i) => emu.ir(`BIR-0${i}`)))).toEqual([0, 1, 0, 1, 0, 1]);
    expect((await emu.rest('GET', '/io/ir/BIR-03')).body).toEqual({ irValue: 1 });
    const status = await emu.serial();
    expect(profileOf(status, 'ir')).toMatchObject({ state: 'ok', errorCode: 0, errorCount: 0, errors: NO_ERRORS });
    expect(profileOf(status, 'co')).toMatchObject({ state: 'ok', errorCode: 0, errorCount: 0, errors: NO_ERRORS });
  });

  it('writes IR changes (sim API, REST, Modbus/TCP) through to the slave, where the next polls read them back', async () => {
    const before = await emu.serial();
    expect((await emu.sim('PUT', '/internal-registers/WIR-01', { value: 4242 })).status).toBe(200);
    expect((await emu.rest('PUT', '/io/ir/WIR-02/irValue', { value: 777 })).status).toBe(200);
    const wir03 = emu.map.find((r) => r.ioName === 'WIR-03' && r.parameter === 'wirValue')!;
    await emu.modbus.call(writeRegisterPdu(wir03.address, 3000));
    // Coil 2 is 0 on the slave (even): set it through BIR-02.
    expect((await emu.sim('PUT', '/internal-registers/BIR-02', { value: 1 })).status).toBe(200);

    // Each write is queued behind at most the poll on the bus; two more good polls of each
    // profile after the writes were queued have read the slave after the writes landed.
    const queued = await emu.serial();
    expect(profileOf(queued, 'hr').writes).toBe(profileOf(before, 'hr').writes + 3);
    expect(profileOf(queued, 'co').writes).toBe(profileOf(before, 'co').writes + 1);
    const after = await until(
      'two polls of hr and co after the writes',
      () => emu.serial(),
      (s) => profileOf(s, 'hr').okCount >= profileOf(queued, 'hr').okCount + 2 && profileOf(s, 'co').okCount >= profileOf(queued, 'co').okCount + 2,
    );
    expect(profileOf(after, 'hr')).toMatchObject({ writeErrors: 0, errorCode: 0 });
    expect(profileOf(after, 'co')).toMatchObject({ writeErrors: 0, errorCode: 0 });
    // Had a write not reached pymodbus, the poll would have put 101/102/103 and coil 2 = 0 back.
    expect(await Promise.all(['WIR-00', 'WIR-01', 'WIR-02', 'WIR-03'].map((n) => emu.ir(n)))).toEqual([100, 4242, 777, 3000]);
    expect(await Promise.all([0, 1, 2, 3].map((i) => emu.ir(`BIR-0${i}`)))).toEqual([0, 1, 1, 1]);
    expect(await emu.tcpIr('WIR-01')).toBe(4242);
    expect((await emu.rest('GET', '/io/ir/WIR-03')).body).toEqual({ irValue: 3000 });
  });

  it('reports a slave exception: error code 2 in the profile, its exception IR and the Modbus/TCP status words', async () => {
    const status = await until('bad profile failed', () => emu.serial(), (s) => profileOf(s, 'bad').errors.exception >= 2);
    const bad = profileOf(status, 'bad');
    expect(bad).toMatchObject({ state: 'error', errorCode: 2, okCount: 0, lastError: { kind: 'exception', exceptionCode: 2 } });
    expect(bad.errors).toEqual({ timeout: 0, crc: 0, exception: bad.errorCount, unexpected: 0, 'port-closed': 0 });
    expect(status.profileErrorCode).toEqual([0, 0, 0, 2, 0, 0, 0, 0]);
    expect(await emu.ir('WIR-41')).toBe(2);
    expect(await emu.ir('WIR-40')).toBe(0);
    expect((await emu.rest('GET', '/io/ir/WIR-41')).body).toEqual({ irValue: 2 });
    expect(await emu.tcpIr('WIR-41')).toBe(2);
    // The profile's IRs keep their initial value.
    expect(await emu.ir('WIR-10')).toBe(0);

    const words = await emu.rtuWords();
    expect(words.errorCodes).toEqual([0, 0, 0, 2, 0, 0, 0, 0]);
    // Word 0: only profile 3 (bad) failed; word 1: port open; words 2/3: error and ok counts.
    expect(words.deviceStatus[0]).toBe(0b1000);
    expect(words.deviceStatus[1]).toBe(1);
    expect(words.deviceStatus[2]).toBeGreaterThanOrEqual(2);
    expect(words.deviceStatus[3]).toBeGreaterThanOrEqual(6);
  });
});

// ---- 4: our own field device as the slave -------------------------------------------------------

describe('RTU master against `iothinx-sim field-device --profile power-meter`', () => {
  afterAll(teardown);

  it('reads FLOAT IRs: phase voltages about 230 V and the frequency about 50 Hz', async () => {
    const dir = await tempDir();
    const pty = await startPtyPair(dir);
    await startFieldDevice(dir, pty.b, 'power-meter', 1);
    const emu = await startEmulator(dir, {
      internalRegisters: IRS,
      serial: serialSection(pty.a, [
        // voltageL1..L3: input registers 0..5, float32 high word first.
        { name: 'volts', slaveId: 1, pointType: 4, startAddress: 0, length: 6, scanRate: 1, irType: 'float', irStart: 0 },
        { name: 'hz', slaveId: 1, pointType: 4, startAddress: 70, length: 2, scanRate: 1, irType: 'float', irStart: 3 },
      ]),
    });
    await until('both profiles polled ok', () => emu.serial(), (s) => profileOf(s, 'volts').okCount >= 2 && profileOf(s, 'hz').okCount >= 2);
    const [l1, l2, l3, hz] = await Promise.all(['FIR-00', 'FIR-01', 'FIR-02', 'FIR-03'].map((n) => emu.ir(n)));
    // The definition's sines: 230 ± 3, 231 ± 2.5, 229 ± 2; frequency 49.9..50.1.
    expect(l1).toBeGreaterThanOrEqual(227);
    expect(l1).toBeLessThanOrEqual(233);
    expect(l2).toBeGreaterThanOrEqual(228.5);
    expect(l2).toBeLessThanOrEqual(233.5);
    expect(l3).toBeGreaterThanOrEqual(227);
    expect(l3).toBeLessThanOrEqual(231);
    expect(hz).toBeGreaterThanOrEqual(49.9);
    expect(hz).toBeLessThanOrEqual(50.1);
    const rest = (await emu.rest('GET', '/io/ir/FIR-00')).body as { irValue: number };
    expect(rest.irValue).toBeGreaterThanOrEqual(227);
    expect(rest.irValue).toBeLessThanOrEqual(233);
    const tcp = await emu.tcpIr('FIR-01');
    expect(tcp).toBeGreaterThanOrEqual(228.5);
    expect(tcp).toBeLessThanOrEqual(233.5);
    const status = await emu.serial();
    expect(profileOf(status, 'volts')).toMatchObject({ state: 'ok', errorCode: 0, errorCount: 0, errors: NO_ERRORS });
    expect(profileOf(status, 'hz')).toMatchObject({ state: 'ok', errorCode: 0, errorCount: 0, errors: NO_ERRORS });
  });
});

// ---- 5: faults of a profile-attached field device on its own pty pair ---------------------------

describe('RTU master against a faulty field device (serial.fieldDevices[].port)', () => {
  let emu: Emulator;
  const RESPONSE_TIMEOUT_MS = 300;

  beforeAll(async () => {
    const dir = await tempDir();
    const pty = await startPtyPair(dir);
    emu = await startEmulator(dir, {
      internalRegisters: IRS,
      serial: {
        ...serialSection(pty.a, [{ name: 'meter', slaveId: 2, pointType: 4, startAddress: 0, length: 2, scanRate: 1, irType: 'float', irStart: 0, exceptionIr: 40 }]),
        responseTimeoutMs: RESPONSE_TIMEOUT_MS,
        retries: 0,
        fieldDevices: [{ name: 'meter', definition: 'power-meter', slaveId: 2, port: pty.b }],
      },
    });
    await until('meter polled ok', () => emu.serial(), (s) => profileOf(s, 'meter').okCount >= 2);
  });

  afterAll(teardown);

  type Kind = keyof ProfileStatus['errors'];
  const cases: { fault: object; kinds: Kind[]; codes: number[] }[] = [
    { fault: { kind: 'no-answer' }, kinds: ['timeout'], codes: [TIMEOUT] },
    { fault: { kind: 'crc' }, kinds: ['crc'], codes: [CRC] },
    { fault: { kind: 'garbage' }, kinds: ['crc', 'unexpected'], codes: [CRC, UNEXPECTED] },
    { fault: { kind: 'exception', exceptionCode: 4 }, kinds: ['exception'], codes: [4] },
    // Far longer than responseTimeoutMs x (retries + 1): every poll times out until the first
    // late answers start to arrive, DELAY ms after the fault was set.
    { fault: { kind: 'slow', delayMs: 4000 }, kinds: ['timeout'], codes: [TIMEOUT] },
  ];

  it.each(cases)('detects, counts, reports and recovers from $fault.kind', async ({ fault, kinds, codes }) => {
    const before = profileOf(await emu.serial(), 'meter');
    expect(before.errorCode).toBe(0);
    const set = await emu.sim('PUT', '/serial/field-devices/meter/fault', fault);
    expect(set.status).toBe(200);
    expect(set.body.fault).toMatchObject(fault);

    const counted = (p: ProfileStatus) => kinds.reduce((n, k) => n + p.errors[k], 0);
    const failing = await until(
      `profile error for ${JSON.stringify(fault)}`,
      () => emu.serial(),
      (s) => codes.includes(profileOf(s, 'meter').errorCode) && counted(profileOf(s, 'meter')) >= counted(before) + 1,
    );
    const failed = profileOf(failing, 'meter');
    expect(failed.state).toBe('error');
    expect(kinds).toContain(failed.lastError?.kind);
    expect(failed.errorCount).toBeGreaterThan(before.errorCount);
    expect(failing.fieldDevices[0]).toMatchObject({ name: 'meter', fault: { kind: (fault as { kind: string }).kind } });
    expect(failing.fieldDevices[0]!.counters.faulted).toBeGreaterThan(0);
    // The same over Modbus/TCP and in the exception IR.
    const words = await until('Modbus/TCP status words show the failure', () => emu.rtuWords(), (w) => codes.includes(w.errorCodes[0]!) && (w.deviceStatus[0]! & 1) === 1);
    expect(words.errorCodes.slice(1)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(words.deviceStatus[1]).toBe(1);
    expect(words.deviceStatus[2]).toBeGreaterThan(0);
    await until('exception IR WIR-40 holds the error code', () => emu.ir('WIR-40'), (v) => codes.includes(v));

    const cleared = await emu.sim('DELETE', '/serial/field-devices/meter/fault');
    expect(cleared.status).toBe(200);
    expect(cleared.body.fault).toMatchObject({ kind: 'none' });
    const okAtClear = profileOf(await emu.serial(), 'meter').okCount;
    const recovered = await until(
      'recovery after DELETE',
      () => emu.serial(),
      (s) => profileOf(s, 'meter').errorCode === 0 && profileOf(s, 'meter').okCount >= okAtClear + 3,
    );
    expect(profileOf(recovered, 'meter').state).toBe('ok');
    const ok = await until('Modbus/TCP status words show the recovery', () => emu.rtuWords(), (w) => w.errorCodes[0] === 0 && (w.deviceStatus[0]! & 1) === 0);
    expect(ok.deviceStatus[1]).toBe(1);
    expect(ok.deviceStatus[3]).toBeGreaterThan(0);
    await until('exception IR WIR-40 back to 0', () => emu.ir('WIR-40'), (v) => v === 0);
    // Real data again: voltage L1 about 230 V.
    const volts = await emu.ir('FIR-00');
    expect(volts).toBeGreaterThanOrEqual(227);
    expect(volts).toBeLessThanOrEqual(233);
  });
});

// ---- 6: unplug and replug -----------------------------------------------------------------------

describe('RTU master when the cable is pulled and plugged back', () => {
  afterAll(teardown);

  it('reports the port closed, then reopens it and polls again without a restart', async () => {
    const dir = await tempDir();
    const pty: PtyPair = await startPtyPair(dir);
    const slave = await startPymodbusSlave(pty.b);
    const emu = await startEmulator(dir, {
      internalRegisters: IRS,
      serial: serialSection(pty.a, [{ name: 'hr', slaveId: 1, pointType: 3, startAddress: 0, length: 2, scanRate: 1, irType: 'word', irStart: 0, exceptionIr: 40 }]),
    });
    await until('hr polled ok', () => emu.serial(), (s) => profileOf(s, 'hr').okCount >= 2);
    expect((await emu.rtuWords()).deviceStatus[1]).toBe(1);

    await pty.unplug();
    const lost = await until(
      'port lost',
      () => emu.serial(),
      (s) => s.port?.state !== 'open' && profileOf(s, 'hr').errors['port-closed'] + profileOf(s, 'hr').errors.timeout >= 1,
    );
    expect(lost.port!.failures).toBeGreaterThanOrEqual(1);
    expect(lost.port!.lastError).toMatch(/\/a\b/);
    expect([PORT_CLOSED, TIMEOUT]).toContain(profileOf(lost, 'hr').errorCode);
    const down = await until('Modbus/TCP: port closed and profile 0 failed', () => emu.rtuWords(), (w) => w.deviceStatus[1] === 0 && (w.deviceStatus[0]! & 1) === 1);
    expect([PORT_CLOSED, TIMEOUT]).toContain(down.errorCodes[0]);
    expect([PORT_CLOSED, TIMEOUT]).toContain(await emu.ir('WIR-40'));

    await pty.replug();
    // The emulator was not restarted; the pymodbus slave reopens its end by itself.
    const okBefore = profileOf(await emu.serial(), 'hr').okCount;
    const back = await until(
      'port reopened and polls succeed',
      () => emu.serial(),
      (s) => s.port?.state === 'open' && profileOf(s, 'hr').errorCode === 0 && profileOf(s, 'hr').okCount >= okBefore + 3,
      30_000,
    );
    expect(profileOf(back, 'hr').state).toBe('ok');
    expect(slave.child.exitCode).toBeNull();
    const up = await until('Modbus/TCP: port open and no failure', () => emu.rtuWords(), (w) => w.deviceStatus[1] === 1 && w.deviceStatus[0] === 0);
    expect(up.errorCodes[0]).toBe(0);
    expect(await Promise.all([emu.ir('WIR-00'), emu.ir('WIR-01'), emu.ir('WIR-40')])).toEqual([100, 101, 0]);
  });
});

// ---- 7: mbpoll as the master --------------------------------------------------------------------

describe('mbpoll (libmodbus RTU master) against `iothinx-sim field-device --profile vfd`', () => {
  let pty: PtyPair;
  const SLAVE = 7;

  beforeAll(async () => {
    const dir = await tempDir();
    pty = await startPtyPair(dir);
    await startFieldDevice(dir, pty.b, 'vfd', SLAVE);
  });

  afterAll(teardown);

  /** mbpoll as the RTU master: 19200 8N1, 2 s timeout (PDU addresses, one poll). */
  const { run: mbpoll, read, write } = mbpollClient(
    () => ['-m', 'rtu', '-a', String(SLAVE), '-b', String(BAUD), '-P', 'none', '-d', '8', '-s', '1', '-o', '2'],
    () => pty.a,
  );

  it('reads the holding registers, writes the frequency set point and reads it back', async () => {
    // frequencySetpoint 50.00 Hz, acceleration 10.0 s, deceleration 10.0 s, max 50.00 Hz, 7.5 A.
    expect(await read('4', 1, 5)).toEqual([5000, 100, 100, 5000, 75]);
    await write('4', 1, [4321]);
    expect(await read('4', 1, 2)).toEqual([4321, 100]);
  });

  it('writes the run coil and reads it back; reads the status word; gets exception 2 past the map', async () => {
    expect(await read('0', 0, 3)).toEqual([0, 0, 0]);
    await write('0', 0, [1]);
    expect(await read('0', 0, 3)).toEqual([1, 0, 0]);
    // statusWord (input register 0) is 1 = ready.
    expect(await read('3', 0)).toEqual([1]);
    const past = await mbpoll('4', 30);
    expect(past.code).not.toBe(0);
    expect(past.stderr).toMatch(/Illegal data address/i);
  });
});
