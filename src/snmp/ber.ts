/**
 * The BER (X.690) pieces the v2c fast path (fast-path.ts) and the v3 USM reports (usm.ts) both
 * write and read, byte for byte as net-snmp's ber writer does.
 */

export const INTEGER = 0x02;
export const OCTET_STRING = 0x04;
export const NULL = 0x05;
export const OID = 0x06;
export const SEQUENCE = 0x30;
/** SMIv2's application types (RFC 2578 §7.1.6-8): Counter32, Gauge32, TimeTicks. */
export const COUNTER32 = 0x41;
export const GAUGE32 = 0x42;
export const TIME_TICKS = 0x43;

/** Bytes of a TLV with `length` content bytes (shortest length form, as the ber writer). */
export function tlvSize(length: number): number {
  return 1 + (length <= 0x7f ? 1 : length <= 0xff ? 2 : length <= 0xffff ? 3 : 4) + length;
}

/** Writes a TLV's tag and length (the form tlvSize counts) at `at`; returns where the content goes. */
export function writeHeader(out: Buffer, at: number, tag: number, length: number): number {
  out[at++] = tag;
  if (length <= 0x7f) out[at++] = length;
  else if (length <= 0xff) {
    out[at++] = 0x81;
    out[at++] = length;
  } else if (length <= 0xffff) {
    out[at++] = 0x82;
    out[at++] = length >> 8;
    out[at++] = length & 0xff;
  } else {
    out[at++] = 0x83;
    out[at++] = length >> 16;
    out[at++] = (length >> 8) & 0xff;
    out[at++] = length & 0xff;
  }
  return at;
}

/** A TLV whose content is `parts` one after another, in a buffer of its own. */
export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  const out = Buffer.allocUnsafe(tlvSize(content.length));
  content.copy(out, writeHeader(out, 0, tag, content.length));
  return out;
}

/** Bytes of an INTEGER's content (intContent's length) without making it. */
export function intLength(value: number): number {
  let n = 1;
  for (let i = value; i < -0x80 || i >= 0x80; i = Math.floor(i / 0x100)) n++;
  return n;
}

/** INTEGER content, shortest two's complement, as the ber writer's writeInt. */
export function intContent(value: number): Buffer {
  const bytes: number[] = [];
  let i = value;
  while (i < -0x80 || i >= 0x80) {
    bytes.push(i & 0xff);
    i = Math.floor(i / 0x100);
  }
  bytes.push(i & 0xff);
  return Buffer.from(bytes.reverse());
}

/**
 * The arcs of an OID content in its canonical form starting 1.3 (what every leaf does), each arc
 * under 2^28 without leading 0x80 bytes; null otherwise.
 */
export function decodeOid(buf: Buffer, start: number, end: number): number[] | null {
  if (end <= start || buf[start] !== 0x2b) return null;
  const arcs = [1, 3];
  let value = 0;
  let bytes = 0;
  for (let i = start + 1; i < end; i++) {
    const b = buf[i]!;
    if (bytes === 0 && b === 0x80) return null;
    value = value * 128 + (b & 0x7f);
    bytes++;
    if (b & 0x80) {
      if (bytes >= 4) return null;
      continue;
    }
    arcs.push(value);
    value = 0;
    bytes = 0;
  }
  return bytes === 0 ? arcs : null;
}

/** OID content bytes as the ber writer encodes them (first two arcs in one byte, base 128). */
export function oidContent(arcs: readonly number[]): Buffer {
  const bytes = [arcs[0]! * 40 + arcs[1]!];
  for (let i = 2; i < arcs.length; i++) {
    const arc = arcs[i]!;
    const start = bytes.length;
    bytes.push(arc & 0x7f);
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.splice(start, 0, (v & 0x7f) | 0x80);
  }
  return Buffer.from(bytes);
}

/**
 * The message version as net-snmp's parser (asn1-ber's Reader) reads it: no tag checked, neither
 * the message's nor the version's, any length form, an INTEGER of any length. This is what sends a
 * datagram down net-snmp's v3 path, so the version switches (service.ts) and the USM gate
 * (usm-gate.ts) judge by it, and a non-canonical encoding (`02 02 00 03`, `84 00 00 00 nn`) cannot
 * slip past them. null where that reader throws.
 */
export function messageVersion(buf: Buffer): number | null {
  const message = lenientLength(buf, 1);
  if (!message || message.start >= buf.length) return null;
  const version = lenientLength(buf, message.start + 1);
  if (!version || version.length === 0 || version.length > buf.length - version.start) return null;
  let value = buf[version.start]! & 0x80 ? -1 : 0;
  for (let i = version.start; i < version.start + version.length && Number.isSafeInteger(value); i++) value = value * 256 + buf[i]!;
  return Number.isSafeInteger(value) ? value : null;
}

/** asn1-ber's readLength at `at`: where the content starts and its length, unchecked against the buffer's end. */
function lenientLength(buf: Buffer, at: number): { start: number; length: number } | null {
  if (at >= buf.length) return null;
  const first = buf[at]!;
  if (!(first & 0x80)) return { start: at + 1, length: first };
  const n = first & 0x7f;
  if (n === 0 || buf.length - (at + 1) < n) return null;
  let length = 0;
  for (let i = at + 1; i <= at + n; i++) length = length * 256 + buf[i]!;
  return { start: at + 1 + n, length };
}
