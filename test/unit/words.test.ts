/**
 * The shared 32-bit word codec (src/modbus-pdu/words.ts): the device's map, the field devices,
 * the fixture's Modbus client and the raw test client all use it, so here it is pinned against
 * words built without it (Buffer's big-endian writers, literal hex) (#18).
 */
import { describe, expect, it } from 'vitest';
import { decode32, encode32, signed16 } from '../../src/modbus-pdu/words.js';

/** [high word, low word] of a float32, from Buffer rather than the codec. */
function floatHiLo(value: number): [number, number] {
  const buf = Buffer.alloc(4);
  buf.writeFloatBE(value);
  return [buf.readUInt16BE(0), buf.readUInt16BE(2)];
}

describe('encode32 / decode32', () => {
  it.each([12.5, -3.5, 1.25, 0, 1e-3, 3.4e38])('REAL %s: high word at the lower address when high-first, swapped when low-first', (value) => {
    const [hi, lo] = floatHiLo(value);
    expect(encode32(value, 'float', true)).toEqual([hi, lo]);
    expect(encode32(value, 'float', false)).toEqual([lo, hi]);
    expect(decode32([hi, lo], 'float', true)).toBe(Math.fround(value));
    expect(decode32([lo, hi], 'float', false)).toBe(Math.fround(value));
  });

  it('REAL 12.5 is 0x4148 0x0000 (IEEE-754)', () => {
    expect(encode32(12.5, 'float', true)).toEqual([0x4148, 0x0000]);
  });

  it('DWORD: 0xcafe0001 and 70000 in both word orders', () => {
    expect(encode32(0xcafe0001, 'dword', true)).toEqual([0xcafe, 0x0001]);
    expect(encode32(0xcafe0001, 'dword', false)).toEqual([0x0001, 0xcafe]);
    expect(encode32(70_000, 'dword', true)).toEqual([0x0001, 0x1170]);
    expect(decode32([0x0001, 0x1170], 'dword', true)).toBe(70_000);
    expect(decode32([0x1170, 0x0001], 'dword', false)).toBe(70_000);
  });

  it('DWORD: a negative value is its two-complement words, read back signed only when asked', () => {
    expect(encode32(-2, 'dword', true)).toEqual([0xffff, 0xfffe]);
    expect(decode32([0xffff, 0xfffe], 'dword', true, true)).toBe(-2);
    expect(decode32([0xffff, 0xfffe], 'dword', true)).toBe(0xffff_fffe);
  });

  it('WORD: signed16 reads the top bit as the sign', () => {
    expect(signed16(0x0000)).toBe(0);
    expect(signed16(0x7fff)).toBe(32_767);
    expect(signed16(0x8000)).toBe(-32_768);
    expect(signed16(0xffff)).toBe(-1);
    expect(signed16(0xfffe)).toBe(-2);
  });
});
