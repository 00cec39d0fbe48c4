/**
 * Hand-written BER for the SNMP tests' requests, as a manager sends them (test/unit/snmp-*.test.ts).
 * Written apart from src/snmp/ber.ts on purpose, so a test does not build its input with the
 * writer it checks; it also writes what that writer never does (an INTEGER wider than needed).
 */
import { oidContent } from '../../src/snmp/ber.js';

/** A TLV of `parts` one after another, shortest length form (up to 0xffff bytes). */
export function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const content = Buffer.concat(parts);
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}

/** INTEGER in `width` bytes (0: shortest form). */
export function int(value: number, width = 0): Buffer {
  const bytes: number[] = [];
  let i = value;
  do {
    bytes.unshift(i & 0xff);
    i = Math.floor(i / 256);
  } while ((width === 0 && (i !== 0 || bytes[0]! >= 0x80) && (i !== -1 || bytes[0]! < 0x80)) || bytes.length < width);
  return tlv(0x02, Buffer.from(bytes));
}

/** An OBJECT IDENTIFIER TLV from its dotted form. */
export const oidTlv = (oid: string): Buffer => tlv(0x06, oidContent(oid.split('.').map(Number)));

/** A varbind with a NULL value, as a GET names its objects. */
export const nullVarbind = (oid: string): Buffer => tlv(0x30, oidTlv(oid), Buffer.from([0x05, 0x00]));
