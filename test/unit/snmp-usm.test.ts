/**
 * #20: SNMPv3 USM checks and their Report PDUs (src/snmp/usm.ts, RFC 3414 §3.2 steps 3-7), on an
 * in-process agent (default profile plus an authNoPriv SHA user, an authNoPriv MD5 user and a
 * noAuthNoPriv user) with net-snmp's own manager: a wrong key, an unknown user, an unsupported
 * level and a message out of the time window each get their report (the manager names it), the
 * usmStats counters count, the journal records them; the report bytes (flags, boots/time, user,
 * request-id, digest) read back; a message without the reportable flag is counted, unanswered;
 * snmpEngineBoots counts starts with a data dir; a flood of wrong digests is journaled within
 * limits.snmp.failureLogsPerMinute and counted in full.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import snmp from 'net-snmp';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseProfile } from '../../src/config/load.js';
import type { SnmpConfig, SnmpUser } from '../../src/config/sections.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { ENGINE_BOOTS_FILE, ENGINE_ID_FILE, engineIdFromMac, loadEngineBoots, loadEngineId } from '../../src/snmp/engine-id.js';
import { SnmpService } from '../../src/snmp/service.js';
import { checkUsm, encodeReport, MAX_ENGINE_BOOTS, readV3Header, USM_STATS, USM_STATS_NAMES, usmStatsOid, type HmacAuth, type UsmEngine, type UsmStat } from '../../src/snmp/usm.js';
import { ADMIN, closeSnmpSessions, failure, get, set, text, v3Session, type Target } from '../helpers/snmp-client.js';
import { int, nullVarbind, tlv } from '../helpers/ber.js';
import { cleanupProcesses, tempDir } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const SYS_NAME = '1.3.6.1.2.1.1.5.0';
const ENGINE_ID = '800021f3030011223344';
const auth = (snmp as unknown as { Authentication: HmacAuth }).Authentication;

const READER: snmp.User = { name: 'reader', level: snmp.SecurityLevel.authNoPriv, authProtocol: snmp.AuthProtocols.sha, authKey: 'reader-auth' };
const MD5: snmp.User = { name: 'md5user', level: snmp.SecurityLevel.authNoPriv, authProtocol: snmp.AuthProtocols.md5, authKey: 'md5-auth-key' };
const PLAIN = { name: 'plain', level: snmp.SecurityLevel.noAuthNoPriv } as snmp.User;
const USERS: SnmpUser[] = [
  { name: 'reader', level: 'authNoPriv', authProtocol: 'sha', authKey: 'reader-auth', privProtocol: 'aes', access: 'read-only' },
  { name: 'md5user', level: 'authNoPriv', authProtocol: 'md5', authKey: 'md5-auth-key', privProtocol: 'aes', access: 'read-only' },
  { name: 'plain', level: 'noAuthNoPriv', authProtocol: 'sha', privProtocol: 'aes', access: 'read-only' },
];

let clock: ManualClock;
let config: SnmpConfig;
let device: Device;
let service: SnmpService;
let target: Target;

beforeAll(async () => {
  const profile = parseProfile('default.yaml', await readFile(new URL('../../profiles/default.yaml', import.meta.url), 'utf8'));
  profile.snmp.users.push(...USERS);
  config = profile.snmp;
  clock = new ManualClock();
  device = new Device(profile, clock);
  service = new SnmpService(device, clock, profile.snmp, pino({ level: 'silent' }), { accept: () => true, engineId: ENGINE_ID, engineBoots: 7 });
  const address = await service.listen('127.0.0.1', 0);
  target = { host: '127.0.0.1', port: Number(/:(\d+)$/.exec(address)![1]) };
});

afterAll(async () => {
  await service.close();
  device.dispose();
});

afterEach(async () => {
  closeSnmpSessions();
  await cleanupProcesses();
});

const usm = () => ({ ...service.counters.usm });
const journal = () => device.journal.query({ source: 'snmp' }).map((e) => `${e.action} ${e.result}`);

describe('SNMPv3 reports to net-snmp manager (RFC 3414 §3.2)', () => {
  it('right credentials answer at every level; the responses carry snmpEngineBoots 7 and snmpEngineTime', async () => {
    for (const user of [ADMIN, READER, MD5, PLAIN]) expect(text((await get(v3Session(target, user), [SYS_NAME]))[0]), user.name).toBe('ioThinx_4510');
    const session = v3Session(target, READER);
    await get(session, [SYS_NAME]);
    // The session took its notion of the engine's time from the authenticated response.
    expect((session as unknown as { engineTimeBoots: number }).engineTimeBoots).toBe(7);
    expect(service.status()).toMatchObject({ engineBoots: 7, engineTime: expect.any(Number) });
    expect(usm()).toMatchObject({ wrongDigests: 0, unknownUserNames: 0, unsupportedSecLevels: 0, notInTimeWindows: 0 });
  });

  it('a wrong auth key (authNoPriv and authPriv, SHA and MD5) gets usmStatsWrongDigests; counted and journaled', async () => {
    const before = usm().wrongDigests;
    for (const user of [
      { ...READER, authKey: 'wrong-auth-key' },
      { ...MD5, authKey: 'wrong-auth-key' },
      { ...ADMIN, authKey: 'wrong-auth-key' },
    ]) {
      const f = await failure(get(v3Session(target, user, { retries: 0 }), [SYS_NAME]));
      expect(f, user.name).toMatchObject({ name: 'ResponseInvalidError', message: 'Wrong Digest (incorrect password, community or key)' });
    }
    expect(usm().wrongDigests).toBe(before + 3);
    expect(journal()).toContain('v3 user "reader" usmStatsWrongDigests');
  });

  it('an unknown user gets usmStatsUnknownUserNames; a level the user has no key for usmStatsUnsupportedSecLevels', async () => {
    const before = usm();
    for (const user of [{ ...READER, name: 'nobody' }, { ...PLAIN, name: 'nobody' }]) {
      expect(await failure(get(v3Session(target, user, { retries: 0 }), [SYS_NAME]))).toMatchObject({ message: 'Unknown User Name' });
    }
    const tooHigh = { ...READER, level: snmp.SecurityLevel.authPriv, privProtocol: snmp.PrivProtocols.aes, privKey: 'any-priv-key' };
    expect(await failure(get(v3Session(target, tooHigh, { retries: 0 }), [SYS_NAME]))).toMatchObject({ message: 'Unsupported Security Level' });
    expect(usm()).toMatchObject({ unknownUserNames: before.unknownUserNames + 2, unsupportedSecLevels: before.unsupportedSecLevels + 1 });
    expect(journal()).toContain('v3 user "nobody" usmStatsUnknownUserNames');
  });

  it('a message out of the time window gets an authenticated usmStatsNotInTimeWindows report the manager takes its time from', async () => {
    const session = v3Session(target, READER, { retries: 0 });
    await get(session, [SYS_NAME]);
    // The manager's notion of the agent's clock falls behind: boots 6, some hours before.
    const notion = session as unknown as { engineTimeBoots: number; engineTimeBase: number; latestReceivedEngineTime: number };
    notion.engineTimeBoots = 6;
    notion.engineTimeBase = 10_000;
    notion.latestReceivedEngineTime = 10_000;
    const before = usm().notInTimeWindows;
    // net-snmp's manager takes the boots and time of the (authenticated) report and sends the
    // request again, in the window this time.
    expect(text((await get(session, [SYS_NAME]))[0])).toBe('ioThinx_4510');
    expect(usm().notInTimeWindows).toBe(before + 1);
    expect(notion.engineTimeBoots).toBe(7);
    expect(journal()).toContain('v3 user "reader" usmStatsNotInTimeWindows');
  });
});

// --- hand-written v3 messages (RFC 3412 §6), plaintext scopedPDU (test/helpers/ber.ts) ---------
interface V3Get {
  engineId: string;
  user: string;
  flags: number;
  boots?: number;
  time?: number;
  msgId?: number;
  requestId?: number;
  /** msgAuthenticationParameters' length (zeros, to sign in place); 0 unless given. */
  digest?: number;
  /** msgSecurityModel: 3 (USM) unless given. */
  model?: number;
}
function v3Get(m: V3Get): Buffer {
  const engine = Buffer.from(m.engineId, 'hex');
  const varbind = nullVarbind(SYS_NAME);
  const pdu = tlv(0xa0, int(m.requestId ?? 0x1234567), int(0), int(0), tlv(0x30, varbind));
  const security = tlv(0x30, tlv(0x04, engine), int(m.boots ?? 0), int(m.time ?? 0), tlv(0x04, Buffer.from(m.user)), tlv(0x04, Buffer.alloc(m.digest ?? 0)), tlv(0x04));
  const global = tlv(0x30, int(m.msgId ?? 0x2345678), int(65507), tlv(0x04, Buffer.from([m.flags])), int(m.model ?? 3));
  return tlv(0x30, int(3), global, tlv(0x04, security), tlv(0x30, tlv(0x04, engine), tlv(0x04), pdu));
}

async function exchange(packet: Buffer): Promise<Buffer | null> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  try {
    socket.send(packet, target.port, target.host);
    // A marker after it: the agent handles datagrams in order, so an answer comes before the marker's.
    const marker = v3Get({ engineId: '', user: '', flags: 4, msgId: 0x7abcdef });
    socket.send(marker, target.port, target.host);
    const answers: Buffer[] = [];
    for (;;) {
      const [msg] = (await once(socket, 'message')) as [Buffer];
      if (readV3Header(msg)?.msgId === 0x7abcdef) return answers[0] ?? null;
      answers.push(msg);
    }
  } finally {
    socket.close();
  }
}

/** The report's usmStats varbind: OID and Counter32 value. */
function reportVarbind(report: Buffer): { oid: string; value: number } {
  const at = report.lastIndexOf(Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x06, 0x03, 0x0f, 0x01, 0x01]));
  const oid = `1.3.6.1.6.3.15.1.1.${report[at + 10]}.${report[at + 11]}`;
  const value = report.subarray(at + 14, at + 14 + report[at + 13]!).reduce((v, b) => v * 256 + b, 0);
  return { oid, value };
}

describe('SNMPv3 report bytes', () => {
  it('discovery and a foreign engine id: usmStatsUnknownEngineIDs, noAuthNoPriv, our engine id, boots and time, the request-id echoed', async () => {
    const before = usm().unknownEngineIDs;
    for (const engineId of ['', '8000000001020304']) {
      const report = (await exchange(v3Get({ engineId, user: '', flags: 4, msgId: 4242, requestId: 99 })))!;
      const header = readV3Header(report)!;
      expect(header).toMatchObject({ msgId: 4242, flags: 0, securityModel: 3, boots: 7, requestId: 99 });
      expect(header.engineId.toString('hex')).toBe(ENGINE_ID);
      expect(report.includes(Buffer.from([0xa8]))).toBe(true);
      expect(reportVarbind(report).oid).toBe(usmStatsOid('unknownEngineIDs'));
    }
    // The marker of each exchange is a discovery too.
    expect(usm().unknownEngineIDs).toBe(before + 4);
    expect(reportVarbind((await exchange(v3Get({ engineId: '', user: '', flags: 4 })))!).value).toBe(before + 5);
  });

  it('without the reportable flag: counted, no answer', async () => {
    const before = usm().unknownUserNames;
    expect(await exchange(v3Get({ engineId: ENGINE_ID, user: 'nobody', flags: 0 }))).toBeNull();
    expect(usm().unknownUserNames).toBe(before + 1);
    const report = (await exchange(v3Get({ engineId: ENGINE_ID, user: 'nobody', flags: 4 })))!;
    expect(reportVarbind(report)).toEqual({ oid: usmStatsOid('unknownUserNames'), value: before + 2 });
    expect(readV3Header(report)!.user.toString()).toBe('nobody');
  });

  it('a notInTimeWindow report is authNoPriv with a digest the user\'s key verifies; the other checks come first', () => {
    const users = new Map([['reader', { name: 'reader', auth: { protocol: snmp.AuthProtocols.sha, key: 'reader-auth' }, priv: false }]]);
    const engine: UsmEngine = { engineId: Buffer.from(ENGINE_ID, 'hex'), boots: 3, time: () => 500, users, auth };
    const counted: string[] = [];
    const count = (stat: string) => counted.push(stat);
    /** An authNoPriv GET from reader with boots/time, signed with `key`. */
    const signed = (boots: number, time: number, key = 'reader-auth') => {
      const message = v3Get({ engineId: ENGINE_ID, user: 'reader', flags: 5, boots, time, digest: 12 });
      const { authParams } = readV3Header(message)!;
      auth.writeParameters(message, snmp.AuthProtocols.sha, key, engine.engineId, message.subarray(authParams.start, authParams.end));
      return message;
    };
    const stat = (message: Buffer) => {
      const verdict = checkUsm(message, engine, count);
      return verdict?.kind === 'report' ? verdict.stat : verdict;
    };
    expect(checkUsm(signed(3, 450), engine, count)).toBeNull();
    expect(stat(signed(3, 651))).toBe('notInTimeWindows');
    expect(stat(signed(2, 500))).toBe('notInTimeWindows');
    expect(stat(signed(2, 500, 'wrong-auth-key'))).toBe('wrongDigests');
    const verdict = checkUsm(signed(4, 500), engine, count);
    if (verdict?.kind !== 'report' || !verdict.response) throw new Error('no report');
    const report = verdict.response;
    const header = readV3Header(report)!;
    expect(header).toMatchObject({ flags: 1, boots: 3, time: 500, requestId: 0x1234567 });
    expect(header.user.toString()).toBe('reader');
    expect(auth.isAuthentic(report, snmp.AuthProtocols.sha, 'reader-auth', engine.engineId, report.subarray(header.authParams.start, header.authParams.end))).toBe(true);
    expect(counted).toEqual(['notInTimeWindows', 'notInTimeWindows', 'wrongDigests', 'notInTimeWindows']);
    // encodeReport alone: a Counter32 with its top bit set gets a leading 0.
    expect(reportVarbind(encodeReport({ msgId: 1, user: Buffer.alloc(0), requestId: 0 }, engine, 'wrongDigests', 0x80, null)).value).toBe(0x80);
    // The tables made once at load, each stat its own object (RFC 3414 §5) and name.
    // The OIDs as RFC 3414 §5 numbers them, written out: not derived from the table under test.
    const rfc3414: Record<UsmStat, string> = {
      unsupportedSecLevels: '1.3.6.1.6.3.15.1.1.1.0',
      notInTimeWindows: '1.3.6.1.6.3.15.1.1.2.0',
      unknownUserNames: '1.3.6.1.6.3.15.1.1.3.0',
      unknownEngineIDs: '1.3.6.1.6.3.15.1.1.4.0',
      wrongDigests: '1.3.6.1.6.3.15.1.1.5.0',
    };
    expect(Object.keys(USM_STATS).sort()).toEqual(Object.keys(rfc3414).sort());
    for (const [stat, oid] of Object.entries(rfc3414) as [UsmStat, string][]) {
      expect(reportVarbind(encodeReport({ msgId: 1, user: Buffer.alloc(0), requestId: 0 }, engine, stat, 1, null)).oid).toBe(oid);
    }
    expect(USM_STATS_NAMES).toEqual({
      unsupportedSecLevels: 'usmStatsUnsupportedSecLevels',
      notInTimeWindows: 'usmStatsNotInTimeWindows',
      unknownUserNames: 'usmStatsUnknownUserNames',
      unknownEngineIDs: 'usmStatsUnknownEngineIDs',
      wrongDigests: 'usmStatsWrongDigests',
    });
  });
});

describe('snmpEngineTime', () => {
  it('follows the emulator\'s clock: a manual clock advanced by 1000 s moves it by 1000, in GET /sim/v1/snmp and in the reports', async () => {
    const discovery = async () => readV3Header((await exchange(v3Get({ engineId: '', user: '', flags: 4 })))!)!.time;
    const before = service.status().engineTime;
    expect(await discovery()).toBe(before);
    clock.advance(999_999);
    expect(service.status().engineTime).toBe(before + 999);
    clock.advance(1);
    expect(service.status().engineTime).toBe(before + 1000);
    expect(await discovery()).toBe(before + 1000);
  });
});

describe('v3 messages dropped before the USM checks (RFC 3412 §7.2)', () => {
  const cache = (auth as unknown as { authToKeyCache: Record<string, Buffer> }).authToKeyCache;
  const bad = () => ({ ...service.counters.bad });
  const freshEngineId = () => `80001f8880${randomBytes(12).toString('hex')}`;

  it('another security model (step 4): dropped unanswered, counted as snmpUnknownSecurityModels; net-snmp derives no key for its engine id', async () => {
    const keys = Object.keys(cache).length;
    const before = bad().snmpUnknownSecurityModels ?? 0;
    for (let i = 0; i < 5; i++) {
      // As measured in review: model 2, user admin (authPriv), flags auth|priv|reportable, a new engine id each time.
      expect(await exchange(v3Get({ engineId: freshEngineId(), user: 'admin', flags: 7, model: 2, digest: 12 }))).toBeNull();
    }
    expect(bad().snmpUnknownSecurityModels).toBe(before + 5);
    expect(Object.keys(cache).length).toBe(keys);
  });

  it('privacy without authentication (step 5) is snmpInvalidMsgs; a header the checks cannot read (a 4-byte length, extra fields) snmpInASNParseErrs', async () => {
    const keys = Object.keys(cache).length;
    const before = bad();
    expect(await exchange(v3Get({ engineId: freshEngineId(), user: 'admin', flags: 6, digest: 12 }))).toBeNull();
    // 30 84 00 00 LL LL: a length form net-snmp reads.
    const plain = v3Get({ engineId: freshEngineId(), user: 'admin', flags: 7, digest: 12 });
    const content = plain.subarray(plain[1]! & 0x80 ? 2 + (plain[1]! & 0x7f) : 2);
    const long = Buffer.concat([Buffer.from([0x30, 0x84]), Buffer.alloc(4), content]);
    long.writeUInt32BE(content.length, 2);
    expect(await exchange(long)).toBeNull();
    expect(bad()).toMatchObject({ snmpInvalidMsgs: (before.snmpInvalidMsgs ?? 0) + 1, snmpInASNParseErrs: (before.snmpInASNParseErrs ?? 0) + 1 });
    expect(Object.keys(cache).length).toBe(keys);
  });

  it('a version net-snmp reads as 3 from a non-canonical INTEGER (02 02 00 03) meets the same checks', async () => {
    const before = bad().snmpUnknownSecurityModels ?? 0;
    const plain = v3Get({ engineId: freshEngineId(), user: 'admin', flags: 7, model: 2, digest: 12 });
    // Past the outer header (30 LL or 30 81 LL): 02 01 03 becomes 02 02 00 03.
    const version = plain[1]! & 0x80 ? 2 + (plain[1]! & 0x7f) : 2;
    expect([...plain.subarray(version, version + 3)]).toEqual([0x02, 0x01, 0x03]);
    const content = Buffer.concat([Buffer.from([0x02, 0x02, 0x00, 0x03]), plain.subarray(version + 3)]);
    expect(await exchange(tlv(0x30, content))).toBeNull();
    expect(bad().snmpUnknownSecurityModels).toBe(before + 1);
  });
});

describe('snmpEngineBoots', () => {
  /** A logger whose lines the test reads. */
  const capture = () => {
    const out: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void out.push(line) });
    return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
  };

  it('counts starts with a data dir (RFC 3414 §2.2.2); 1 without one', async () => {
    const dir = await tempDir();
    const { logger, lines } = capture();
    expect(await loadEngineBoots(undefined, logger)).toBe(1);
    expect([await loadEngineBoots(dir, logger), await loadEngineBoots(dir, logger), await loadEngineBoots(dir, logger)]).toEqual([1, 2, 3]);
    expect((await readFile(join(dir, ENGINE_BOOTS_FILE), 'utf8')).trim()).toBe('3');
    expect(lines()).toEqual([]);
  });

  it('latches at MAX_ENGINE_BOOTS; a file that holds no count is a warning naming the file and a fresh start', async () => {
    const dir = await tempDir();
    const file = join(dir, ENGINE_BOOTS_FILE);
    const { logger, lines } = capture();
    await writeFile(file, `${MAX_ENGINE_BOOTS}\n`);
    expect(await loadEngineBoots(dir, logger)).toBe(MAX_ENGINE_BOOTS);
    expect(lines()).toEqual([]);
    for (const corrupt of ['not a number', '', '-4', '0x10', '3.5']) {
      await writeFile(file, corrupt);
      expect(await loadEngineBoots(dir, logger), JSON.stringify(corrupt)).toBe(1);
      expect((await readFile(file, 'utf8')).trim()).toBe('1');
    }
    expect(lines()).toHaveLength(5);
    expect(lines()[0]).toMatchObject({ level: 40, file, content: 'not a number', msg: 'the saved snmpEngineBoots is not a count; counting from a fresh start' });
  });

  it('the engine id: derived from the MAC and saved on the first start, read back after; a file that holds none is a warning and replaced', async () => {
    const dir = await tempDir();
    const file = join(dir, ENGINE_ID_FILE);
    const { logger, lines } = capture();
    const derived = engineIdFromMac('00:90:E8:00:00:01');
    expect(derived).toBe('800021f3030090e8000001');
    expect(await loadEngineId('00:90:E8:00:00:01', dir, logger)).toBe(derived);
    // A changed MAC keeps the saved id: managers cached it.
    expect(await loadEngineId('00:90:E8:00:00:02', dir, logger)).toBe(derived);
    expect(lines()).toEqual([]);
    await writeFile(file, 'garbage\n');
    expect(await loadEngineId('00:90:E8:00:00:02', dir, logger)).toBe(engineIdFromMac('00:90:E8:00:00:02'));
    expect((await readFile(file, 'utf8')).trim()).toBe(engineIdFromMac('00:90:E8:00:00:02'));
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({ level: 40, file, content: 'garbage', engineId: engineIdFromMac('00:90:E8:00:00:02') });
  });

  it('the service takes the count as given and refuses one out of range', () => {
    const options = { accept: () => true, engineId: ENGINE_ID };
    for (const engineBoots of [0, MAX_ENGINE_BOOTS + 1, 1.5]) {
      expect(() => new SnmpService(device, clock, config, pino({ level: 'silent' }), { ...options, engineBoots }), String(engineBoots)).toThrow(RangeError);
    }
  });
});

describe('USM failures in the journal: limits.snmp.failureLogsPerMinute', () => {
  it('a flood of wrong digests is counted in usmStats, journaled at most the budget a minute, and pushes no real entry out; the next minute says how many were not', async () => {
    // A journal of 50 entries, so that 200 failures without the budget would push out the real ones.
    const profile = parseProfile('default.yaml', await readFile(new URL('../../profiles/default.yaml', import.meta.url), 'utf8'));
    profile.snmp.users.push(...USERS);
    const clock = new ManualClock();
    const device = new Device(profile, clock, undefined, 50);
    const service = new SnmpService(device, clock, profile.snmp, pino({ level: 'silent' }), { accept: () => true, engineId: ENGINE_ID, engineBoots: 1, limits: { failureLogsPerMinute: 5 } });
    try {
      const address = await service.listen('127.0.0.1', 0);
      const target = { host: '127.0.0.1', port: Number(/:(\d+)$/.exec(address)![1]) };
      // Real entries first: a v3 GET and a v3 SET of DO 3 (its write and its change).
      const admin = v3Session(target, ADMIN);
      expect(text((await get(admin, [SYS_NAME]))[0])).toBe('ioThinx_4510');
      await set(admin, [{ oid: '1.3.6.1.4.1.8691.10.4510.12.1.1.6.3', type: snmp.ObjectType.Integer, value: 1 }]);
      const real = device.journal.query();
      expect(real.map((e) => e.kind)).toEqual(expect.arrayContaining(['request', 'write', 'change']));

      // 200 GETs from reader signed with a wrong key (RFC 3414 §3.2 step 6), each answered with its report.
      const wrong = () => {
        const message = v3Get({ engineId: ENGINE_ID, user: 'reader', flags: 5, boots: 1, time: 0, digest: 12 });
        const { authParams } = readV3Header(message)!;
        auth.writeParameters(message, snmp.AuthProtocols.sha, 'wrong-auth-key', Buffer.from(ENGINE_ID, 'hex'), message.subarray(authParams.start, authParams.end));
        return message;
      };
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '127.0.0.1');
      await once(socket, 'listening');
      const reports: Buffer[] = [];
      socket.on('message', (msg: Buffer) => reports.push(msg));
      try {
        // In rounds of 25, each answered before the next, so no datagram is lost to a full socket buffer.
        for (let round = 1; round <= 8; round++) {
          for (let i = 0; i < 25; i++) socket.send(wrong(), target.port, target.host);
          await until(`${round * 25} reports`, () => (reports.length >= round * 25 ? true : undefined));
        }
        expect(reports).toHaveLength(200);
        expect(reportVarbind(reports.at(-1)!)).toEqual({ oid: usmStatsOid('wrongDigests'), value: 200 });
        expect(service.counters.usm.wrongDigests).toBe(200);
        const refused = () => device.journal.query({ source: 'snmp' }).filter((e) => e.result === 'usmStatsWrongDigests');
        expect(refused()).toHaveLength(5);
        expect(device.refusals.get('snmp_usm_log')).toBe(195);
        // Every real entry is still held.
        expect(device.journal.query().slice(0, real.length)).toEqual(real);

        // The device clock's next minute: one more failure is journaled, saying how many were not.
        clock.advance(60_000);
        socket.send(wrong(), target.port, target.host);
        await until('the 201st report', () => (reports.length === 201 ? true : undefined));
        expect(service.counters.usm.wrongDigests).toBe(201);
        expect(refused()).toHaveLength(6);
        expect(refused().at(-1)!.action).toBe('v3 user "reader" (195 more USM failures before it not journaled: limits.snmp.failureLogsPerMinute)');
        expect(device.refusals.get('snmp_usm_log')).toBe(195);
      } finally {
        socket.close();
      }
    } finally {
      await service.close();
      device.dispose();
    }
  });
});
