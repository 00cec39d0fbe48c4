/**
 * The one error the test client throws. An answer that is not 2xx carries the API's own error
 * body (`{statusCode, code, error, message, path}`, src/http/errors.ts); the client's own
 * failures use closed CLIENT_* codes with status null.
 */

/**
 * Raised by the client itself, not by the API; docs/errors.md ("Test client codes") explains each,
 * and test/unit/errors.test.ts fails when that table and this list differ. The fixture's Modbus
 * helpers (modbus.ts) add the CLIENT_NO_MODBUS ... CLIENT_MODBUS_FAILED codes.
 */
export const CLIENT_ERROR_CODES = [
  'CLIENT_TIMEOUT',
  'CLIENT_UNREACHABLE',
  'CLIENT_BAD_RESPONSE',
  'CLIENT_START_FAILED',
  'CLIENT_NO_MODBUS',
  'CLIENT_STOPPED',
  'CLIENT_UNKNOWN_ATTRIBUTE',
  'CLIENT_READ_ONLY',
  'CLIENT_BAD_VALUE',
  'CLIENT_MODBUS_FAILED',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export interface SimClientErrorInit {
  /** HTTP status of the answer; null when there was none (timeout, connection refused). */
  status: number | null;
  /** The API's error code (HTTP_BAD_REQUEST, DEVICE_UNKNOWN_CHANNEL ...) or a CLIENT_* code. */
  code: string;
  /** The field at fault, as the API names it (`level`, `spec.delayMs`), or null. */
  path: string | null;
  /** `PUT /sim/v1/slots/1/channels/0`: the request that failed. */
  request: string | null;
  cause?: unknown;
}

export class SimClientError extends Error {
  override readonly name = 'SimClientError';
  readonly status: number | null;
  readonly code: string;
  readonly path: string | null;
  readonly request: string | null;

  constructor(message: string, init: SimClientErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.path = init.path;
    this.request = init.request;
  }

  /** A 4xx: the request was wrong (a usage error for `ctl`), not the device. */
  get isClientError(): boolean {
    return this.status !== null && this.status >= 400 && this.status < 500;
  }
}

export function isSimClientError(error: unknown, code?: string): error is SimClientError {
  return error instanceof SimClientError && (code === undefined || error.code === code);
}
