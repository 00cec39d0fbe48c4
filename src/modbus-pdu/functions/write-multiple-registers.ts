/** FC 16 Write Multiple Registers (spec §6.12): quantity 1..123, byte count = 2 × quantity. */
import type { PointSpace } from '../point-space.js';
import { ExceptionCode, ModbusException } from '../exceptions.js';
import { checkRange } from './checks.js';

export function registerValues(pdu: Buffer, at: number, quantity: number): number[] {
  return Array.from({ length: quantity }, (_, i) => pdu.readUInt16BE(at + 2 * i));
}

export function writeMultipleRegisters(map: PointSpace, pdu: Buffer): Buffer {
  if (pdu.length < 8) throw new ModbusException(ExceptionCode.IllegalDataValue, 'PDU too short for FC 16');
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const byteCount = pdu[5] as number;
  if (quantity < 1 || quantity > 123) throw new ModbusException(ExceptionCode.IllegalDataValue, `quantity ${quantity} outside 1..123`);
  if (byteCount !== 2 * quantity || pdu.length !== 6 + byteCount) {
    throw new ModbusException(ExceptionCode.IllegalDataValue, `byte count ${byteCount} does not match quantity ${quantity} and PDU length ${pdu.length}`);
  }
  checkRange(address, quantity);
  map.writeRegisters(address, registerValues(pdu, 6, quantity));
  return pdu.subarray(0, 5);
}
