import { ExceptionCode, ModbusException } from '../exceptions.js';

/** A PDU shorter or longer than its function needs is an ILLEGAL DATA VALUE (spec §7, note on PDU length). */
export function requireLength(pdu: Buffer, length: number): void {
  if (pdu.length !== length) throw new ModbusException(ExceptionCode.IllegalDataValue, `PDU is ${pdu.length} bytes, function ${pdu[0]} needs ${length}`);
}

/** Starting address + quantity must stay within the 65536-address space. */
export function checkRange(address: number, quantity: number): void {
  if (address + quantity > 0x10000) throw new ModbusException(ExceptionCode.IllegalDataAddress, `${address}+${quantity} runs past 65535`);
}

/**
 * The request of the four read functions (FC 1-4): address and quantity, checked against the
 * function's quantity limit (spec §6.1-6.4) and the address space.
 */
export function readRequest(pdu: Buffer, maxQuantity: number): { address: number; quantity: number } {
  requireLength(pdu, 5);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  if (quantity < 1 || quantity > maxQuantity) throw new ModbusException(ExceptionCode.IllegalDataValue, `quantity ${quantity} outside 1..${maxQuantity}`);
  checkRange(address, quantity);
  return { address, quantity };
}
