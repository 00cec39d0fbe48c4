/**
 * The size bound on the answers net-snmp encodes (#14 point 11, RFC 3416 §4.2): the limit for a
 * request, and the cut (GETBULK) or tooBig (GET, GETNEXT) of a response past it. The v2c fast
 * path (fast-path.ts) does the same in its own encoder.
 */
import type { Refusals } from '../device/refusals.js';
import type { RequestMessage, ResponsePdu, ResponseVarbind, Snmp } from './agent-types.js';

/** No varbind encodes to fewer bytes: SEQUENCE header (2), OID header (2) and one byte of sub-ids, a NULL (2). */
export const MIN_VARBIND_BYTES = 7;
/** More than any response header takes: version, community or the v3 header with engine ids, user, auth and priv parameters. */
const MAX_HEADER_BYTES = 512;

/**
 * An upper bound of a response's BER size from its varbinds alone: an OID arc never takes more
 * bytes than its decimal digits (so the dotted string's length bounds the OID), a number at most
 * 9, a string its UTF-8 length, and each varbind three TLV headers of at most 4 bytes. Infinity
 * for a value it cannot bound (then the response is measured).
 */
function responseBound(varbinds: readonly ResponseVarbind[]): number {
  let bytes = MAX_HEADER_BYTES;
  for (const { oid, value } of varbinds) {
    bytes += 12 + oid.length;
    if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) bytes += 9;
    else if (typeof value === 'string') bytes += Buffer.byteLength(value);
    else if (Buffer.isBuffer(value)) bytes += value.length;
    else return Infinity;
  }
  return bytes;
}

/** The largest response for this request: limits.snmp.maxResponseBytes, or a v3 manager's smaller msgMaxSize. */
export function responseLimit(message: RequestMessage, maxResponseBytes: number): number {
  const manager = message.version === 3 ? message.msgGlobalData?.msgMaxSize : undefined;
  return typeof manager === 'number' && manager > 0 ? Math.min(maxResponseBytes, manager) : maxResponseBytes;
}

/**
 * #14 point 11: a response never exceeds responseLimit (a 54-byte GETBULK once drew 45.6 KB).
 * RFC 3416 §4.2.3: a GETBULK response that would be too big carries fewer variable bindings,
 * those at the end removed until it fits. §4.2.1/§4.2.2: a GET or GETNEXT response that would be
 * too big is tooBig with error-index 0 and no variable bindings. A SET response is left alone:
 * the SET is done by now, and its answer echoes no more than the manager sent. Each cut or
 * tooBig is counted as `snmp_response_size`.
 */
export function boundResponseSize(snmp: Snmp, message: RequestMessage, pdu: ResponsePdu, limit: number, refusals: Pick<Refusals, 'count'>): void {
  const type = message.pdu?.type;
  const bulk = type === snmp.PduType.GetBulkRequest;
  if (!bulk && type !== snmp.PduType.GetRequest && type !== snmp.PduType.GetNextRequest) return;
  const all = pdu.varbinds;
  // Most answers are far below the limit: an upper bound then spares encoding them twice.
  if (responseBound(all) <= limit) return;
  // A response message's encoding is cached on it, so each trial encodes a fresh one.
  const sizeWith = (n: number): number => {
    pdu.varbinds = all.slice(0, n);
    return message.createResponseForRequest(pdu).toBuffer().length;
  };
  let size = sizeWith(all.length);
  if (size <= limit) return;
  refusals.count('snmp_response_size');
  if (!bulk) {
    pdu.varbinds = [];
    pdu.errorStatus = snmp.ErrorStatus.TooBig;
    pdu.errorIndex = 0;
    return;
  }
  // The largest prefix that fits: a guess in proportion to the sizes, then bisection between
  // a count that fits (lo) and one that does not (hi).
  let lo = 0;
  let hi = all.length;
  let guess = Math.min(hi - 1, Math.floor((all.length * limit) / size));
  while (hi - lo > 1) {
    size = sizeWith(guess);
    if (size <= limit) lo = guess;
    else hi = guess;
    guess = Math.floor((lo + hi) / 2);
  }
  pdu.varbinds = all.slice(0, lo);
}
