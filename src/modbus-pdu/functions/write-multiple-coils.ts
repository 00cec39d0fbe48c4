/** FC 15 Write Multiple Coils (spec §6.11): quantity 1..1968, byte count = ceil(quantity / 8). */
import type { PointSpace } from '../point-space.js';
import { ExceptionCode, ModbusException } from '../exceptions.js';
import { checkRange } from './checks.js';

export function writeMultipleCoils(map: PointSpace, pdu: Buffer): Buffer {
  if (pdu.length < 7) throw new ModbusException(ExceptionCode.IllegalDataValue, 'PDU too short for FC 15');
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const byteCount = pdu[5] as number;
  if (quantity < 1 || quantity > 1968) throw new ModbusException(ExceptionCode.IllegalDataValue, `quantity ${quantity} outside 1..1968`);
  if (byteCount !== Math.ceil(quantity / 8) || pdu.length !== 6 + byteCount) {
    throw new ModbusException(ExceptionCode.IllegalDataValue, `byte count ${byteCount} does not match quantity ${quantity} and PDU length ${pdu.length}`);
  }
  checkRange(address, quantity);
  const bits = new Uint8Array(quantity);
  for (let i = 0; i < quantity; i++) bits[i] = ((pdu[6 + (i >> 3)] as number) >> (i & 7)) & 1;
  map.writeBits(address, bits);
  return pdu.subarray(0, 5);
}
