/**
 * What a Modbus function needs from the thing it serves: the four point tables. The device's
 * address map (src/modbus/address-map.ts) and a virtual field device's register map
 * (src/sim/field-device.ts) both provide it, so the Modbus/TCP server and the RTU slave share one
 * implementation of every function code.
 *
 * This folder is the protocol's PDU layer with no I/O: the Modbus/TCP server (src/modbus) and the
 * serial RTU master and slave (src/serial) both import it, and it imports neither of them.
 * Reads and writes throw ModbusException (or a SimError that exceptionFor maps) to refuse.
 */
export interface PointSpace {
  readBits(table: 'coil' | 'discrete', address: number, quantity: number): Uint8Array;
  /** Writes `quantity` big-endian words into `out` from `offset`. */
  readRegisters(table: 'holding' | 'input', address: number, quantity: number, out: Buffer, offset: number): void;
  writeBits(address: number, values: ArrayLike<number>): void;
  writeRegisters(address: number, words: ArrayLike<number>): void;
}
