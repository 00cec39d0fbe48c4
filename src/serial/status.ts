/**
 * What the RTU master reports, per profile and for the port: the error code each failure kind
 * becomes in modbusRtuMasterprofileErrorCode and the exception IR, and the device status words.
 * The real device's codes were not found (reference §1); these are ASSUMPTIONS, in docs/serial.md.
 */
import type { RtuErrorKind } from './master.js';

/**
 * 0 = ok; 1..255 = the exception code the slave answered; 0x0A / 0x0B = the Modbus gateway
 * exceptions "path unavailable" (port closed) and "target device failed to respond" (timeout),
 * which SCADA engineers already read that way; 0x0100 / 0x0101 = master-side frame errors.
 */
export const RTU_ERROR_CODES: Record<Exclude<RtuErrorKind, 'exception'>, number> = {
  'port-closed': 0x0a,
  timeout: 0x0b,
  crc: 0x0100,
  unexpected: 0x0101,
};

export function errorCodeOf(kind: RtuErrorKind, exceptionCode: number | null): number {
  return kind === 'exception' ? (exceptionCode ?? 0) : RTU_ERROR_CODES[kind];
}

/**
 * modbusRtuMasterDeviceStatus (4 words): word 0 bit n = profile n's last poll failed; word 1 =
 * 1 while the port is open; words 2 and 3 = polls failed / succeeded since start, modulo 65536.
 */
export function deviceStatusWords(failedMask: number, portOpen: boolean, errors: number, oks: number): number[] {
  return [failedMask & 0xff, portOpen ? 1 : 0, errors & 0xffff, oks & 0xffff];
}
