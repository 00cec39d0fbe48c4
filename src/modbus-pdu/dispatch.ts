/**
 * Function-code dispatch: one handler per message kind, each a function of (map, request PDU)
 * that returns the response PDU or throws a ModbusException; no I/O here.
 */
import type { PointSpace } from './point-space.js';
import { exceptionFor, ExceptionCode } from './exceptions.js';
import { readBits } from './functions/read-bits.js';
import { readRegisters } from './functions/read-registers.js';
import { readWriteRegisters } from './functions/read-write-registers.js';
import { writeMultipleCoils } from './functions/write-multiple-coils.js';
import { writeMultipleRegisters } from './functions/write-multiple-registers.js';
import { writeSingleCoil } from './functions/write-single-coil.js';
import { writeSingleRegister } from './functions/write-single-register.js';

export type Outcome = { kind: 'response'; pdu: Buffer } | { kind: 'exception'; fc: number; code: ExceptionCode; detail: string };

type Handler = (map: PointSpace, pdu: Buffer) => Buffer;

const HANDLERS: Partial<Record<number, Handler>> = {
  1: readBits,
  2: readBits,
  3: readRegisters,
  4: readRegisters,
  5: writeSingleCoil,
  6: writeSingleRegister,
  15: writeMultipleCoils,
  16: writeMultipleRegisters,
  23: readWriteRegisters,
};

export function dispatch(map: PointSpace, pdu: Buffer): Outcome {
  const fc = pdu[0] as number;
  const handler = HANDLERS[fc];
  if (!handler) return { kind: 'exception', fc, code: ExceptionCode.IllegalFunction, detail: `function ${fc} is not supported` };
  try {
    return { kind: 'response', pdu: handler(map, pdu) };
  } catch (error) {
    const exception = exceptionFor(error);
    return { kind: 'exception', fc, code: exception.code, detail: exception.message };
  }
}
