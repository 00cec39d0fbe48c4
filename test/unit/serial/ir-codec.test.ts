import { describe, expect, it } from 'vitest';
import { rtuProfileSchema } from '../../../src/config/sections.js';
import { decodePoll, pollRequest, writeRequest } from '../../../src/serial/ir-codec.js';

const profile = (p: Record<string, unknown>) => rtuProfileSchema.parse({ name: 'p', slaveId: 1, startAddress: 10, ...p });
const answer = (fc: number, words: number[]) => Buffer.from([fc, words.length * 2, ...words.flatMap((w) => [w >> 8, w & 0xff])]);

describe('IR codec', () => {
  it('asks for the profile\'s points with its point type as the function code', () => {
    expect(pollRequest(profile({ pointType: 4, length: 6, irType: 'float', irStart: 0 }))).toEqual(Buffer.from([4, 0, 10, 0, 6]));
  });

  it('turns bits into BOOL IRs', () => {
    expect(decodePoll(profile({ pointType: 1, length: 10, irType: 'bool', irStart: 0 }), Buffer.from([1, 2, 0b10000101, 0b10]))).toEqual([1, 0, 1, 0, 0, 0, 0, 1, 0, 1]);
  });

  it('makes WORD IRs signed, with the optional byte swap', () => {
    const words = profile({ pointType: 3, length: 2, irType: 'word', irStart: 0 });
    expect(decodePoll(words, answer(3, [0xfffe, 0x0102]))).toEqual([-2, 258]);
    expect(decodePoll({ ...words, swap: 'byte' }, answer(3, [0xfeff, 0x0201]))).toEqual([-2, 258]);
  });

  it('builds DWORD and FLOAT IRs from register pairs, high word first unless swapped', () => {
    const dword = profile({ pointType: 4, length: 4, irType: 'dword', irStart: 0 });
    expect(decodePoll(dword, answer(4, [0xffff, 0xfffe, 0x0001, 0x0000]))).toEqual([-2, 65_536]);
    expect(decodePoll({ ...dword, swap: 'word' }, answer(4, [0xfffe, 0xffff, 0x0000, 0x0001]))).toEqual([-2, 65_536]);
    const float = profile({ pointType: 3, length: 2, irType: 'float', irStart: 0 });
    expect(decodePoll(float, answer(3, [0x4366, 0x8000]))).toEqual([230.5]);
    expect(decodePoll({ ...float, swap: 'word' }, answer(3, [0x8000, 0x4366]))).toEqual([230.5]);
  });

  it('writes back with FC 5 for a coil, FC 6 for a WORD and FC 16 for a pair, swaps applied', () => {
    expect(writeRequest(profile({ pointType: 1, length: 8, irType: 'bool', irStart: 0 }), 3, 1)).toEqual(Buffer.from([5, 0, 13, 0xff, 0]));
    expect(writeRequest(profile({ pointType: 3, length: 4, irType: 'word', irStart: 0 }), 1, -2)).toEqual(Buffer.from([6, 0, 11, 0xff, 0xfe]));
    expect(writeRequest(profile({ pointType: 3, length: 4, irType: 'word', irStart: 0, swap: 'byte' }), 1, 258)).toEqual(Buffer.from([6, 0, 11, 0x02, 0x01]));
    expect(writeRequest(profile({ pointType: 3, length: 4, irType: 'float', irStart: 0 }), 1, 230.5)).toEqual(Buffer.from([16, 0, 12, 0, 2, 4, 0x43, 0x66, 0x80, 0x00]));
    expect(writeRequest(profile({ pointType: 3, length: 4, irType: 'dword', irStart: 0, swap: 'word' }), 0, 65_536)).toEqual(Buffer.from([16, 0, 10, 0, 2, 4, 0, 0, 0, 1]));
  });

  it('has nothing to write for read-only point types', () => {
    expect(writeRequest(profile({ pointType: 2, length: 8, irType: 'bool', irStart: 0 }), 0, 1)).toBeNull();
    expect(writeRequest(profile({ pointType: 4, length: 8, irType: 'word', irStart: 0 }), 0, 1)).toBeNull();
  });

  it('round-trips every value through write and read', () => {
    for (const [irType, swap, value] of [['word', 'byte', -12_345], ['dword', 'word', -123_456_789], ['float', 'none', -0.15625]] as const) {
      const p = profile({ pointType: 3, length: irType === 'word' ? 1 : 2, irType, irStart: 0, swap });
      const request = writeRequest(p, 0, value)!;
      const data = irType === 'word' ? request.subarray(3, 5) : request.subarray(6, 10);
      expect(decodePoll(p, Buffer.concat([Buffer.from([3, data.length]), data]))[0]).toBe(value);
    }
  });
});
