/**
 * A 32-bit value (DWORD or IEEE-754 REAL) as the two 16-bit registers that carry it, in either
 * word order: `high-first` puts the high word at the lower address (the manual's "HiWord &
 * LoWord"), `low-first` the other way round. The device's address map (src/modbus/address-map.ts),
 * the virtual field devices (src/sim/field-device.ts), the RTU master's internal registers
 * (src/serial/ir-codec.ts) and the testing fixture's Modbus client (src/testing/modbus.ts) all use it, so an encoding and its decoding cannot drift apart; its
 * test (test/unit/words.test.ts) builds the words without it. No I/O.
 *
 *   value ─► u32 (float32 bits, or the integer mod 2^32) ─► [hi, lo] ─► word order ─► [first, second]
 */

/** The 32-bit point types: an integer (DWORD) or an IEEE-754 float32 (REAL). */
export type Type32 = 'dword' | 'float';

const f32 = new DataView(new ArrayBuffer(4));

/** The two registers of `value`, in address order. */
export function encode32(value: number, type: Type32, highFirst: boolean): [number, number] {
  let u: number;
  if (type === 'float') {
    f32.setFloat32(0, value);
    u = f32.getUint32(0);
  } else u = value >>> 0;
  const hi = u >>> 16;
  const lo = u & 0xffff;
  return highFirst ? [hi, lo] : [lo, hi];
}

/** The value of two registers in address order; a DWORD reads as signed when `signed`. */
export function decode32([first, second]: readonly [number, number], type: Type32, highFirst: boolean, signed = false): number {
  const [hi, lo] = highFirst ? [first, second] : [second, first];
  const u = (hi * 0x10000 + lo) >>> 0;
  if (type === 'float') {
    f32.setUint32(0, u);
    return f32.getFloat32(0);
  }
  return signed ? u | 0 : u;
}

/** A 16-bit register read as a signed WORD (two's complement). */
export function signed16(word: number): number {
  return (word << 16) >> 16;
}
