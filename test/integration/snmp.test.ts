/**
 * The SNMP agent of the built CLI over real UDP on 127.0.0.1, with the net-snmp client as the
 * manager: GET / GETNEXT / GETBULK / walk in v1, v2c and v3 (authPriv SHA + AES), SETs seen on
 * Modbus/TCP and the device API, every error status (and the v2 -> v1 mapping, RFC 2576 §4.3),
 * the accessible-IP list, disabled versions and bad credentials (no answer, or a v3 USM report), a seeded
 * fuzz, the engine id kept in the data dir, and traps from a profile. "No answer" is a session
 * timeout (300 ms, no retry) and a counter in GET /sim/v1/snmp, never a sleep.
 */
import { writeFile, readFile } from 'node:fs/promises';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { parse, stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { formatScaled } from '../../src/snmp/mib-tables.js';
import { mulberry32 } from '../../src/sim/random.js';
import { RawModbusClient, closeClients, writeCoilPdu } from '../helpers/modbus-client.js';
import { cleanupProcesses, runCli, startCli, tempDir } from '../helpers/process.js';
import {
  ADMIN,
  captureRequest,
  closeSnmpSessions,
  compareOids,
  failure,
  get,
  getBulk,
  getNext,
  localPort,
  set,
  snmpTarget,
  subtree,
  text,
  trapReceiver,
  v1Session,
  v2cSession,
  v3Session,
  type Notification,
  type Target,
  type TrapReceiver,
} from '../helpers/snmp-client.js';

const receivers: TrapReceiver[] = [];
afterEach(async () => {
  closeSnmpSessions();
  await closeClients();
  for (const r of receivers.splice(0)) await r.close();
  await cleanupProcesses();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are untyped by nature.
type Json = any;

const E = '1.3.6.1.4.1.8691.10.4510';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';
const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const COLD_START = '1.3.6.1.6.3.1.1.5.1';
const DEVICE_NAME = `${E}.1.1.0`;
const FIRMWARE = `${E}.1.2.0`;
const SERIAL = `${E}.1.3.0`;
const doStatus = (n: number) => `${E}.12.1.1.6.${n}`;
const doIndex = (n: number) => `${E}.12.1.1.1.${n}`;
const LAST_OBJECT = `${E}.92.0`; // eventTriggerType.0
/** A short wait for "no answer": the assertion is the timeout error, not how long it took. */
const SILENT = { timeout: 300, retries: 0 };

const DEFAULT_PROFILE = new URL('../../profiles/default.yaml', import.meta.url).pathname;

/** The default profile with `change` applied, written to a temp dir. */
async function profileFile(change: (profile: Json) => void): Promise<string> {
  const profile = parse(await readFile(DEFAULT_PROFILE, 'utf8')) as Json;
  change(profile);
  const file = join(await tempDir(), 'profile.yaml');
  await writeFile(file, stringify(profile));
  return file;
}

async function device(extra: string[] = [], dir?: string) {
  const started = await startCli(['--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--clock', 'manual', '--quiet', ...extra], dir);
  const base = `http://${started.ready.http}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> => {
    const res = await fetch(base + path, { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const t = await res.text();
    return { status: res.status, body: t ? JSON.parse(t) : undefined };
  };
  const target: Target = snmpTarget((started.ready as unknown as { snmp: string }).snmp);
  const status = async () => (await call('GET', '/sim/v1/snmp')).body;
  const badTotal = async () => Object.values((await status()).counters.bad as Record<string, number>).reduce((a, b) => a + b, 0);
  return { ...started, call, target, status, badTotal, modbusPort: Number(started.ready.modbus!.split(':').pop()) };
}

type Device = Awaited<ReturnType<typeof device>>;

/** Channels of the rail by type, in slot then channel order (the MIB tables' running index). */
async function channelsByType(d: Device): Promise<Map<string, Json[]>> {
  const snapshot = (await d.call('GET', '/sim/v1/device')).body;
  const out = new Map<string, Json[]>();
  for (const slot of snapshot.slots) {
    if (slot.slot === 0) continue;
    for (const ch of slot.channels) out.set(ch.type, [...(out.get(ch.type) ?? []), ch]);
  }
  return out;
}

const vbOf = <T extends { oid: string }>(vbs: T[], oid: string) => vbs.find((v) => v.oid === oid);

describe('SNMP GET', () => {
  it('v1, v2c and v3 authPriv (SHA + AES) read sysName, sysObjectID, deviceName, serial and firmware', async () => {
    const d = await device();
    const id = (await d.call('GET', '/sim/v1/device')).body;
    const oids = [SYS_NAME, SYS_OBJECT_ID, SYS_UPTIME, DEVICE_NAME, FIRMWARE, SERIAL];
    for (const session of [v1Session(d.target, 'public'), v2cSession(d.target, 'public'), v3Session(d.target, ADMIN)]) {
      const vbs = await get(session, oids);
      expect(vbs.map((v) => v.oid)).toEqual(oids);
      expect(text(vbs[0])).toBe(id.name);
      expect(vbs[1]).toMatchObject({ type: snmp.ObjectType.OID, value: E });
      expect(vbs[2]?.type).toBe(snmp.ObjectType.TimeTicks);
      expect(vbs.slice(3).map(text)).toEqual([id.name, id.firmwareVersion, id.serialNumber]);
    }
  });

  it('sysUpTime follows the device clock: POST /sim/v1/clock/advance 12340 ms adds 1234 ticks', async () => {
    const d = await device();
    const session = v2cSession(d.target, 'public');
    const before = (await get(session, [SYS_UPTIME]))[0]!.value as number;
    expect((await d.call('POST', '/sim/v1/clock/advance', { ms: 12_340 })).status).toBe(200);
    const after = (await get(session, [SYS_UPTIME]))[0]!.value as number;
    expect(after - before).toBe(1234);
    // The same through v3.
    expect((await get(v3Session(d.target, ADMIN), [SYS_UPTIME]))[0]!.value).toBe(after);
  });
});

describe('SNMP GETNEXT, GETBULK and walk', () => {
  it('walks 1.3.6.1.4.1.8691 in strictly increasing order; tables match the rail and /sim/v1', async () => {
    const d = await device();
    const v2 = v2cSession(d.target, 'public');
    const walk = await subtree(v2, '1.3.6.1.4.1.8691', 40);
    expect(walk.length).toBeGreaterThan(100);
    for (let i = 1; i < walk.length; i++) expect(compareOids(walk[i - 1]!.oid, walk[i]!.oid), `${walk[i - 1]!.oid} < ${walk[i]!.oid}`).toBeLessThan(0);
    expect(walk[0]!.oid).toBe(DEVICE_NAME);
    expect(walk.at(-1)!.oid).toBe(LAST_OBJECT);
    // A v1 walk (GETNEXT one at a time) sees exactly the same objects.
    const v1walk = await subtree(v1Session(d.target, 'public'), '1.3.6.1.4.1.8691');
    expect(v1walk.map((v) => v.oid)).toEqual(walk.map((v) => v.oid));

    const channels = await channelsByType(d);
    const irs = (await d.call('GET', '/sim/v1/internal-registers')).body as { type: string; index: number; value: number }[];
    const tables: { branch: string; rows: number }[] = [
      { branch: '11', rows: channels.get('di')?.length ?? 0 },
      { branch: '12', rows: channels.get('do')?.length ?? 0 },
      { branch: '13', rows: channels.get('relay')?.length ?? 0 },
      { branch: '21', rows: channels.get('ai')?.length ?? 0 },
      { branch: '22', rows: channels.get('ao')?.length ?? 0 },
      { branch: '23', rows: channels.get('rtd')?.length ?? 0 },
      { branch: '24', rows: channels.get('tc')?.length ?? 0 },
      ...['bool', 'word', 'dword', 'float'].map((type, i) => ({ branch: `41.${i + 1}`, rows: irs.filter((r) => r.type === type).length })),
    ];
    expect(tables.map((t) => t.rows).every((n) => n > 0)).toBe(true);
    for (const t of tables) {
      // Entry OID is …4510.<branch>.1.1 for channel tables, …4510.41.<n>.1 for internal registers.
      const entry = t.branch.startsWith('41.') ? `${E}.${t.branch}.1` : `${E}.${t.branch}.1.1`;
      const cells = walk.filter((v) => v.oid.startsWith(`${entry}.`)).map((v) => ({ column: Number(v.oid.slice(entry.length + 1).split('.')[0]), index: Number(v.oid.split('.').at(-1)), vb: v }));
      const columns = [...new Set(cells.map((c) => c.column))];
      for (const column of columns) {
        // Every column runs 0..n-1 over the rows; the index column's values are that index.
        expect(cells.filter((c) => c.column === column).map((c) => c.index), `${entry}.${column}`).toEqual([...Array(t.rows).keys()]);
      }
      expect(cells.filter((c) => c.column === 1).map((c) => c.vb.value)).toEqual([...Array(t.rows).keys()]);
    }
    // No table for a channel type the rail lacks (sp: no power module in the default profile).
    expect(walk.some((v) => v.oid.startsWith(`${E}.2.`) || v.oid.startsWith(`${E}.3.`))).toBe(channels.has('sp'));

    const column = (branch: string, n: number) => walk.filter((v) => v.oid.startsWith(`${E}.${branch}.1.1.${n}.`));
    expect(column('12', 6).map((v) => v.value)).toEqual(channels.get('do')!.map((c) => c.doStatus));
    expect(column('11', 6).map((v) => v.value)).toEqual(channels.get('di')!.map((c) => c.diStatus));
    expect(column('21', 10).map(text)).toEqual(channels.get('ai')!.map((c) => formatScaled(c.aiValueScaled)));
    expect(column('21', 10).every((v) => v.type === snmp.ObjectType.OctetString)).toBe(true);
    expect(column('13', 5).map((v) => v.value)).toEqual(channels.get('relay')!.map((c) => c.relayStatus));
    expect(walk.filter((v) => v.oid.startsWith(`${E}.41.2.1.3.`)).map((v) => v.value)).toEqual(irs.filter((r) => r.type === 'word').map((r) => r.value));
  });

  it('GETNEXT returns the next object; GETBULK returns non-repeaters then repetitions, as the walk does', async () => {
    const d = await device();
    const v2 = v2cSession(d.target, 'public');
    expect((await getNext(v2, ['1.3.6.1.4.1.8691'])).map((v) => [v.oid, text(v)])).toEqual([[DEVICE_NAME, 'ioThinx_4510']]);
    expect((await getNext(v2, [SYS_NAME]))[0]!.oid).toBe('1.3.6.1.2.1.1.6.0');
    expect((await getNext(v2, [doStatus(0)]))[0]!.oid).toBe(doStatus(1));
    // Across the end of a column: the next column's first row.
    const dos = (await channelsByType(d)).get('do')!.length;
    expect((await getNext(v2, [doStatus(dos - 1)]))[0]!.oid).toBe(`${E}.12.1.1.7.0`);
    // v1 GETNEXT too.
    expect((await getNext(v1Session(d.target, 'public'), [SYS_NAME]))[0]!.oid).toBe('1.3.6.1.2.1.1.6.0');

    // One repeater, no non-repeater: exactly max-repetitions successors, as the walk has them.
    const column = await getBulk(v2, [`${E}.12.1.1.6`], 0, dos);
    const walk = await subtree(v2, `${E}.12.1.1.6`);
    expect((column[0] as snmp.Varbind[]).map((v) => [v.oid, v.value])).toEqual(walk.map((v) => [v.oid, v.value]));
    expect(walk.map((v) => v.oid)).toEqual([...Array(dos).keys()].map(doStatus));
    // A non-repeater first, then the repetitions.
    const bulk = await getBulk(v2, ['1.3.6.1.2.1.1.4', `${E}.12.1.1.6`], 1, dos);
    expect(bulk).toHaveLength(2);
    expect((bulk[0] as snmp.Varbind).oid).toBe('1.3.6.1.2.1.1.4.0');
    const repeated = bulk[1] as snmp.Varbind[];
    expect(repeated.length).toBeGreaterThan(0);
    expect(repeated.map((v) => v.oid)).toEqual(walk.slice(0, repeated.length).map((v) => v.oid));
    // v3 GETBULK.
    const v3bulk = await getBulk(v3Session(d.target, ADMIN), [`${E}.12.1.1.6`], 0, 3);
    expect((v3bulk[0] as snmp.Varbind[]).map((v) => v.oid)).toEqual([doStatus(0), doStatus(1), doStatus(2)]);
  });

  // net-snmp 3.29's own GETBULK stops at max-repetitions varbinds in all, non-repeaters
  // included; src/snmp/service.ts (patchAgent) answers N + M*R as RFC 3416 §4.2.3 says.
  it('GETBULK answers N non-repeaters + M repetitions of each of R repeaters (RFC 3416 §4.2.3)', async () => {
    const d = await device();
    const bulk = await getBulk(v2cSession(d.target, 'public'), ['1.3.6.1.2.1.1.4', `${E}.12.1.1.6`, `${E}.12.1.1.1`], 1, 4);
    expect((bulk[1] as snmp.Varbind[]).map((v) => v.oid)).toEqual([0, 1, 2, 3].map(doStatus));
    expect((bulk[2] as snmp.Varbind[]).map((v) => v.oid)).toEqual([0, 1, 2, 3].map(doIndex));
  });
});

describe('SNMP SET', () => {
  it('doStatus.N = 1 with the write community switches the DO: Modbus coil, /api and one journal write with the peer', async () => {
    const d = await device();
    const n = 2; // 45MR-2600-0@DO-02: DO-00 is looped back to a DI, DO-01 is in pulse mode.
    const ioName = (await channelsByType(d)).get('do')![n].ioName as string;
    const map = (await d.call('GET', '/sim/v1/modbus/map')).body as { ioName: string; parameter: string; table: string; address: number }[];
    const coil = map.find((r) => r.table === 'coil' && r.parameter === 'doStatus' && r.ioName === ioName)!.address;
    const modbus = await RawModbusClient.connect(d.modbusPort);
    expect(await modbus.readBits(1, coil, 1)).toEqual([0]);

    const w = v2cSession(d.target, 'private');
    const out = await set(w, [{ oid: doStatus(n), type: snmp.ObjectType.Integer, value: 1 }]);
    expect(out).toMatchObject([{ oid: doStatus(n), type: snmp.ObjectType.Integer, value: 1 }]);
    expect(await modbus.readBits(1, coil, 1)).toEqual([1]);
    const api = await d.call('GET', `/api/io/do/${encodeURIComponent(ioName)}/doStatus`, undefined, { accept: 'vdn.dac.v2', 'content-type': 'application/json' });
    expect(api).toMatchObject({ status: 200, body: { value: 1 } });
    expect((await get(v2cSession(d.target, 'public'), [doStatus(n)]))[0]!.value).toBe(1);

    const journal = (await d.call('GET', '/sim/v1/journal?source=snmp&kind=write')).body.entries as Json[];
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ source: 'snmp', kind: 'write', ioName, attribute: 'doStatus', value: 1, peer: `127.0.0.1:${localPort(w)}` });
  });

  it('a v3 read-write user can SET', async () => {
    const d = await device();
    const v3 = v3Session(d.target, ADMIN);
    await set(v3, [{ oid: doStatus(3), type: snmp.ObjectType.Integer, value: 1 }]);
    expect((await get(v3, [doStatus(3)]))[0]!.value).toBe(1);
    expect((await d.call('GET', '/sim/v1/slots/2/channels/3')).body.doStatus).toBe(1);
  });

  it('the read community cannot SET: v2c noAccess; v1 noSuchName (RFC 2576 §4.4 maps noAccess to noSuchName)', async () => {
    const d = await device();
    const vb = [{ oid: doStatus(2), type: snmp.ObjectType.Integer, value: 1 }];
    // net-snmp's Simple access control answers noAccess(6) for a read-only community's SET.
    expect(await failure(set(v2cSession(d.target, 'public'), vb))).toMatchObject({ name: 'RequestFailedError', status: snmp.ErrorStatus.NoAccess });
    // A v1 manager gets it as noSuchName(2), not readOnly(4): noAccess -> noSuchName in RFC 2576
    // §4.4 and in net-snmp's ErrorStatusV2ToV1 table (readOnly is never sent, RFC 2576 §4.3).
    expect(await failure(set(v1Session(d.target, 'public'), vb))).toMatchObject({ name: 'RequestFailedError', status: snmp.ErrorStatus.NoSuchName });
    expect((await d.call('GET', '/sim/v1/slots/2/channels/2')).body.doStatus).toBe(0);
    expect((await d.call('GET', '/sim/v1/journal?source=snmp&kind=write')).body.entries).toEqual([]);
    expect((await d.status()).counters.errors).toMatchObject({ NoAccess: 1, NoSuchName: 1 });
  });
});

describe('SNMP error statuses', () => {
  it('v1: noSuchName for a missing instance or object, badValue for an out-of-range SET, noSuchName past the end', async () => {
    const d = await device();
    const v1r = v1Session(d.target, 'public');
    const v1w = v1Session(d.target, 'private');
    const missing = await failure(get(v1r, [SYS_NAME, doStatus(99)]));
    expect(missing).toMatchObject({ status: snmp.ErrorStatus.NoSuchName });
    // net-snmp names the varbind at error-index: the second one.
    expect(missing.message).toContain(doStatus(99));
    expect(await failure(get(v1r, [`${E}.99.0`]))).toMatchObject({ status: snmp.ErrorStatus.NoSuchName });
    // wrongValue (v2) is badValue(3) for v1 (RFC 2576 §4.3, net-snmp's ErrorStatusV2ToV1).
    expect(await failure(set(v1w, [{ oid: doStatus(2), type: snmp.ObjectType.Integer, value: 5 }]))).toMatchObject({ status: snmp.ErrorStatus.BadValue });
    // notWritable (v2) is noSuchName for v1.
    expect(await failure(set(v1w, [{ oid: doIndex(2), type: snmp.ObjectType.Integer, value: 1 }]))).toMatchObject({ status: snmp.ErrorStatus.NoSuchName });
    expect(await failure(getNext(v1r, [LAST_OBJECT]))).toMatchObject({ status: snmp.ErrorStatus.NoSuchName });
  });

  it('v2c: notWritable, wrongType, wrongValue; noSuchObject, noSuchInstance and endOfMibView varbinds', async () => {
    const d = await device();
    const r = v2cSession(d.target, 'public');
    const w = v2cSession(d.target, 'private');
    expect(await failure(set(w, [{ oid: doIndex(2), type: snmp.ObjectType.Integer, value: 1 }]))).toMatchObject({ status: snmp.ErrorStatus.NotWritable });
    expect(await failure(set(w, [{ oid: doStatus(2), type: snmp.ObjectType.OctetString, value: '1' }]))).toMatchObject({ status: snmp.ErrorStatus.WrongType });
    expect(await failure(set(w, [{ oid: doStatus(2), type: snmp.ObjectType.Integer, value: 5 }]))).toMatchObject({ status: snmp.ErrorStatus.WrongValue });
    // A DO in pulse mode (DO-01 of the default profile) has no doStatus to write: wrongValue.
    expect(await failure(set(w, [{ oid: doStatus(1), type: snmp.ObjectType.Integer, value: 1 }]))).toMatchObject({ status: snmp.ErrorStatus.WrongValue });

    const vbs = await get(r, [`${E}.99.0`, doStatus(99), '1.3.6.1.2.1.1.5.1', SYS_NAME]);
    expect(vbs.map((v) => v.type)).toEqual([snmp.ObjectType.NoSuchObject, snmp.ObjectType.NoSuchInstance, snmp.ObjectType.NoSuchInstance, snmp.ObjectType.OctetString]);
    // GETNEXT from the last object: endOfMibView, named by the requested OID.
    expect(await getNext(r, [LAST_OBJECT])).toMatchObject([{ oid: LAST_OBJECT, type: snmp.ObjectType.EndOfMibView }]);
    expect((await d.call('GET', '/sim/v1/slots/2/channels/2')).body.doStatus).toBe(0);
    expect((await d.status()).counters.errors).toMatchObject({ NotWritable: 1, WrongType: 1, WrongValue: 2 });
  });

  it('v2c GETNEXT from an OID after every object answers endOfMibView (RFC 3416 §4.2.2)', async () => {
    const d = await device();
    const r = v2cSession(d.target, 'public');
    expect(await getNext(r, ['1.3.6.1.4.1.8691.11'])).toMatchObject([{ oid: '1.3.6.1.4.1.8691.11', type: snmp.ObjectType.EndOfMibView }]);
    expect(await getNext(r, [`${E}.92.1`])).toMatchObject([{ type: snmp.ObjectType.EndOfMibView }]);
    const bulk = await getBulk(r, ['1.3.6.1.4.1.8691.11'], 0, 2);
    // Each repetition past the end is endOfMibView too.
    expect((bulk[0] as snmp.Varbind[]).length).toBeGreaterThan(0);
    expect((bulk[0] as snmp.Varbind[]).every((v) => v.type === snmp.ObjectType.EndOfMibView)).toBe(true);
  });

  it('a SET with one bad varbind (wrong value, wrong type, read-only) changes nothing', async () => {
    const d = await device();
    const w = v2cSession(d.target, 'private');
    const good = { oid: doStatus(4), type: snmp.ObjectType.Integer, value: 1 };
    const bad = [
      { vb: { oid: doStatus(5), type: snmp.ObjectType.Integer, value: 7 }, status: snmp.ErrorStatus.WrongValue },
      { vb: { oid: doStatus(5), type: snmp.ObjectType.OctetString, value: 'x' }, status: snmp.ErrorStatus.WrongType },
      { vb: { oid: doIndex(5), type: snmp.ObjectType.Integer, value: 1 }, status: snmp.ErrorStatus.NotWritable },
    ];
    for (const { vb, status } of bad) {
      for (const varbinds of [
        [good, vb],
        [vb, good],
      ]) {
        const f = await failure(set(w, varbinds));
        expect(f).toMatchObject({ status });
        expect(f.message).toContain(vb.oid);
      }
    }
    expect(await get(w, [doStatus(4), doStatus(5)])).toMatchObject([{ value: 0 }, { value: 0 }]);
    expect((await d.call('GET', '/sim/v1/journal?source=snmp&kind=write')).body.entries).toEqual([]);
  });

  // net-snmp 3.29 answers noError with a noSuchInstance varbind and commits the others;
  // src/snmp/service.ts (patchAgent) refuses the SET first, as RFC 3416 §4.2.5 says.
  it('a SET of a missing instance is refused (noCreation / notWritable) and changes nothing', async () => {
    const d = await device();
    const w = v2cSession(d.target, 'private');
    const f = await failure(set(w, [{ oid: doStatus(4), type: snmp.ObjectType.Integer, value: 1 }, { oid: doStatus(99), type: snmp.ObjectType.Integer, value: 1 }]));
    expect([snmp.ErrorStatus.NoCreation, snmp.ErrorStatus.NotWritable]).toContain(f.status);
    expect((await get(w, [doStatus(4)]))[0]!.value).toBe(0);
  });
});

describe('SNMP access', () => {
  it('the accessible-IP list with additional restrictions: 127.0.0.2 gets no answer and counts as refused', async () => {
    const file = await profileFile((p) => {
      p.modbus.accessibleIps = { enabled: true, additionalRestrictions: true, entries: [{ ip: '127.0.0.1', netmask: '255.255.255.255', active: true }] };
    });
    const d = await device(['--profile', file]);
    expect(text((await get(v2cSession(d.target, 'public'), [SYS_NAME]))[0])).toBe('ioThinx_4510');
    const refusedBefore = (await d.status()).counters.refused as number;
    const outsider = v2cSession(d.target, 'public', { ...SILENT, sourceAddress: '127.0.0.2' });
    expect(await failure(get(outsider, [SYS_NAME]))).toMatchObject({ name: 'RequestTimedOutError' });
    expect(await failure(get(v3Session(d.target, ADMIN, { ...SILENT, sourceAddress: '127.0.0.2' }), [SYS_NAME]))).toMatchObject({ name: 'RequestTimedOutError' });
    // The datagram reached the agent and was dropped there (not lost on the way).
    expect((await d.status()).counters.refused).toBeGreaterThanOrEqual(refusedBefore + 2);
    // 127.0.0.1 still answered.
    expect(text((await get(v2cSession(d.target, 'public'), [SYS_NAME]))[0])).toBe('ioThinx_4510');
  });

  it('without additional restrictions the list does not guard SNMP', async () => {
    const file = await profileFile((p) => {
      p.modbus.accessibleIps = { enabled: true, additionalRestrictions: false, entries: [{ ip: '127.0.0.1', netmask: '255.255.255.255', active: true }] };
    });
    const d = await device(['--profile', file]);
    expect(text((await get(v2cSession(d.target, 'public', { sourceAddress: '127.0.0.2' }), [SYS_NAME]))[0])).toBe('ioThinx_4510');
    expect((await d.status()).counters.refused).toBe(0);
  });

  it('a disabled version gets no answer; the others still do', async () => {
    const file = await profileFile((p) => {
      p.snmp.versions = { v1: false, v2c: true, v3: true };
    });
    const d = await device(['--profile', file]);
    expect(await failure(get(v1Session(d.target, 'public', SILENT), [SYS_NAME]))).toMatchObject({ name: 'RequestTimedOutError' });
    expect((await d.status()).counters.versionDropped).toBeGreaterThanOrEqual(1);
    expect(text((await get(v2cSession(d.target, 'public'), [SYS_NAME]))[0])).toBe('ioThinx_4510');
    expect(text((await get(v3Session(d.target, ADMIN), [SYS_NAME]))[0])).toBe('ioThinx_4510');
  });

  it('a wrong community and a wrong v3 privacy key get no answer and count as bad; a wrong auth key and an unknown user get their USM report (#20)', async () => {
    const d = await device();
    const bad0 = await d.badTotal();
    expect(await failure(get(v2cSession(d.target, 'nope', SILENT), [SYS_NAME]))).toMatchObject({ name: 'RequestTimedOutError' });
    expect(await failure(get(v1Session(d.target, 'nope', SILENT), [SYS_NAME]))).toMatchObject({ name: 'RequestTimedOutError' });
    const bad1 = await d.badTotal();
    expect(bad1).toBeGreaterThanOrEqual(bad0 + 2);
    // AES with a wrong key decrypts to garbage that does not parse: dropped, as Debian's snmpd does.
    expect(await failure(get(v3Session(d.target, { ...ADMIN, privKey: 'wrong-priv-key' }, SILENT), [SYS_NAME]))).toMatchObject({ name: 'RequestTimedOutError' });
    expect(await d.badTotal()).toBeGreaterThan(bad1);
    // RFC 3414 §3.2 steps 4 and 6: reports (more in test/unit/snmp-usm.test.ts, test/interop/snmp-v3-reports.test.ts).
    expect(await failure(get(v3Session(d.target, { ...ADMIN, authKey: 'wrong-auth-key' }, SILENT), [SYS_NAME]))).toMatchObject({ message: 'Wrong Digest (incorrect password, community or key)' });
    expect(await failure(get(v3Session(d.target, { ...ADMIN, name: 'nobody' }, SILENT), [SYS_NAME]))).toMatchObject({ message: 'Unknown User Name' });
    expect((await d.status()).counters.usm).toMatchObject({ wrongDigests: 1, unknownUserNames: 1 });
    expect((await d.call('GET', '/sim/v1/journal?source=snmp&kind=write')).body.entries).toEqual([]);
  });

  it('limits.snmp.failureLogsPerMinute 2: of 4 wrong auth keys 2 are journaled, all 4 counted; the rest in /metrics as snmp_usm_log, and the next minute on the device clock journals again', async () => {
    const d = await device(['--profile', await profileFile((p) => (p.limits = { snmp: { failureLogsPerMinute: 2 } }))]);
    const wrongKey = () => failure(get(v3Session(d.target, { ...ADMIN, authKey: 'wrong-auth-key' }, SILENT), [SYS_NAME]));
    for (let i = 0; i < 4; i++) expect(await wrongKey()).toMatchObject({ message: 'Wrong Digest (incorrect password, community or key)' });
    const journaled = async () => ((await d.call('GET', '/sim/v1/journal?source=snmp&kind=request')).body.entries as Json[]).filter((e) => e.result === 'usmStatsWrongDigests');
    const unjournaled = async () => Number(/^iothinx_limit_refusals_total\{limit="snmp_usm_log"\} (\d+)$/m.exec(await (await fetch(`http://${d.ready.http}/metrics`)).text())?.[1]);
    expect((await d.status()).counters.usm.wrongDigests).toBe(4);
    expect(await journaled()).toHaveLength(2);
    expect(await unjournaled()).toBe(2);
    expect((await d.call('POST', '/sim/v1/clock/advance', { ms: 60_000 })).status).toBe(200);
    await wrongKey();
    expect((await journaled()).at(-1).action).toBe('v3 user "admin" (2 more USM failures before it not journaled: limits.snmp.failureLogsPerMinute)');
    expect((await d.status()).counters.usm.wrongDigests).toBe(5);
  });
});

describe('SNMP robustness', () => {
  it('survives 2000 malformed datagrams (seeded) and still answers', async () => {
    const d = await device();
    const templates = [
      await captureRequest(
        (t) => v2cSession(t, 'public', SILENT),
        (s) => s.get([SYS_NAME, doStatus(0)], () => {}),
      ),
      await captureRequest(
        (t) => v1Session(t, 'private', SILENT),
        (s) => s.set([{ oid: doStatus(2), type: snmp.ObjectType.Integer, value: 1 }], () => {}),
      ),
      await captureRequest(
        (t) => v2cSession(t, 'public', SILENT),
        (s) => s.getBulk([`${E}.12`], 0, 50, () => {}),
      ),
      // The v3 discovery (an empty GET, noAuthNoPriv).
      await captureRequest(
        (t) => v3Session(t, ADMIN, SILENT),
        (s) => s.get([SYS_NAME], () => {}),
      ),
    ];
    const random = mulberry32(0x5eed);
    const int = (n: number) => Math.floor(random() * n);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
    const malformed = (i: number): Buffer => {
      const t = templates[i % templates.length]!;
      switch (int(4)) {
        case 0:
          return t.subarray(0, 1 + int(t.length - 1)); // truncated
        case 1:
          return bytes(1 + int(300)); // random bytes
        case 2: {
          const out = Buffer.from(t); // flipped bytes
          for (let k = 0, n = 1 + int(4); k < n; k++) {
            const at = int(out.length);
            out[at] = out[at]! ^ (1 + int(255));
          }
          return out;
        }
        default: {
          // A huge length: the outer SEQUENCE (or a random inner byte) claims up to 4 GiB.
          const out = Buffer.from(t);
          const at = int(3) === 0 ? 1 : int(out.length - 5);
          return Buffer.concat([out.subarray(0, at), Buffer.from([0x84, 0xff, 0xff, 0xff, int(256)]), out.subarray(at + 1)]);
        }
      }
    };
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    try {
      for (let i = 0; i < 2000; i++) {
        const packet = malformed(i);
        await new Promise<void>((resolve) => socket.send(packet, d.target.port, d.target.host, () => resolve()));
      }
    } finally {
      socket.close();
    }
    // The agent reads its socket in order: once this answers, every datagram before it was handled.
    expect(text((await get(v2cSession(d.target, 'public', { timeout: 2000, retries: 3 }), [SYS_NAME]))[0])).toBe('ioThinx_4510');
    expect(text((await get(v3Session(d.target, ADMIN), [SYS_NAME]))[0])).toBe('ioThinx_4510');
    expect(d.child.exitCode).toBeNull();
    expect((await d.call('GET', '/sim/v1/health')).status).toBe(200);
    const counters = (await d.status()).counters;
    expect(counters.packets).toBeGreaterThan(100);
    expect(Object.values(counters.bad as Record<string, number>).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});

describe('SNMP engine id and status', () => {
  it('the engine id survives a restart with the same --data-dir; status shows no keys or write community', async () => {
    const data = await tempDir();
    const first = await device(['--data-dir', data]);
    const engineId = (await first.status()).engineId as string;
    expect(engineId).toMatch(/^800021f303[0-9a-f]{12}$/);
    expect(text((await get(v3Session(first.target, ADMIN), [SYS_NAME]))[0])).toBe('ioThinx_4510');
    first.child.kill('SIGTERM');
    await first.exited;
    expect((await readFile(join(data, 'snmp-engine-id'), 'utf8')).trim()).toBe(engineId);

    const second = await device(['--data-dir', data]);
    const status = await second.status();
    expect(status.engineId).toBe(engineId);
    expect(text((await get(v3Session(second.target, ADMIN), [SYS_NAME]))[0])).toBe('ioThinx_4510');
    const body = JSON.stringify(status);
    for (const secret of ['iothinx-auth', 'iothinx-priv', 'private']) expect(body).not.toContain(secret);
    expect(status.writeCommunity).toBe('(set)');
    expect(status.users).toEqual([{ name: 'admin', level: 'authPriv', authProtocol: 'sha', privProtocol: 'aes', access: 'read-write' }]);
  });
});

describe('SNMP response size (limits.snmp.maxResponseBytes, RFC 3416 §4.2)', () => {
  const refusals = async (d: Device) => {
    const res = await fetch(`http://${d.ready.http}/metrics`);
    const m = /^iothinx_limit_refusals_total\{limit="snmp_response_size"\} (\d+)$/m.exec(await res.text());
    return Number(m?.[1]);
  };

  it('#14.11: a GETBULK with max-repetitions 1000 is answered in at most 1472 bytes, a prefix of the walk', async () => {
    const d = await device();
    // The attack: a 54-byte-class GETBULK for 1000 repetitions from the top, sent as raw bytes
    // so that the answer's size on the wire can be measured.
    const request = await captureRequest(
      (t) => snmp.createSession(t.host, 'public', { port: t.port, version: snmp.Version2c, timeout: 200, retries: 0 }),
      (session) => session.getBulk(['1.3.6.1'], 0, 1000, () => {}),
    );
    expect(request.length).toBeLessThan(64);
    const raw = dgram.createSocket('udp4');
    try {
      raw.bind(0, '127.0.0.1');
      await once(raw, 'listening');
      const reply = once(raw, 'message', { signal: AbortSignal.timeout(5000) });
      raw.send(request, d.target.port, d.target.host);
      const [answer] = (await reply) as [Buffer];
      expect(answer.length).toBeGreaterThan(1000);
      expect(answer.length).toBeLessThanOrEqual(1472);
    } finally {
      raw.close();
    }
    // Through a manager: fewer repetitions than asked, and exactly the walk's first objects.
    const v2 = v2cSession(d.target, 'public');
    const bulk = (await getBulk(v2, ['1.3.6.1.4.1.8691'], 0, 1000))[0] as snmp.Varbind[];
    const walk = await subtree(v2, '1.3.6.1.4.1.8691', 10);
    expect(bulk.length).toBeGreaterThan(10);
    expect(bulk.length).toBeLessThan(walk.length);
    expect(bulk.map((v) => [v.oid, v.value])).toEqual(walk.slice(0, bulk.length).map((v) => [v.oid, v.value]));
    expect(await refusals(d)).toBeGreaterThanOrEqual(2);
  });

  it('#14.11: a walk asking 1000 repetitions per request still completes, with every object once', async () => {
    const d = await device();
    const v2 = v2cSession(d.target, 'public');
    const big = await subtree(v2, '1.3.6.1.4.1.8691', 1000);
    const small = await subtree(v2, '1.3.6.1.4.1.8691', 10);
    expect(big.map((v) => v.oid)).toEqual(small.map((v) => v.oid));
    expect(big.at(-1)!.oid).toBe(LAST_OBJECT);
  });

  it("#14.11: a v3 manager's smaller msgMaxSize bounds the GETBULK answer (RFC 3412 §6.2)", async () => {
    // A noAuthNoPriv user: its messages carry no digest, so the test may rewrite msgMaxSize.
    const file = await profileFile((p) => p.snmp.users.push({ name: 'plain', level: 'noAuthNoPriv', access: 'read-only' }));
    const d = await device(['--profile', file]);
    const session = v3Session(d.target, { name: 'plain', level: snmp.SecurityLevel.noAuthNoPriv } as snmp.User);
    const dgramOf = (session as unknown as { dgram: dgram.Socket }).dgram;
    // net-snmp always says 65507 (INTEGER 02 03 00 ff e3); say 600 in the same three bytes. (Node's
    // dgram calls send again with a list once the socket is bound: that one is rewritten already.)
    const send = dgramOf.send.bind(dgramOf) as (buffer: unknown, ...rest: unknown[]) => void;
    const rewrite = (buffer: Buffer) => {
      const at = buffer.indexOf(Buffer.from([0x02, 0x03, 0x00, 0xff, 0xe3]));
      return at === -1 ? buffer : Buffer.concat([buffer.subarray(0, at), Buffer.from([0x02, 0x03, 0x00, 0x02, 0x58]), buffer.subarray(at + 5)]);
    };
    (dgramOf as unknown as { send: typeof send }).send = (buffer: unknown, ...rest: unknown[]) => send(Buffer.isBuffer(buffer) ? rewrite(buffer) : buffer, ...rest);
    const sizes: number[] = [];
    dgramOf.on('message', (message: Buffer) => sizes.push(message.length));
    const bulk = (await getBulk(session, ['1.3.6.1.4.1.8691'], 0, 1000))[0] as snmp.Varbind[];
    expect(bulk.length).toBeGreaterThan(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(600);
    const walk = await subtree(v2cSession(d.target, 'public'), '1.3.6.1.4.1.8691', 10);
    expect(bulk.map((v) => v.oid)).toEqual(walk.slice(0, bulk.length).map((v) => v.oid));
  });

  it('#14.11: a GET whose answer would not fit is tooBig (error-index 0), and a GET that fits still answers', async () => {
    const d = await device();
    const v2 = v2cSession(d.target, 'public');
    // 80 x deviceName.0: a 1.4 KB request whose answer (the name 80 times) is over 1472 bytes.
    const refused = await failure(get(v2, Array.from({ length: 80 }, () => DEVICE_NAME)));
    expect(refused).toMatchObject({ name: 'RequestFailedError', status: snmp.ErrorStatus.TooBig });
    expect(await refusals(d)).toBe(1);
    expect(text((await get(v2, [DEVICE_NAME]))[0])).toBe('ioThinx_4510');
  });
});

describe('SNMP listen address', () => {
  it('#14.16: --snmp [::1]:0 binds an IPv6 (udp6) socket and answers there', async () => {
    const d = await device(['--snmp', '[::1]:0']);
    expect((d.ready as unknown as { snmp: string }).snmp).toMatch(/^\[::1\]:\d+$/);
    expect(d.target.host).toBe('::1');
    const vbs = await get(v2cSession(d.target, 'public', { transport: 'udp6' }), [SYS_NAME]);
    expect(text(vbs[0])).toBe('ioThinx_4510');
  });

  it('#14.16: an SNMP agent that cannot listen names SNMP and the address, and the start exits 1', async () => {
    // The port is taken by a UDP socket of the test itself.
    const taken = dgram.createSocket('udp4');
    taken.bind(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      const port = taken.address().port;
      const run = await runCli(['start', '--http', 'off', '--modbus', 'off', '--mqtt', 'off', '--snmp', `127.0.0.1:${port}`, '--quiet']);
      expect(run.code).toBe(1);
      // The service, the address and the flag that moves it (#18, src/cli/listen-error.ts).
      expect(run.stderr).toContain(`iothinx-sim: SNMP: 127.0.0.1:${port} is in use; choose another with --snmp HOST:PORT or --snmp 127.0.0.1:0`);
    } finally {
      taken.close();
    }
  });
});

describe('SNMP traps from a profile', () => {
  it('coldStart at start, then trapInform01 with doStatus when the DO switches over Modbus/TCP and /sim/v1', async () => {
    const m = await trapReceiver();
    receivers.push(m);
    const file = await profileFile((p) => {
      p.snmp.traps = [{ source: '2/2', trigger: 'onChange', manager: `127.0.0.1:${m.port}`, version: 'v2c' }];
    });
    const d = await device(['--profile', file]);
    const vb = (n: Notification, oid: string) => vbOf(n.pdu.varbinds, oid);

    const cold = await m.next('coldStart');
    expect(cold.pdu.type).toBe(snmp.PduType.TrapV2);
    expect(vb(cold, SNMP_TRAP_OID)?.value).toBe(COLD_START);

    const ioName = (await channelsByType(d)).get('do')![2].ioName as string;
    const map = (await d.call('GET', '/sim/v1/modbus/map')).body as { ioName: string; parameter: string; table: string; address: number }[];
    const coil = map.find((r) => r.table === 'coil' && r.parameter === 'doStatus' && r.ioName === ioName)!.address;
    const modbus = await RawModbusClient.connect(d.modbusPort);
    await modbus.request(writeCoilPdu(coil, true));
    const on = await m.next('trap for the Modbus write');
    expect(vb(on, SNMP_TRAP_OID)?.value).toBe(`${E}.91.1`);
    expect(vb(on, doStatus(2))).toMatchObject({ type: snmp.ObjectType.Integer, value: 1 });
    expect(vb(on, `${E}.92.0`)?.value).toBe(1);
    expect(text(vb(on, DEVICE_NAME) as snmp.Varbind)).toBe('ioThinx_4510');

    expect((await d.call('PUT', '/sim/v1/slots/2/channels/2/attributes/doStatus', { value: 0 })).status).toBe(200);
    const off = await m.next('trap for the /sim/v1 write');
    expect(vb(off, SNMP_TRAP_OID)?.value).toBe(`${E}.91.1`);
    expect(vb(off, doStatus(2))).toMatchObject({ type: snmp.ObjectType.Integer, value: 0 });
    expect((await d.status()).traps).toMatchObject({ coldStartsSent: 1, entries: [{ index: 1, attribute: 'doStatus', sent: 2, failed: 0 }] });
  });
});
