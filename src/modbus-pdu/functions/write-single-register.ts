/** FC 06 Write Single Register (spec §6.6); the reply echoes the request. */
import type { PointSpace } from '../point-space.js';
import { requireLength } from './checks.js';

export function writeSingleRegister(map: PointSpace, pdu: Buffer): Buffer {
  requireLength(pdu, 5);
  map.writeRegisters(pdu.readUInt16BE(1), [pdu.readUInt16BE(3)]);
  return Buffer.from(pdu);
}
