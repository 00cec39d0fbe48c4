/**
 * SNMPv2c GET / GETNEXT / GETBULK answered straight from the datagram, without net-snmp's
 * message objects: the request's BER read in place, the object found in a sorted array of the
 * MIB's instances, the response written into one buffer.
 *
 * Why our own path (#19): on net-snmp's agent a v2c GET of sysName.0 served 0.68-0.72x Debian
 * snmpd's rate with one request in flight, and a snmpbulkwalk -Cr25 of the enterprise subtree took
 * ~1.4 ms per 25-varbind GETBULK (about 100 us a row, snmpd ~15 us a row on its MIB-II): net-snmp
 * builds a Message, a MibRequest and closures per varbind, sorts each MIB node's children on every
 * GETNEXT step, and encodes through a growing writer. This path answers the simple, common case
 * byte for byte as net-snmp (with service.ts's corrections) would, and declines everything else by
 * returning null, so the datagram goes to net-snmp unchanged: SNMPv1 and v3 (USM, reports), SET,
 * an unknown community, any exception (noSuchObject, noSuchInstance), a module that does not
 * answer, a GET or GETNEXT answer too big for the limit, any BER it does not read in the one
 * canonical form, an empty varbind list. test/unit/snmp-fast-path.test.ts compares both paths'
 * bytes over the whole MIB and such edge cases.
 * Measured with this path (node bench/snmp.mjs, same runs, shared 2-core VM): the agent's CPU per
 * GET 17-26 us against snmpd's 27-30 (what remains is mostly the sendmsg syscall), the answer
 * itself under 1 us; the enterprise walk 0.5-0.9x snmpd's wall time per row for its MIB-II walk.
 */
import { decodeOid, GAUGE32, INTEGER, intContent, intLength, NULL, OCTET_STRING, OID, oidContent, SEQUENCE, TIME_TICKS, tlvSize, writeHeader } from './ber.js';

/** One MIB instance, in the order of net-snmp's tree (numeric OID order). */
export interface FastLeaf {
  arcs: readonly number[];
  oid: string;
  /** ObjectType of the instance as net-snmp has it (Integer32, OctetString, OID, Gauge32, TimeTicks). */
  type: number;
  /** The value now, or null when net-snmp must answer (the module does not answer, no such row, ...). */
  read(): unknown;
}

export interface FastAnswer {
  response: Buffer;
  /** The response's varbind count and first OID, for the journal. */
  varbinds: number;
  firstOid: string | null;
  /** A GETBULK answer cut to fit the size limit (counted as snmp_response_size). */
  cut: boolean;
}

const GET = 0xa0;
const GET_NEXT = 0xa1;
const GET_BULK = 0xa5;
const END_OF_MIB_VIEW = 0x82;
/** A varbind whose value is the leaf's, or endOfMibView at a cursor. */
interface OutVarbind {
  oidContent: Buffer;
  oid: string;
  tag: number;
  /** Encoded value content (null: none, endOfMibView). */
  value: Buffer | null;
  valueLength: number;
  /** Bytes of the whole varbind TLV. */
  size: number;
}

/** Why a datagram is not ours: net-snmp answers it. */
const DECLINE = null;

export class V2cFastPath {
  /** Leaf indexes by a hash of their OID content bytes (compared in full on a hit). */
  private readonly byContent = new Map<number, number[]>();
  private readonly contents: Buffer[];
  /** Per leaf: the last value read and its encoded varbind, reused while the value stays the same. */
  private readonly lastValue: unknown[];
  private readonly lastVarbind: (OutVarbind | null)[];
  /** Repetition bound as service.ts's getBulkRequest computes it (MIN_VARBIND_BYTES = 7). */
  private readonly bulkLimit: number;

  constructor(
    private readonly leaves: readonly FastLeaf[],
    private readonly communities: readonly Buffer[],
    private readonly maxResponseBytes: number,
  ) {
    this.contents = leaves.map((leaf) => oidContent(leaf.arcs));
    this.contents.forEach((content, i) => {
      const hash = hashBytes(content, 0, content.length);
      this.byContent.set(hash, [...(this.byContent.get(hash) ?? []), i]);
    });
    this.lastValue = leaves.map(() => undefined);
    this.lastVarbind = leaves.map(() => null);
    this.bulkLimit = Math.min(2_000, Math.ceil(maxResponseBytes / 7));
  }

  /** The response to a v2c GET / GETNEXT / GETBULK, or null when net-snmp must handle the datagram. */
  answer(buf: Buffer): FastAnswer | null {
    const r = new BerCursor(buf);
    try {
      return this.answerAt(r);
    } catch {
      // BER this path does not read (MALFORMED), or a read that throws: net-snmp meets the same
      // datagram and answers or reports it as before.
      return DECLINE;
    }
  }

  private answerAt(r: BerCursor): FastAnswer | null {
    const buf = r.buf;
    if (r.header(SEQUENCE) !== buf.length - r.at) return DECLINE;
    if (r.integer() !== 1) return DECLINE; // v2c only
    const communityLength = r.header(OCTET_STRING);
    const communityStart = r.at;
    r.skip(communityLength);
    if (!this.communities.some((c) => c.length === communityLength && sameBytes(c, 0, buf, communityStart, communityLength))) return DECLINE;
    const pduType = buf[r.at];
    if (pduType !== GET && pduType !== GET_NEXT && pduType !== GET_BULK) return DECLINE;
    if (r.header(pduType) !== buf.length - r.at) return DECLINE;
    const requestId = r.integer();
    const nonRepeatersField = r.integer();
    const maxRepetitionsField = r.integer();
    if (r.header(SEQUENCE) !== buf.length - r.at) return DECLINE;
    // The request's OIDs as [content start, content end) pairs; values must be NULL.
    const oids: number[] = [];
    while (r.at < buf.length) {
      const end = r.header(SEQUENCE) + r.at;
      const length = r.header(OID);
      oids.push(r.at, r.at + length);
      r.skip(length);
      if (buf[r.at] !== NULL || buf[r.at + 1] !== 0x00 || r.at + 2 !== end) return DECLINE;
      r.at = end;
    }
    if (oids.length === 0) return DECLINE; // net-snmp never answers an empty list
    const out: OutVarbind[] = [];
    if (pduType === GET) {
      for (let i = 0; i < oids.length; i += 2) {
        const index = this.exact(buf, oids[i]!, oids[i + 1]!);
        if (index === -1) return DECLINE; // noSuchObject / noSuchInstance, or not canonical
        if (!this.pushLeaf(out, index)) return DECLINE;
      }
    } else {
      const count = oids.length / 2;
      const nonRepeaters = pduType === GET_BULK ? Math.max(0, Math.min(nonRepeatersField, count)) : count;
      for (let i = 0; i < nonRepeaters; i++) if (this.pushNext(out, buf, oids[2 * i]!, oids[2 * i + 1]!) === DECLINED) return DECLINE;
      if (pduType === GET_BULK && nonRepeaters < count) {
        // As service.ts's getBulkRequest: rows of repeaters until max-repetitions, the bound on
        // the work, or a row in which every repeater is at the end of the view.
        const cursors: number[] = []; // per repeater: leaf index of the cursor, or -1 - varbind of the request OID at the end
        for (let i = nonRepeaters; i < count; i++) cursors.push(this.locate(buf, oids[2 * i]!, oids[2 * i + 1]!));
        if (cursors.includes(LOCATE_FAILED)) return DECLINE;
        for (let rep = 0; rep < maxRepetitionsField && out.length < this.bulkLimit; rep++) {
          let allAtEnd = true;
          for (let j = 0; j < cursors.length; j++) {
            const next = this.step(out, cursors[j]!, buf, oids[2 * (nonRepeaters + j)]!, oids[2 * (nonRepeaters + j) + 1]!);
            if (next === DECLINED) return DECLINE;
            if (next !== AT_END) {
              allAtEnd = false;
              cursors[j] = next;
            }
          }
          if (allAtEnd) break;
        }
      }
      if (out.length === 0) return DECLINE; // net-snmp never answers an empty list
    }
    return this.encode(buf, requestId, communityStart, communityLength, out, pduType === GET_BULK);
  }

  /** The leaf whose OID content is exactly buf[start, end), or -1. */
  private exact(buf: Buffer, start: number, end: number): number {
    const candidates = this.byContent.get(hashBytes(buf, start, end));
    if (candidates === undefined) return -1;
    for (const i of candidates) {
      const content = this.contents[i]!;
      if (content.length === end - start && sameBytes(content, 0, buf, start, end - start)) return i;
    }
    return -1;
  }

  /** Adds leaf `index` with its value now; false when net-snmp must answer. */
  private pushLeaf(out: OutVarbind[], index: number): boolean {
    const value = this.leaves[index]!.read();
    // The same value as last time (a string the device keeps, a number): the same bytes.
    let varbind = this.lastValue[index] === value ? this.lastVarbind[index]! : null;
    if (varbind === null) {
      const leaf = this.leaves[index]!;
      varbind = encodeValue(this.contents[index]!, leaf.oid, leaf.type, value);
      if (!varbind) return false;
      this.lastValue[index] = value;
      this.lastVarbind[index] = varbind;
    }
    out.push(varbind);
    return true;
  }

  /**
   * Where a GETNEXT from the OID at [start, end) goes: the index of the leaf it names exactly
   * (the next is the one after), or -(insertion point) - 2 for an OID between leaves.
   */
  private locate(buf: Buffer, start: number, end: number): number {
    const exact = this.exact(buf, start, end);
    if (exact !== -1) return exact;
    // decodeOid takes the canonical form only, so these arcs name no leaf (the map would have).
    const arcs = decodeOid(buf, start, end);
    if (!arcs) return LOCATE_FAILED;
    return -firstAfter(this.leaves, arcs) - 2;
  }

  /** One GETNEXT for a non-repeater. */
  private pushNext(out: OutVarbind[], buf: Buffer, start: number, end: number): number {
    const at = this.locate(buf, start, end);
    if (at === LOCATE_FAILED) return DECLINED;
    return this.step(out, at, buf, start, end);
  }

  /**
   * Adds the GETNEXT from cursor `at` (a leaf index, or an insertion point from locate) and
   * returns the leaf index it reached, AT_END (endOfMibView at the request OID, the cursor kept),
   * or DECLINED.
   */
  private step(out: OutVarbind[], at: number, buf: Buffer, start: number, end: number): number {
    const next = at >= 0 ? at + 1 : -at - 2;
    if (next < this.leaves.length) return this.pushLeaf(out, next) ? next : DECLINED;
    // The end of the view: net-snmp answers endOfMibView at the cursor's OID, and still runs the
    // handler of the leaf the cursor names (a module that does not answer makes that an error).
    if (at >= 0) {
      if (this.leaves[at]!.read() === null) return DECLINED;
      out.push(endOfMibView(this.contents[at]!, this.leaves[at]!.oid));
      return AT_END;
    }
    const arcs = decodeOid(buf, start, end);
    if (!arcs || arcs.length < 4) return DECLINED; // net-snmp rewrites OIDs under 4 arcs
    out.push(endOfMibView(Buffer.from(buf.subarray(start, end)), arcs.join('.')));
    return AT_END;
  }

  private encode(request: Buffer, requestId: number, communityStart: number, communityLength: number, all: OutVarbind[], bulk: boolean): FastAnswer | null {
    const idLength = intLength(requestId);
    // message: 30 L { 02 01 01, 04 L community, A2 L { 02 L id, 02 01 00, 02 01 00, 30 L { varbinds } } }
    const pduSize = (list: number): number => tlvSize(idLength) + 6 + tlvSize(list);
    const sizeWith = (list: number): number => tlvSize(3 + tlvSize(communityLength) + tlvSize(pduSize(list)));
    let listLength = 0;
    for (const vb of all) listLength += vb.size;
    let count = all.length;
    let cut = false;
    if (sizeWith(listLength) > this.maxResponseBytes) {
      // RFC 3416 §4.2.3 as response-size.ts's boundResponseSize: a GETBULK answer keeps the longest
      // prefix that fits; a GET or GETNEXT one is tooBig, which net-snmp writes.
      if (!bulk) return DECLINE;
      cut = true;
      while (count > 0 && sizeWith(listLength) > this.maxResponseBytes) listLength -= all[--count]!.size;
    }
    const pduLength = pduSize(listLength);
    const messageLength = 3 + tlvSize(communityLength) + tlvSize(pduLength);
    const out = Buffer.allocUnsafe(tlvSize(messageLength));
    let at = writeHeader(out, 0, SEQUENCE, messageLength);
    out[at++] = INTEGER;
    out[at++] = 0x01;
    out[at++] = 0x01;
    at = writeHeader(out, at, OCTET_STRING, communityLength);
    at = copyBytes(request, communityStart, communityLength, out, at);
    at = writeHeader(out, at, 0xa2, pduLength);
    at = writeHeader(out, at, INTEGER, idLength);
    for (let i = idLength - 1, v = requestId; i >= 0; i--, v = Math.floor(v / 256)) out[at + i] = v & 0xff;
    at += idLength;
    at = copyBytes(ZERO_STATUS_AND_INDEX, 0, ZERO_STATUS_AND_INDEX.length, out, at);
    at = writeHeader(out, at, SEQUENCE, listLength);
    for (let i = 0; i < count; i++) {
      const vb = all[i]!;
      at = writeHeader(out, at, SEQUENCE, tlvSize(vb.oidContent.length) + tlvSize(vb.valueLength));
      at = writeHeader(out, at, OID, vb.oidContent.length);
      at = copyBytes(vb.oidContent, 0, vb.oidContent.length, out, at);
      at = writeHeader(out, at, vb.tag, vb.valueLength);
      if (vb.value) at = copyBytes(vb.value, 0, vb.valueLength, out, at);
    }
    return { response: out, varbinds: count, firstOid: count > 0 ? all[0]!.oid : null, cut };
  }
}

const LOCATE_FAILED = -1;
const DECLINED = -2;
const AT_END = -3;
const MALFORMED = new Error('not a request this path reads');
const ZERO_STATUS_AND_INDEX = Buffer.from([INTEGER, 0x01, 0x00, INTEGER, 0x01, 0x00]);

/** A reader over canonical BER: definite lengths, in the shortest form. */
class BerCursor {
  at = 0;
  constructor(readonly buf: Buffer) {}

  /** Reads the tag (must be `tag`) and the length; returns the length, the cursor on the content. */
  header(tag: number): number {
    const buf = this.buf;
    if (buf[this.at] !== tag) throw MALFORMED;
    const first = buf[this.at + 1];
    if (first === undefined) throw MALFORMED;
    let length: number;
    if (first < 0x80) {
      length = first;
      this.at += 2;
    } else if (first === 0x81 && buf[this.at + 2]! >= 0x80) {
      length = buf[this.at + 2]!;
      this.at += 3;
    } else if (first === 0x82 && buf[this.at + 2]! > 0) {
      length = (buf[this.at + 2]! << 8) | buf[this.at + 3]!;
      this.at += 4;
    } else throw MALFORMED;
    if (this.at + length > buf.length || Number.isNaN(length)) throw MALFORMED;
    return length;
  }

  skip(length: number): void {
    this.at += length;
  }

  /** An INTEGER of 1 to 4 bytes. */
  integer(): number {
    const length = this.header(INTEGER);
    const buf = this.buf;
    const start = this.at;
    // Not necessarily the shortest form (a manager may send a 4-byte request-id): net-snmp reads
    // any and writes the shortest, as encode() does.
    if (length < 1 || length > 4) throw MALFORMED;
    let value = buf[start]! >= 0x80 ? -1 : 0;
    for (let i = 0; i < length; i++) value = value * 256 + buf[start + i]!;
    this.at += length;
    return value;
  }
}

/**
 * The leaves of net-snmp's MIB tree in the order its GETNEXT visits them (children by number):
 * the order of the fast path's leaves (service.ts's registerMib reads them).
 */
export function mibLeaves<Node extends { children: Record<string, Node> }>(root: Node): Node[] {
  const out: Node[] = [];
  const visit = (node: Node): void => {
    const keys = Object.keys(node.children).sort((a, b) => Number(a) - Number(b));
    if (keys.length === 0) {
      if (node !== root) out.push(node);
      return;
    }
    for (const key of keys) visit(node.children[key]!);
  };
  visit(root);
  return out;
}

export function compareArcs(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The index of the first leaf strictly after `arcs` (leaves.length if none). */
function firstAfter(leaves: readonly FastLeaf[], arcs: readonly number[]): number {
  let lo = 0;
  let hi = leaves.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareArcs(leaves[mid]!.arcs, arcs) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const OID_STRING = /^([0-9]+\.){0,}[0-9]+$/;

/** The varbind for a value of `type`, or null for one net-snmp must encode (or refuse) itself. */
function encodeValue(oidContentBytes: Buffer, oid: string, type: number, value: unknown): OutVarbind | null {
  let content: Buffer;
  let length: number;
  switch (type) {
    case INTEGER:
      if (!Number.isInteger(value) || (value as number) < -0x80000000 || (value as number) > 0x7fffffff) return null;
      content = intContent(value as number);
      length = content.length;
      break;
    case GAUGE32:
    case TIME_TICKS:
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 0xffffffff) return null;
      content = intContent(value as number);
      length = content.length;
      break;
    case OCTET_STRING:
      if (typeof value !== 'string') return null;
      content = Buffer.from(value, 'utf8');
      length = content.length;
      break;
    case OID: {
      if (typeof value !== 'string' || !OID_STRING.test(value)) return null;
      const arcs = value.split('.').map(Number);
      if (arcs.length < 2 || arcs[0]! * 40 + arcs[1]! > 0x7f || arcs.some((a) => a > 0xfffffff)) return null;
      content = oidContent(arcs);
      length = content.length;
      break;
    }
    default:
      return null;
  }
  return { oidContent: oidContentBytes, oid, tag: type, value: content, valueLength: length, size: tlvSize(tlvSize(oidContentBytes.length) + tlvSize(length)) };
}

function endOfMibView(content: Buffer, oid: string): OutVarbind {
  return { oidContent: content, oid, tag: END_OF_MIB_VIEW, value: null, valueLength: 0, size: tlvSize(tlvSize(content.length) + 2) };
}

/** FNV-1a over buf[start, end). */
function hashBytes(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

function sameBytes(a: Buffer, aStart: number, b: Buffer, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** Copies by hand: for the few bytes of a varbind, cheaper than Buffer#copy's native call. */
function copyBytes(src: Buffer, start: number, length: number, out: Buffer, at: number): number {
  if (length > 64) {
    src.copy(out, at, start, start + length);
    return at + length;
  }
  for (let i = 0; i < length; i++) out[at + i] = src[start + i]!;
  return at + length;
}
