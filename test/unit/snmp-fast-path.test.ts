/**
 * The v2c fast path (src/snmp/fast-path.ts) against net-snmp's own answers: two agents on one
 * Device (default profile, manual clock, so values hold still), one with the fast path and one
 * without, get the same datagrams; their answers must be the same bytes, and the fast path must
 * have answered (or declined, leaving it to net-snmp) the cases it is meant to. Covers the whole
 * MIB by GET and GETNEXT, GETBULK shapes and cuts, exceptions (noSuchObject, noSuchInstance,
 * endOfMibView), tooBig, a failed module, v1, and a wrong community (no answer from either).
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseProfile } from '../../src/config/load.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { decodeOid } from '../../src/snmp/ber.js';
import { int, nullVarbind, tlv } from '../helpers/ber.js';
import { V2cFastPath } from '../../src/snmp/fast-path.js';
import { SnmpService, type SnmpOptions } from '../../src/snmp/service.js';

const E = '1.3.6.1.4.1.8691.10.4510';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';

// --- requests (hand-written BER, as managers send them: test/helpers/ber.ts) -----------------
interface Req {
  version?: number;
  community?: string;
  pdu: 0xa0 | 0xa1 | 0xa3 | 0xa5;
  oids: string[];
  id?: number;
  idWidth?: number;
  /** GETBULK: non-repeaters and max-repetitions (GET/GETNEXT: error-status/index, 0). */
  a?: number;
  b?: number;
}
let nextId = 1000;
function request(r: Req): Buffer {
  const varbinds = tlv(0x30, ...r.oids.map(nullVarbind));
  const pdu = tlv(r.pdu, int(r.id ?? nextId++, r.idWidth), int(r.a ?? 0), int(r.b ?? 0), varbinds);
  return tlv(0x30, int(r.version ?? 1), tlv(0x04, Buffer.from(r.community ?? 'public')), pdu);
}

// --- two agents, one device ------------------------------------------------------------------
interface Agent {
  service: SnmpService;
  port: number;
}
interface Rig {
  device: Device;
  fast: Agent;
  slow: Agent;
  client: dgram.Socket;
  inbox: Map<number, Buffer[]>;
}

async function makeRig(options: Partial<SnmpOptions> = {}): Promise<Rig> {
  const profile = parseProfile('default.yaml', await readFile(new URL('../../profiles/default.yaml', import.meta.url), 'utf8'));
  const clock = new ManualClock();
  const device = new Device(profile, clock);
  const logger = pino({ level: 'silent' });
  const agent = async (fastPath: boolean): Promise<Agent> => {
    const service = new SnmpService(device, clock, profile.snmp, logger, { accept: () => true, engineId: '800021f3030011223344', engineBoots: 1, fastPath, ...options });
    const address = await service.listen('127.0.0.1', 0);
    return { service, port: Number(/:(\d+)$/.exec(address)![1]) };
  };
  const client = dgram.createSocket('udp4');
  client.bind(0, '127.0.0.1');
  await once(client, 'listening');
  const inbox = new Map<number, Buffer[]>();
  client.on('message', (msg, rinfo) => {
    const list = inbox.get(rinfo.port) ?? [];
    list.push(msg);
    inbox.set(rinfo.port, list);
  });
  return { device, fast: await agent(true), slow: await agent(false), client, inbox };
}

async function closeRig(rig: Rig): Promise<void> {
  rig.client.close();
  await rig.fast.service.close();
  await rig.slow.service.close();
  rig.device.dispose();
}

/** What the fast path did with each datagram: 'answered' or 'declined'. */
const verdicts: string[] = [];
const realAnswer = V2cFastPath.prototype.answer;
vi.spyOn(V2cFastPath.prototype, 'answer').mockImplementation(function (this: V2cFastPath, buf: Buffer) {
  const out = realAnswer.call(this, buf);
  verdicts.push(out ? 'answered' : 'declined');
  return out;
});

/**
 * Sends `packet` to an agent, then a GET of sysName.0 as a marker: datagrams are handled in
 * order, so the answers seen up to the marker's are the packet's (none when it is dropped).
 */
async function exchange(rig: Rig, agent: Agent, packet: Buffer): Promise<Buffer[]> {
  const markerId = 0x7000_0000 + nextId++;
  const marker = request({ pdu: 0xa0, oids: [SYS_NAME], id: markerId });
  rig.inbox.set(agent.port, []);
  rig.client.send(packet, agent.port, '127.0.0.1');
  rig.client.send(marker, agent.port, '127.0.0.1');
  const markerAnswer = (b: Buffer) => b.includes(int(markerId));
  while (!(rig.inbox.get(agent.port) ?? []).some(markerAnswer)) await new Promise((r) => setImmediate(r));
  return rig.inbox.get(agent.port)!.filter((b) => !markerAnswer(b));
}

/** Both agents' answers to `packet` (equal bytes expected) and what the fast path did. */
async function both(rig: Rig, packet: Buffer): Promise<{ fast: Buffer[]; slow: Buffer[]; verdict: string }> {
  verdicts.length = 0;
  const fast = await exchange(rig, rig.fast, packet);
  // The marker's own verdict comes last; the packet's first, if the fast path saw it at all.
  const verdict = verdicts.length === 2 ? verdicts[0]! : 'none';
  const slow = await exchange(rig, rig.slow, packet);
  return { fast, slow, verdict };
}

async function expectSame(rig: Rig, packet: Buffer, verdict: 'answered' | 'declined' | 'none'): Promise<Buffer[]> {
  const r = await both(rig, packet);
  expect(r.fast.map((b) => b.toString('hex'))).toEqual(r.slow.map((b) => b.toString('hex')));
  expect(r.verdict).toBe(verdict);
  return r.fast;
}

/** The varbind OIDs of a response (enough BER for the tests' own checks). */
function responseOids(buf: Buffer): string[] {
  const oids: string[] = [];
  for (let i = 0; i < buf.length - 2; i++) {
    // 30 L 06 L ... inside the varbind list: each varbind starts with SEQUENCE then OID.
    if (buf[i] === 0x30 && buf[i + 2] === 0x06 && buf[i + 3]! < 0x80) {
      const arcs = decodeOid(buf, i + 4, i + 4 + buf[i + 3]!);
      if (arcs) oids.push(arcs.join('.'));
      i += 3 + buf[i + 3]!;
    }
  }
  return oids;
}

describe('v2c fast path answers as net-snmp does', () => {
  let rig: Rig;
  let leaves: string[];
  beforeAll(async () => {
    rig = await makeRig();
    // The MIB's instances, from a GETNEXT walk through net-snmp alone.
    leaves = [];
    let cursor = '1.3.6.1';
    for (;;) {
      const [answer] = await exchange(rig, rig.slow, request({ pdu: 0xa1, oids: [cursor] }));
      if (!answer || answer.includes(Buffer.from([0x82, 0x00]))) break;
      cursor = responseOids(answer)[0]!;
      leaves.push(cursor);
    }
  });
  afterAll(async () => closeRig(rig));
  afterEach(() => rig.device.modules.forEach((m) => (m.fault = null)));

  it('serves the whole MIB by GET, 8 varbinds at a time', async () => {
    expect(leaves.length).toBeGreaterThan(100);
    for (let i = 0; i < leaves.length; i += 8) await expectSame(rig, request({ pdu: 0xa0, oids: leaves.slice(i, i + 8) }), 'answered');
  });

  it('serves the whole MIB by GETNEXT, to endOfMibView after the last object', async () => {
    for (const oid of leaves) await expectSame(rig, request({ pdu: 0xa1, oids: [oid] }), 'answered');
    const [end] = await expectSame(rig, request({ pdu: 0xa1, oids: [leaves.at(-1)!] }), 'answered');
    expect(end!.subarray(-2)).toEqual(Buffer.from([0x82, 0x00]));
  });

  it.each([
    ['1.3.6.1'],
    ['1.3.6.1.2.1'],
    ['1.3.6.1.2.1.1.5'],
    [`${SYS_NAME}.7`],
    ['1.3.6.1.2.1.1.9'],
    ['1.3.6.1.3.200.5'],
    ['1.3.6.1.4.1'],
    ['1.3.6.1.4.1.8691'],
    [`${E}.11.1.1`],
    [`${E}.11.1.1.8`],
    [`${E}.11.1.1.8.300`],
    [`${E}.11.1.1.99`],
    [`${E}.92.0.1`],
    [`${E}.93`],
    ['1.3.6.2'],
    ['1.3.7.20000.3'],
  ])('GETNEXT from %s, between or past the instances', async (oid) => {
    await expectSame(rig, request({ pdu: 0xa1, oids: [oid] }), 'answered');
  });

  it('GETNEXT with several varbinds, one at the end', async () => {
    await expectSame(rig, request({ pdu: 0xa1, oids: ['1.3.6.1', `${E}.11.1.1.6`, leaves.at(-1)!, '1.3.6.1.9'] }), 'answered');
  });

  it.each([
    [0, 25, ['1.3.6.1.4.1.8691']],
    [0, 25, ['1.3.6.1']],
    [1, 10, [SYS_NAME, `${E}.11.1.1.6`, `${E}.12.1.1.6`]],
    [2, 4, ['1.3.6.1', `${E}.1`, `${E}.12.1.1.6`, `${E}.91`]],
    [0, 50, [`${E}.41`]],
    [0, 10, [`${E}.92`, '1.3.6.1.2.1.1.6']],
    [-3, 5, [`${E}.11.1.1.6`]],
    [7, 5, [`${E}.11.1.1.6`, SYS_NAME]],
    [0, 1, ['1.3.6.1.5']],
  ])('GETBULK non-repeaters %d, max-repetitions %d from %j', async (nonRepeaters, maxRepetitions, oids) => {
    await expectSame(rig, request({ pdu: 0xa5, oids, a: nonRepeaters, b: maxRepetitions }), 'answered');
  });

  it('a GETBULK walk of the enterprise subtree gets the same rows', async () => {
    let cursor = '1.3.6.1.4.1.8691';
    const rows = new Set<string>();
    for (;;) {
      const [answer] = await expectSame(rig, request({ pdu: 0xa5, oids: [cursor], a: 0, b: 25 }), 'answered');
      const oids = responseOids(answer!);
      for (const o of oids) if (o.startsWith('1.3.6.1.4.1.8691.')) rows.add(o);
      if (!oids.at(-1)!.startsWith('1.3.6.1.4.1.8691.') || answer!.subarray(-2).equals(Buffer.from([0x82, 0x00]))) break;
      cursor = oids.at(-1)!;
    }
    expect(rows.size).toBe(leaves.filter((o) => o.startsWith('1.3.6.1.4.1.8691.')).length);
  });

  it('a GETBULK answer too big for the limit is cut to the same varbinds, counted once per path', async () => {
    const before = rig.device.refusals.get('snmp_response_size');
    const [answer] = await expectSame(rig, request({ pdu: 0xa5, oids: ['1.3.6.1'], a: 0, b: 1000 }), 'answered');
    expect(answer!.length).toBeLessThanOrEqual(1472);
    expect(answer!.length).toBeGreaterThan(1300);
    expect(rig.device.refusals.get('snmp_response_size')).toBe(before + 2);
  });

  it.each([
    ['noSuchObject', ['1.3.6.1.4.1.9999.1.0']],
    ['noSuchInstance', ['1.3.6.1.2.1.1.5.1']],
    ['an intermediate node', ['1.3.6.1.2.1.1']],
    ['one of several missing', [SYS_NAME, '1.3.6.1.2.1.1.5.1', `${E}.1.1.0`]],
    ['a short OID', ['1.3.6']],
  ])('GET of %s: net-snmp answers', async (_name, oids) => {
    await expectSame(rig, request({ pdu: 0xa0, oids }), 'declined');
  });

  it('a GET answer too big is tooBig, from net-snmp', async () => {
    const [answer] = await expectSame(rig, request({ pdu: 0xa0, oids: Array.from({ length: 40 }, () => '1.3.6.1.2.1.1.1.0') }), 'declined');
    expect(answer!.includes(Buffer.from([0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x30, 0x00]))).toBe(true); // tooBig(1), index 0, no varbinds
  });

  it('request-ids in any width and sign are echoed as net-snmp does', async () => {
    for (const [id, width] of [
      [5, 4],
      [0, 1],
      [-1, 4],
      [-2_147_483_648, 4],
      [2_147_483_647, 4],
      [128, 0],
      [0x8000, 0],
    ] as const) {
      await expectSame(rig, request({ pdu: 0xa0, oids: [SYS_NAME], id, idWidth: width }), 'answered');
    }
  });

  it('the write community reads too; a wrong community gets no answer from either', async () => {
    await expectSame(rig, request({ pdu: 0xa0, oids: [SYS_NAME], community: 'private' }), 'answered');
    const badBefore = { ...rig.slow.service.counters.bad };
    const answers = await expectSame(rig, request({ pdu: 0xa0, oids: [SYS_NAME], community: 'publik' }), 'declined');
    expect(answers).toEqual([]);
    expect(rig.fast.service.counters.bad).toEqual(rig.slow.service.counters.bad);
    expect(rig.slow.service.counters.bad).not.toEqual(badBefore);
  });

  it('v1 (not even seen), SET and an empty varbind list go to net-snmp', async () => {
    await expectSame(rig, request({ version: 0, pdu: 0xa0, oids: [SYS_NAME] }), 'none');
    await expectSame(rig, request({ version: 0, pdu: 0xa1, oids: [leaves.at(-1)!] }), 'none');
    await expectSame(rig, request({ pdu: 0xa3, oids: [SYS_NAME], community: 'private' }), 'declined');
    await expectSame(rig, request({ pdu: 0xa0, oids: [] }), 'declined');
    await expectSame(rig, request({ pdu: 0xa5, oids: [SYS_NAME], a: 0, b: 0 }), 'declined');
  });

  it("a failed module's rows are left to net-snmp (resourceUnavailable)", async () => {
    const row = leaves.find((o) => o.startsWith(`${E}.11.1.1.6.`))!;
    rig.device.modules[0]!.fault = 'failed';
    await expectSame(rig, request({ pdu: 0xa0, oids: [row] }), 'declined');
    await expectSame(rig, request({ pdu: 0xa1, oids: [`${E}.11.1.1.6`] }), 'declined');
    await expectSame(rig, request({ pdu: 0xa5, oids: [`${E}.11`], a: 0, b: 25 }), 'declined');
    // Other rows still take the fast path.
    await expectSame(rig, request({ pdu: 0xa0, oids: [SYS_NAME] }), 'answered');
  });

  it('journals and counts what it answers as net-snmp does', async () => {
    const since = rig.device.journal.lastSeq;
    const fastBefore = rig.fast.service.counters.responses;
    const slowBefore = rig.slow.service.counters.responses;
    await expectSame(rig, request({ pdu: 0xa5, oids: [`${E}.12`], a: 0, b: 3 }), 'answered');
    const entries = rig.device.journal.query({ since, source: 'snmp' }).map((e) => ({ action: e.action, result: e.result }));
    // packet, marker (fast agent); packet, marker (slow agent)
    expect(entries).toHaveLength(4);
    expect(entries[0]).toEqual(entries[2]);
    expect(entries[0]!.action).toMatch(/^3 varbinds 1\.3\.6\.1\.4\.1\.8691\.10\.4510\.12\.1\.1\.1\.0$/);
    expect(rig.fast.service.counters.responses - fastBefore).toBe(rig.slow.service.counters.responses - slowBefore);
  });
});

describe('v2c fast path with a small response limit', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await makeRig({ limits: { maxResponseBytes: 484 } });
  });
  afterAll(async () => closeRig(rig));

  it('cuts a GETBULK answer as net-snmp does, and counts the cut as snmp_response_size', async () => {
    const before = rig.device.refusals.get('snmp_response_size');
    const [answer] = await expectSame(rig, request({ pdu: 0xa5, oids: ['1.3.6.1', `${E}.1`], a: 1, b: 60 }), 'answered');
    expect(answer!.length).toBeLessThanOrEqual(484);
    expect(rig.device.refusals.get('snmp_response_size')).toBe(before + 2);
  });

  it('leaves a GETNEXT answer too big to net-snmp (tooBig)', async () => {
    await expectSame(rig, request({ pdu: 0xa1, oids: Array.from({ length: 12 }, () => '1.3.6.1.2.1.1') }), 'declined');
  });
});
