/**
 * RTU framing: ADU = slave id + PDU + CRC, character timing from the line settings, and the
 * length a frame must have, which lets a receiver finish a frame as soon as its last byte
 * arrives instead of waiting out the 3.5-character silence (the OS and USB adapters deliver
 * bytes in bursts, so silence alone is a poor frame delimiter on a PC).
 */
import { crc16 } from './crc.js';

export interface LineSettings {
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

export function encodeAdu(slaveId: number, pdu: Uint8Array): Buffer {
  const adu = Buffer.allocUnsafe(pdu.length + 3);
  adu[0] = slaveId;
  adu.set(pdu, 1);
  const crc = crc16(adu, 0, adu.length - 2);
  adu[adu.length - 2] = crc & 0xff;
  adu[adu.length - 1] = crc >>> 8;
  return adu;
}

/** Milliseconds one character takes on the wire: start bit, data bits, parity bit, stop bits. */
export function charTimeMs(line: LineSettings): number {
  const bits = 1 + line.dataBits + (line.parity === 'none' ? 0 : 1) + line.stopBits;
  return (bits * 1000) / line.baudRate;
}

/**
 * The silence that separates frames (t3.5) and the longest gap allowed inside one (t1.5). Above
 * 19200 baud the spec fixes them at 1.75 ms and 0.75 ms (Modbus over Serial Line v1.02 §2.5.1.1).
 */
export function frameTiming(line: LineSettings): { interFrameMs: number; interCharMs: number } {
  if (line.baudRate > 19_200) return { interFrameMs: 1.75, interCharMs: 0.75 };
  const char = charTimeMs(line);
  return { interFrameMs: 3.5 * char, interCharMs: 1.5 * char };
}

/** Time to send `bytes` characters. */
export function transmitMs(line: LineSettings, bytes: number): number {
  return bytes * charTimeMs(line);
}

/**
 * Length of a complete response ADU to a request PDU, from what has arrived so far: null while
 * too few bytes are in to tell. Exceptions (function | 0x80) are 5 bytes.
 */
export function expectedResponseLength(requestFc: number, received: Uint8Array): number | null {
  if (received.length < 2) return null;
  if ((received[1]! & 0x80) !== 0) return 5;
  switch (requestFc) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 23:
      return received.length < 3 ? null : 5 + received[2]!;
    case 5:
    case 6:
    case 15:
    case 16:
      return 8;
    default:
      return null;
  }
}

/** Length of a complete request ADU, for a slave; null while too few bytes are in to tell. */
export function expectedRequestLength(received: Uint8Array): number | null {
  if (received.length < 2) return null;
  switch (received[1]) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      return 8;
    case 15:
    case 16:
      return received.length < 7 ? null : 9 + received[6]!;
    case 23:
      return received.length < 11 ? null : 13 + received[10]!;
    default:
      return null;
  }
}
