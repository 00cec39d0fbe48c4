/**
 * The BER writers the v2c fast path and the v3 reports share (src/snmp/ber.ts) against the writer
 * net-snmp encodes with (asn1-ber, its dependency): every length form and INTEGER width, byte for
 * byte.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { intContent, intLength, OCTET_STRING, SEQUENCE, tlv, tlvSize, writeHeader } from '../../src/snmp/ber.js';

interface BerWriter {
  buffer: Buffer;
  writeBuffer(buffer: Buffer, tag: number): void;
  writeInt(value: number): void;
  startSequence(tag: number): void;
  endSequence(): void;
}
// asn1-ber comes with net-snmp and has no types: what the test uses of it.
const { Ber } = createRequire(import.meta.url)('asn1-ber') as { Ber: { Writer: new () => BerWriter } };

const LENGTHS = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x1234, 0xffff, 0x10000, 0x12345];

describe('BER writers (src/snmp/ber.ts)', () => {
  it('tlv, tlvSize and writeHeader write each length form as net-snmp does', () => {
    for (const n of LENGTHS) {
      const content = Buffer.alloc(n, 0xab);
      const writer = new Ber.Writer();
      writer.writeBuffer(content, OCTET_STRING);
      const ours = tlv(OCTET_STRING, content);
      expect(ours.equals(writer.buffer), `length ${n}`).toBe(true);
      expect(tlvSize(n), `length ${n}`).toBe(ours.length);
      const header = Buffer.alloc(8);
      expect(writeHeader(header, 0, OCTET_STRING, n), `length ${n}`).toBe(ours.length - n);
      expect(header.subarray(0, ours.length - n).equals(ours.subarray(0, ours.length - n)), `length ${n}`).toBe(true);
    }
  });

  it('tlv joins its parts as a constructed TLV', () => {
    const writer = new Ber.Writer();
    writer.startSequence(SEQUENCE);
    writer.writeInt(5);
    writer.writeBuffer(Buffer.from('public'), OCTET_STRING);
    writer.endSequence();
    expect(tlv(SEQUENCE, tlv(0x02, intContent(5)), tlv(OCTET_STRING, Buffer.from('public'))).equals(writer.buffer)).toBe(true);
  });

  it('intContent is the shortest two\'s complement, as writeInt, and intLength its length', () => {
    for (const value of [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0x7fffff, 0x800000, 0x7fffffff, -1, -0x80, -0x81, -0x8000, -0x8001, -0x80000000]) {
      const writer = new Ber.Writer();
      writer.writeInt(value);
      expect(tlv(0x02, intContent(value)).equals(writer.buffer), String(value)).toBe(true);
      expect(intLength(value), String(value)).toBe(intContent(value).length);
    }
  });
});
