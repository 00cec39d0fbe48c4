/** FC 06 Write Single Register (spec §6.6); the reply echoes the request. */
import type { AddressMap } from '../address-map.js';
import { requireLength } from './checks.js';

export function writeSingleRegister(map: AddressMap, pdu: Buffer): Buffer {
  requireLength(pdu, 5);
  map.writeRegisters(pdu.readUInt16BE(1), [pdu.readUInt16BE(3)]);
  return Buffer.from(pdu);
}
