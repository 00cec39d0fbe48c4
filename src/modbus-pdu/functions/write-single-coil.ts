/** FC 05 Write Single Coil (spec §6.5): 0xFF00 = on, 0x0000 = off; the reply echoes the request. */
import type { PointSpace } from '../point-space.js';
import { ExceptionCode, ModbusException } from '../exceptions.js';
import { requireLength } from './checks.js';

export function writeSingleCoil(map: PointSpace, pdu: Buffer): Buffer {
  requireLength(pdu, 5);
  const address = pdu.readUInt16BE(1);
  const value = pdu.readUInt16BE(3);
  if (value !== 0xff00 && value !== 0x0000) throw new ModbusException(ExceptionCode.IllegalDataValue, `coil value 0x${value.toString(16)} is neither 0xFF00 nor 0x0000`);
  map.writeBits(address, [value === 0xff00 ? 1 : 0]);
  return Buffer.from(pdu);
}
