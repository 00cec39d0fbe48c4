/** FC 03 Read Holding Registers and FC 04 Read Input Registers (spec §6.3, §6.4). */
import type { AddressMap } from '../address-map.js';
import { ExceptionCode, ModbusException } from '../exceptions.js';
import { checkRange, requireLength } from './checks.js';

export function readRegisters(map: AddressMap, pdu: Buffer): Buffer {
  requireLength(pdu, 5);
  const fc = pdu[0] as number;
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  if (quantity < 1 || quantity > 125) throw new ModbusException(ExceptionCode.IllegalDataValue, `quantity ${quantity} outside 1..125`);
  checkRange(address, quantity);
  const out = Buffer.allocUnsafe(2 + 2 * quantity);
  out[0] = fc;
  out[1] = 2 * quantity;
  map.readRegisters(fc === 3 ? 'holding' : 'input', address, quantity, out, 2);
  return out;
}
