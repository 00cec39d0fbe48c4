import { describe, expect, it } from 'vitest';
import { crc16, crcMatches } from '../../../src/serial/crc.js';
import { charTimeMs, encodeAdu, expectedRequestLength, expectedResponseLength, frameTiming } from '../../../src/serial/rtu-frame.js';

const line = (baudRate: number, parity: 'none' | 'even' = 'none') => ({ baudRate, parity, dataBits: 8 as const, stopBits: 1 as const });

describe('CRC-16/MODBUS', () => {
  it('matches the spec example and the catalogue check value', () => {
    // Read holding registers, slave 1, address 0, 1 register: the widely printed 01 03 00 00 00 01 84 0A.
    expect(encodeAdu(1, Buffer.from([3, 0, 0, 0, 1]))).toEqual(Buffer.from('010300000001840a', 'hex'));
    // CRC catalogue check value for "123456789".
    expect(crc16(Buffer.from('123456789'))).toBe(0x4b37);
  });

  it('accepts a good frame and refuses one flipped bit or a short frame', () => {
    const adu = encodeAdu(17, Buffer.from([3, 0, 107, 0, 3]));
    expect(crcMatches(adu)).toBe(true);
    for (let bit = 0; bit < adu.length * 8; bit++) {
      const bad = Buffer.from(adu);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(crcMatches(bad)).toBe(false);
    }
    expect(crcMatches(Buffer.from([1, 2, 3]))).toBe(false);
  });
});

describe('character timing', () => {
  it('counts start, data, parity and stop bits', () => {
    expect(charTimeMs(line(9600))).toBeCloseTo(10 / 9.6, 6);
    expect(charTimeMs(line(9600, 'even'))).toBeCloseTo(11 / 9.6, 6);
  });

  it('uses 3.5 / 1.5 characters up to 19200 baud and the fixed 1.75 / 0.75 ms above', () => {
    expect(frameTiming(line(9600)).interFrameMs).toBeCloseTo(3.5 * (10 / 9.6), 6);
    expect(frameTiming(line(9600)).interCharMs).toBeCloseTo(1.5 * (10 / 9.6), 6);
    expect(frameTiming(line(19_200)).interFrameMs).toBeCloseTo(3.5 * (10 / 19.2), 6);
    expect(frameTiming(line(38_400))).toEqual({ interFrameMs: 1.75, interCharMs: 0.75 });
  });
});

describe('frame lengths', () => {
  it('knows a response length from its first bytes', () => {
    expect(expectedResponseLength(3, Buffer.from([1]))).toBeNull();
    expect(expectedResponseLength(3, Buffer.from([1, 3]))).toBeNull();
    expect(expectedResponseLength(3, Buffer.from([1, 3, 20]))).toBe(25);
    expect(expectedResponseLength(1, Buffer.from([1, 1, 2]))).toBe(7);
    expect(expectedResponseLength(3, Buffer.from([1, 0x83]))).toBe(5);
    for (const fc of [5, 6, 15, 16]) expect(expectedResponseLength(fc, Buffer.from([1, fc]))).toBe(8);
  });

  it('knows a request length from its first bytes', () => {
    for (const fc of [1, 2, 3, 4, 5, 6]) expect(expectedRequestLength(Buffer.from([1, fc]))).toBe(8);
    expect(expectedRequestLength(Buffer.from([1, 16, 0, 0, 0, 2]))).toBeNull();
    expect(expectedRequestLength(Buffer.from([1, 16, 0, 0, 0, 2, 4]))).toBe(13);
    expect(expectedRequestLength(Buffer.from([1, 15, 0, 0, 0, 10, 2]))).toBe(11);
    expect(expectedRequestLength(Buffer.from([1, 99]))).toBeNull();
  });
});
