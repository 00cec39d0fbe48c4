import { ExceptionCode, ModbusException } from '../exceptions.js';

/** A PDU shorter or longer than its function needs is an ILLEGAL DATA VALUE (spec §7, note on PDU length). */
export function requireLength(pdu: Buffer, length: number): void {
  if (pdu.length !== length) throw new ModbusException(ExceptionCode.IllegalDataValue, `PDU is ${pdu.length} bytes, function ${pdu[0]} needs ${length}`);
}

/** Starting address + quantity must stay within the 65536-address space. */
export function checkRange(address: number, quantity: number): void {
  if (address + quantity > 0x10000) throw new ModbusException(ExceptionCode.IllegalDataAddress, `${address}+${quantity} runs past 65535`);
}
