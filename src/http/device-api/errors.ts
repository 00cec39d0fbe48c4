/**
 * Errors of the device API (/api), in the device's own terms: the Moxa status codes of the
 * ioLogik E1200 RESTful API (reference §3b: 101 UnsupportedVersion ... 202 InvalidNodeValue),
 * plus the plain HTTP statuses that API also answers (404, 405, 413, 500). ASSUMPTION
 * (docs/device-api.md): the body is `{"error":{"code","message","detail"}}`, `message` being
 * the code's name and `detail` (our addition) the header, path segment or field at fault.
 *
 * This is the wire error of one adapter, like ModbusException: device-model refusals (SimError)
 * are mapped onto it at the edge by `dacErrorFor`, and it never leaves /api.
 */
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { isSimError } from '../../errors.js';

export enum DacCode {
  UnsupportedVersion = 101,
  UnsupportedDocFormat = 102,
  InvalidJsonFormat = 201,
  InvalidNodeValue = 202,
  NotFound = 404,
  MethodNotAllowed = 405,
  PayloadTooLarge = 413,
  InternalError = 500,
}

/** HTTP status of each code; a Record so that a new code fails to compile until it is mapped. */
const STATUS: Record<DacCode, number> = {
  [DacCode.UnsupportedVersion]: 400,
  [DacCode.UnsupportedDocFormat]: 400,
  [DacCode.InvalidJsonFormat]: 400,
  [DacCode.InvalidNodeValue]: 400,
  [DacCode.NotFound]: 404,
  [DacCode.MethodNotAllowed]: 405,
  [DacCode.PayloadTooLarge]: 413,
  [DacCode.InternalError]: 500,
};

export interface DacErrorBody {
  error: { code: DacCode; message: string; detail: string };
}

export class DacError extends Error {
  override readonly name = 'DacError';
  readonly status: number;
  /** The Allow header a 405 carries. */
  readonly allow: string | undefined;

  constructor(
    readonly code: DacCode,
    /** What was wrong, naming the header, path segment or body field. */
    readonly detail: string,
    options: { cause?: unknown; allow?: string } = {},
  ) {
    super(`${DacCode[code]} (${code}): ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = STATUS[code];
    this.allow = options.allow;
  }

  body(): DacErrorBody {
    return { error: { code: this.code, message: DacCode[this.code], detail: this.detail } };
  }
}

interface ParserError {
  type: string;
  status: number;
  message: string;
}

/** body-parser (raw-body) failures carry a `type` such as entity.too.large. */
function isParserError(error: unknown): error is ParserError {
  return error instanceof Error && typeof (error as Partial<ParserError>).type === 'string' && typeof (error as Partial<ParserError>).status === 'number';
}

/** Maps whatever a request raised onto the device API's codes. */
export function dacErrorFor(error: unknown): DacError {
  if (error instanceof DacError) return error;
  if (isSimError(error, 'DEVICE_UNKNOWN_ATTRIBUTE')) return new DacError(DacCode.NotFound, error.message, { cause: error });
  // io.ts offers no PUT on a read-only attribute; this keeps a slip from becoming a 500.
  if (isSimError(error, 'DEVICE_READ_ONLY')) return new DacError(DacCode.MethodNotAllowed, error.message, { cause: error, allow: 'GET, OPTIONS' });
  if (isSimError(error, 'DEVICE_VALUE_OUT_OF_RANGE') || isSimError(error, 'DEVICE_NOT_APPLICABLE')) {
    return new DacError(DacCode.InvalidNodeValue, error.message, { cause: error });
  }
  if (isParserError(error)) {
    switch (error.type) {
      case 'entity.too.large':
        return new DacError(DacCode.PayloadTooLarge, 'the request body is larger than 1 MB', { cause: error });
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return new DacError(DacCode.UnsupportedDocFormat, error.message, { cause: error });
      default:
        // request.aborted, request.size.invalid (Content-Length disagrees with the body) ...
        if (error.status >= 400 && error.status < 500) return new DacError(DacCode.InvalidJsonFormat, error.message, { cause: error });
    }
  }
  return new DacError(DacCode.InternalError, 'internal error; see the emulator log', { cause: error });
}

/** The /api error middleware: a DacError body, 4xx logged at info and 5xx at error (STYLE 8). */
export function dacErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const dac = dacErrorFor(error);
    const where = { method: req.method, url: req.originalUrl, statusCode: dac.status, code: dac.code };
    if (dac.status >= 500) logger.error({ ...where, err: error }, 'device API request failed');
    else logger.info(where, dac.detail);
    if (dac.allow !== undefined) res.setHeader('Allow', dac.allow);
    res.status(dac.status).json(dac.body());
  };
}
