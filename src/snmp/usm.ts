/**
 * The User-based Security Model's incoming checks (RFC 3414 §3.2 steps 3-7) in front of net-snmp's
 * agent, with the Report PDUs they call for. net-snmp 3.29 drops a message whose digest is wrong
 * (the manager times out), checks no time window (its snmpEngineTime stays at 10), reports an
 * unknown user with a counter value of 1 and accepts any msgAuthoritativeEngineID.
 *
 *   v3 datagram ─► header readable? (no: dropped, snmpInASNParseErrs, RFC 3412 §7.2 step 2)
 *     ─► msgSecurityModel USM? (no: dropped, snmpUnknownSecurityModels, step 4)
 *     ─► not privacy without authentication? (no: dropped, snmpInvalidMsgs, step 5)
 *     ─► msgAuthoritativeEngineID ours? (no, discovery included: usmStatsUnknownEngineIDs, §3.2 step 3)
 *     ─► user known? (usmStatsUnknownUserNames, step 4)
 *     ─► the user has the protocols the message asks for? (usmStatsUnsupportedSecLevels, step 5)
 *     ─► authenticated: digest right? (usmStatsWrongDigests, step 6)
 *     ─► authenticated: within the time window? (usmStatsNotInTimeWindows, step 7; its report is
 *        authenticated and carries our snmpEngineBoots/Time, so the manager resynchronises)
 *     ─► net-snmp (decryption, access control, the request)
 *
 * A report goes out only when the message's reportableFlag is set (RFC 3412 §7.1 step 3); the
 * counter counts either way. Reports are noAuthNoPriv except notInTimeWindow (authNoPriv with the
 * user's key, RFC 3414 §3.2 step 7a / §3.1.1), request-id that of the request when its scopedPDU
 * is in clear, else 0 — as Debian's snmpd (net-snmp 5.9) sends them.
 */
import { COUNTER32, INTEGER, intContent, OCTET_STRING, OID, oidContent, SEQUENCE, tlv } from './ber.js';

/**
 * usmStats, SNMP-USER-BASED-SM-MIB (RFC 3414 §5): 1.3.6.1.6.3.15.1.1.N.0. usmStatsDecryptionErrors (6)
 * is not here: decryption is net-snmp's, which drops what it cannot decrypt (as snmpd does with AES).
 */
export const USM_STATS = { unsupportedSecLevels: 1, notInTimeWindows: 2, unknownUserNames: 3, unknownEngineIDs: 4, wrongDigests: 5 } as const;
export type UsmStat = keyof typeof USM_STATS;
export type UsmCounters = Record<UsmStat, number>;

/** One entry per usmStats object, made once at load: nothing of a report's fixed part is built per datagram. */
const perStat = <T>(make: (stat: UsmStat, n: number) => T): Readonly<Record<UsmStat, T>> =>
  Object.fromEntries(Object.entries(USM_STATS).map(([stat, n]) => [stat, make(stat as UsmStat, n)])) as Record<UsmStat, T>;
const USM_STATS_OIDS = perStat((_, n) => `1.3.6.1.6.3.15.1.1.${n}.0`);
export const usmStatsOid = (stat: UsmStat): string => USM_STATS_OIDS[stat];
/** A report's varbind name, encoded (OID TLV). */
const USM_STATS_OID_TLVS = perStat((stat) => tlv(OID, oidContent(USM_STATS_OIDS[stat].split('.').map(Number))));
/** The object's name, as a report's journal entry gives its result: usmStatsWrongDigests, ... */
export const USM_STATS_NAMES = perStat((stat) => `usmStats${stat[0]!.toUpperCase()}${stat.slice(1)}`);

/** RFC 3414 §2.2.3: the time window, in seconds. */
export const TIME_WINDOW_S = 150;
/** RFC 3414 §2.2.2: snmpEngineBoots latches here. */
export const MAX_ENGINE_BOOTS = 2_147_483_647;
/** The largest message we accept, as net-snmp's agent and snmpd announce it. */
const MSG_MAX_SIZE = 65_507;
/** RFC 3414 §2.4: msgUserName is SIZE(0..32). */
const MAX_USER_NAME = 32;

/** What of net-snmp's exported `Authentication` the checks use (HMAC-96 over the whole message, key localized per engine id). */
export interface HmacAuth {
  getParametersLength(protocol: number): number;
  isAuthentic(message: Buffer, protocol: number, password: string, engineId: Buffer, digestInMessage: Buffer): boolean;
  writeParameters(message: Buffer, protocol: number, password: string, engineId: Buffer, digestInMessage: Buffer): void;
}

export interface UsmUser {
  name: string;
  /** null: noAuthNoPriv. */
  auth: { protocol: number; key: string } | null;
  priv: boolean;
}

export interface UsmEngine {
  engineId: Buffer;
  boots: number;
  /** snmpEngineTime now: seconds since the agent started. */
  time(): number;
  users: ReadonlyMap<string, UsmUser>;
  auth: HmacAuth;
}

/**
 * A v3 message dropped unanswered before the USM checks, by the RFC 3412 §7.2 / RFC 3418 counter
 * it counts in. Never handed to net-snmp: it checks no security model and derives (and caches for
 * good) a key for whatever engine id a message names, ~1 MB of hashing each.
 */
export interface V3Drop {
  kind: 'drop';
  counter: 'snmpInASNParseErrs' | 'snmpUnknownSecurityModels' | 'snmpInvalidMsgs';
}

/** A failed USM check: a report is counted and sent when `response` is not null. */
export interface UsmReport {
  kind: 'report';
  stat: UsmStat;
  user: string;
  /** An empty msgAuthoritativeEngineID: a manager discovering the engine id (RFC 3414 §4), routine. */
  discovery: boolean;
  /** The Report message, or null when the request was not reportable. */
  response: Buffer | null;
}

interface Span {
  start: number;
  end: number;
}

/** The parts of a v3 message the checks need (RFC 3412 §6, RFC 3414 §2.4). */
export interface V3Header {
  msgId: number;
  flags: number;
  securityModel: number;
  engineId: Buffer;
  boots: number;
  time: number;
  user: Buffer;
  /** Where msgAuthenticationParameters' content is in the message. */
  authParams: Span;
  /** The request-id of a scopedPDU in clear, 0 when encrypted or unreadable. */
  requestId: number;
}

const REPORT = 0xa8;
const USM = 3;
const AUTH_FLAG = 1;
const PRIV_FLAG = 2;
const REPORTABLE_FLAG = 4;

/**
 * RFC 3412 §7.2 steps 2-5 and RFC 3414 §3.2 steps 3-7 for one v3 datagram; `count` is called for
 * every failed USM check. Returns null for a message to hand on to net-snmp (it passed), a drop
 * for one that goes nowhere, or a report.
 */
export function checkUsm(buffer: Buffer, engine: UsmEngine, count: (stat: UsmStat) => number): UsmReport | V3Drop | null {
  const header = readV3Header(buffer);
  if (!header) return { kind: 'drop', counter: 'snmpInASNParseErrs' };
  if (header.securityModel !== USM) return { kind: 'drop', counter: 'snmpUnknownSecurityModels' };
  if ((header.flags & (AUTH_FLAG | PRIV_FLAG)) === PRIV_FLAG) return { kind: 'drop', counter: 'snmpInvalidMsgs' };
  const auth = (header.flags & AUTH_FLAG) !== 0;
  const userName = header.user.toString('latin1');
  const report = (stat: UsmStat, user: UsmUser | null): UsmReport => {
    const value = count(stat);
    const reportable = (header.flags & REPORTABLE_FLAG) !== 0;
    return { kind: 'report', stat, user: userName, discovery: header.engineId.length === 0, response: reportable ? encodeReport(header, engine, stat, value, user) : null };
  };
  if (!header.engineId.equals(engine.engineId)) return report('unknownEngineIDs', null);
  const user = engine.users.get(userName);
  if (!user) return report('unknownUserNames', null);
  const priv = (header.flags & PRIV_FLAG) !== 0;
  if ((auth && !user.auth) || (priv && !user.priv)) return report('unsupportedSecLevels', null);
  // Less than the user's level: RFC 3414 lets it through to access control (Debian's snmpd then
  // answers authorizationError); net-snmp 3.29 reports wrongDigests, which is kept (ASSUMPTION,
  // docs/snmp.md), counted here.
  if ((user.auth && !auth) || (user.priv && !priv)) return report('wrongDigests', null);
  if (!auth) return null;
  const digest = buffer.subarray(header.authParams.start, header.authParams.end);
  if (!engine.auth.isAuthentic(buffer, user.auth!.protocol, user.auth!.key, engine.engineId, digest)) return report('wrongDigests', null);
  const time = engine.time();
  if (engine.boots === MAX_ENGINE_BOOTS || header.boots !== engine.boots || Math.abs(header.time - time) > TIME_WINDOW_S) return report('notInTimeWindows', user);
  return null;
}

/** The Report message answering `request` with usmStats `stat` = `value` (authNoPriv when `user` is given). */
export function encodeReport(request: Pick<V3Header, 'msgId' | 'user' | 'requestId'>, engine: Pick<UsmEngine, 'engineId' | 'boots' | 'time' | 'auth'>, stat: UsmStat, value: number, user: UsmUser | null): Buffer {
  const auth = user?.auth ?? null;
  const digestLength = auth ? engine.auth.getParametersLength(auth.protocol) : 0;
  const varbind = tlv(SEQUENCE, USM_STATS_OID_TLVS[stat], tlv(COUNTER32, intContent(value >>> 0)));
  const pdu = tlv(REPORT, integer(request.requestId), integer(0), integer(0), tlv(SEQUENCE, varbind));
  const scopedPdu = tlv(SEQUENCE, tlv(OCTET_STRING, engine.engineId), tlv(OCTET_STRING), pdu);
  const securityParameters = tlv(
    SEQUENCE,
    tlv(OCTET_STRING, engine.engineId),
    integer(engine.boots),
    integer(engine.time()),
    tlv(OCTET_STRING, request.user),
    tlv(OCTET_STRING, Buffer.alloc(digestLength)),
    tlv(OCTET_STRING),
  );
  const globalData = tlv(SEQUENCE, integer(request.msgId), integer(MSG_MAX_SIZE), tlv(OCTET_STRING, Buffer.from([auth ? AUTH_FLAG : 0])), integer(USM));
  const message = tlv(SEQUENCE, integer(3), globalData, tlv(OCTET_STRING, securityParameters), scopedPdu);
  if (auth) {
    // The security parameters end where the scopedPDU begins; the last 2 bytes before are the
    // empty msgPrivacyParameters, and msgAuthenticationParameters' zeros right before those.
    const end = message.length - scopedPdu.length - 2;
    engine.auth.writeParameters(message, auth.protocol, auth.key, engine.engineId, message.subarray(end - digestLength, end));
  }
  return message;
}

/**
 * Reads a v3 message's header, security parameters and (in clear) request-id; null when not a v3
 * message these checks can read. HeaderData and UsmSecurityParameters must hold their fields and
 * nothing more: net-snmp reads the fields one after another, so with anything extra it would read
 * other bytes than the ones checked here.
 */
export function readV3Header(buf: Buffer): V3Header | null {
  const message = read(buf, 0, buf.length, SEQUENCE);
  const version = message && read(buf, message.start, message.end, INTEGER);
  if (!message || !version || intValue(buf, version) !== 3) return null;
  // HeaderData: msgID, msgMaxSize, msgFlags, msgSecurityModel (RFC 3412 §6).
  const global = read(buf, version.end, message.end, SEQUENCE);
  const globals = global && fields(buf, global, [INTEGER, INTEGER, OCTET_STRING, INTEGER]);
  // UsmSecurityParameters: engine id, boots, time, user, auth and privacy parameters (RFC 3414 §2.4).
  const params = global && read(buf, global.end, message.end, OCTET_STRING);
  const usm = params && read(buf, params.start, params.end, SEQUENCE);
  const security = usm && fields(buf, usm, [OCTET_STRING, INTEGER, INTEGER, OCTET_STRING, OCTET_STRING, OCTET_STRING]);
  if (!globals || !params || !security) return null;
  const [msgId, , flags, model] = globals as [Span, Span, Span, Span];
  const [engineId, boots, time, user, authParams] = security as [Span, Span, Span, Span, Span];
  if (flags.end - flags.start !== 1 || user.end - user.start > MAX_USER_NAME) return null;
  const values = [msgId, boots, time].map((span) => intValue(buf, span));
  if (values.some((v) => v === null || v < 0)) return null;
  return {
    msgId: values[0]!,
    flags: buf[flags.start]!,
    securityModel: intValue(buf, model) ?? -1,
    engineId: buf.subarray(engineId.start, engineId.end),
    boots: values[1]!,
    time: values[2]!,
    user: buf.subarray(user.start, user.end),
    authParams,
    requestId: clearRequestId(buf, params.end, message.end),
  };
}

/** The consecutive TLVs that fill `outer`, with these tags, or null. */
function fields(buf: Buffer, outer: Span, tags: readonly number[]): Span[] | null {
  const out: Span[] = [];
  let at = outer.start;
  for (const tag of tags) {
    const span = read(buf, at, outer.end, tag);
    if (!span) return null;
    out.push(span);
    at = span.end;
  }
  return at === outer.end ? out : null;
}

/** A scopedPDU in clear: SEQUENCE { contextEngineID, contextName, PDU { request-id … } }. */
function clearRequestId(buf: Buffer, at: number, end: number): number {
  const scoped = read(buf, at, end, SEQUENCE);
  const contextEngineId = scoped && read(buf, scoped.start, scoped.end, OCTET_STRING);
  const contextName = contextEngineId && read(buf, contextEngineId.end, scoped.end, OCTET_STRING);
  const pdu = contextName && read(buf, contextName.end, scoped.end, null);
  const id = pdu && read(buf, pdu.start, pdu.end, INTEGER);
  return (id && intValue(buf, id)) ?? 0;
}

/** The TLV at `at` (before `end`) with tag `tag` (null: any): its content's span, null when absent or overrunning. */
function read(buf: Buffer, at: number, end: number, tag: number | null): Span | null {
  if (at + 2 > end || (tag !== null && buf[at] !== tag)) return null;
  let length = buf[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3 || start + n > end) return null;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[start + i]!;
    start += n;
  }
  return start + length > end ? null : { start, end: start + length };
}

/** A signed INTEGER of at most 5 bytes (a 32-bit unsigned value takes 5), or null. */
function intValue(buf: Buffer, span: Span): number | null {
  const n = span.end - span.start;
  if (n < 1 || n > 5) return null;
  let v = buf[span.start]! & 0x80 ? -1 : 0;
  for (let i = span.start; i < span.end; i++) v = v * 256 + buf[i]!;
  return v;
}

function integer(value: number): Buffer {
  return tlv(INTEGER, intContent(value));
}

