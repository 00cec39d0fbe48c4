/**
 * Between a profile's Modbus data and its internal registers: bits to BOOL IRs, registers to
 * WORD (signed, optional byte swap), DWORD (signed) and FLOAT (IEEE-754) IRs from register
 * pairs, high word first unless swapped (the manual's "HiWord & LoWord" / "LoWord & HiWord").
 * The reverse builds the write that carries an IR's new value back to the slave.
 */
import type { RtuProfile } from '../config/sections.js';
import { decode32, encode32, signed16 } from '../modbus-pdu/words.js';

/** The read request of a profile's poll (FC = point type). */
export function pollRequest(profile: RtuProfile): Buffer {
  const pdu = Buffer.allocUnsafe(5);
  pdu[0] = profile.pointType;
  pdu.writeUInt16BE(profile.startAddress, 1);
  pdu.writeUInt16BE(profile.length, 3);
  return pdu;
}

/** IR values, in IR order, from the answer to pollRequest (already checked by the master). */
export function decodePoll(profile: RtuProfile, answer: Buffer): number[] {
  const data = answer.subarray(2);
  if (profile.irType === 'bool') return Array.from({ length: profile.length }, (_, i) => ((data[i >> 3]! >> (i & 7)) & 1) as number);
  if (profile.irType === 'word') {
    return Array.from({ length: profile.length }, (_, i) => {
      const word = data.readUInt16BE(i * 2);
      const ordered = profile.swap === 'byte' ? ((word & 0xff) << 8) | (word >> 8) : word;
      return signed16(ordered);
    });
  }
  const type = profile.irType === 'float' ? 'float' : 'dword';
  return Array.from({ length: Math.floor(profile.length / 2) }, (_, i) =>
    decode32([data.readUInt16BE(i * 4), data.readUInt16BE(i * 4 + 2)], type, profile.swap !== 'word', true),
  );
}

/**
 * The write that puts IR `offset` (from the profile's irStart) on the slave: FC 5 for a coil,
 * FC 6 for a WORD, FC 16 for the register pair of a DWORD or FLOAT. Null for read-only point
 * types (input status, input registers).
 */
export function writeRequest(profile: RtuProfile, offset: number, value: number): Buffer | null {
  if (profile.pointType === 1) {
    return Buffer.from([5, ...u16(profile.startAddress + offset), value ? 0xff : 0, 0]);
  }
  if (profile.pointType !== 3) return null;
  if (profile.irType === 'word') {
    const word = value & 0xffff;
    const ordered = profile.swap === 'byte' ? ((word & 0xff) << 8) | (word >> 8) : word;
    return Buffer.from([6, ...u16(profile.startAddress + offset), ...u16(ordered)]);
  }
  const [first, second] = encode32(value, profile.irType === 'float' ? 'float' : 'dword', profile.swap !== 'word');
  return Buffer.from([16, ...u16(profile.startAddress + offset * 2), 0, 2, 4, ...u16(first), ...u16(second)]);
}

function u16(n: number): [number, number] {
  return [(n >> 8) & 0xff, n & 0xff];
}
