/**
 * Modbus exception codes the device answers (M-EZ p=106), and the mapping from the device
 * model's refusals to them. ASSUMPTION (docs/modbus-map.md): a write to a read-only point is
 * ILLEGAL DATA ADDRESS, a value the channel refuses is ILLEGAL DATA VALUE.
 */
import { isSimError } from '../errors.js';

export enum ExceptionCode {
  IllegalFunction = 1,
  IllegalDataAddress = 2,
  IllegalDataValue = 3,
  SlaveDeviceFailure = 4,
  /** Modbus Application Protocol v1.1b3 §7: the gateway has no path from its input to the target (misconfigured or overloaded). */
  GatewayPathUnavailable = 0x0a,
  /** §7: no response from the target device ("usually means that the device is not present on the network"). A fleet's gateway answers it (docs/fleet.md). */
  GatewayTargetFailedToRespond = 0x0b,
}

export class ModbusException extends Error {
  override readonly name = 'ModbusException';

  constructor(
    readonly code: ExceptionCode,
    detail?: string,
  ) {
    super(`${ExceptionCode[code]} (${code})${detail ? `: ${detail}` : ''}`);
  }
}

export function exceptionFor(error: unknown): ModbusException {
  if (error instanceof ModbusException) return error;
  if (isSimError(error, 'DEVICE_READ_ONLY')) return new ModbusException(ExceptionCode.IllegalDataAddress, error.message);
  // ASSUMPTION (docs/modbus-map.md): a removed module's addresses are gone; a failed module is a device failure.
  if (isSimError(error, 'DEVICE_MODULE_REMOVED')) return new ModbusException(ExceptionCode.IllegalDataAddress, error.message);
  if (isSimError(error, 'DEVICE_MODULE_FAILED')) return new ModbusException(ExceptionCode.SlaveDeviceFailure, error.message);
  if (isSimError(error, 'DEVICE_VALUE_OUT_OF_RANGE') || isSimError(error, 'DEVICE_NOT_APPLICABLE')) {
    return new ModbusException(ExceptionCode.IllegalDataValue, error.message);
  }
  return new ModbusException(ExceptionCode.SlaveDeviceFailure, error instanceof Error ? error.message : String(error));
}
