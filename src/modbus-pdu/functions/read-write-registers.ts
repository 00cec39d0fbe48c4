/**
 * FC 23 Read/Write Multiple Registers (spec §6.17): the write is performed before the read;
 * read quantity 1..125, write quantity 1..121, byte count = 2 × write quantity.
 */
import type { PointSpace } from '../point-space.js';
import { ExceptionCode, ModbusException } from '../exceptions.js';
import { checkRange } from './checks.js';
import { registerValues } from './write-multiple-registers.js';

export function readWriteRegisters(map: PointSpace, pdu: Buffer): Buffer {
  if (pdu.length < 12) throw new ModbusException(ExceptionCode.IllegalDataValue, 'PDU too short for FC 23');
  const readAddress = pdu.readUInt16BE(1);
  const readQuantity = pdu.readUInt16BE(3);
  const writeAddress = pdu.readUInt16BE(5);
  const writeQuantity = pdu.readUInt16BE(7);
  const byteCount = pdu[9] as number;
  if (readQuantity < 1 || readQuantity > 125) throw new ModbusException(ExceptionCode.IllegalDataValue, `read quantity ${readQuantity} outside 1..125`);
  if (writeQuantity < 1 || writeQuantity > 121) throw new ModbusException(ExceptionCode.IllegalDataValue, `write quantity ${writeQuantity} outside 1..121`);
  if (byteCount !== 2 * writeQuantity || pdu.length !== 10 + byteCount) {
    throw new ModbusException(ExceptionCode.IllegalDataValue, `byte count ${byteCount} does not match write quantity ${writeQuantity}`);
  }
  checkRange(readAddress, readQuantity);
  checkRange(writeAddress, writeQuantity);
  const out = Buffer.allocUnsafe(2 + 2 * readQuantity);
  out[0] = 23;
  out[1] = 2 * readQuantity;
  // A dry read first: an unmapped read range is exception 2 before anything is written, so a
  // refused request changes nothing. Reads have no side effects.
  map.readRegisters('holding', readAddress, readQuantity, out, 2);
  map.writeRegisters(writeAddress, registerValues(pdu, 10, writeQuantity));
  map.readRegisters('holding', readAddress, readQuantity, out, 2);
  return out;
}
