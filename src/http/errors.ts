/**
 * HTTP errors in one place: every failure of a route, of the body parser or of the device ends
 * here and leaves as `{statusCode, code, error, message, path}`, where `path` names the field at
 * fault (the zod issue path joined with '.', or the device's context.field) or is null.
 * 4xx are logged at info, 5xx at error (STYLE 8).
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import * as z from 'zod';
import { isSimError, SimError, type ErrorCode } from '../errors.js';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
  path: string | null;
}

export const errorBodySchema = z.strictObject({
  statusCode: z.number().int(),
  code: z.string(),
  error: z.string(),
  message: z.string(),
  path: z.string().nullable(),
});

/** Status of each code; a Record so that a new code fails to compile until it is mapped here. */
const STATUS: Record<ErrorCode, number> = {
  PROFILE_INVALID: 400,
  PROFILE_READ_FAILED: 400,
  CONFIG_WRITE_FAILED: 500,
  DEVICE_UNKNOWN_SLOT: 404,
  DEVICE_UNKNOWN_CHANNEL: 404,
  DEVICE_UNKNOWN_ATTRIBUTE: 404,
  DEVICE_READ_ONLY: 400,
  DEVICE_VALUE_OUT_OF_RANGE: 400,
  DEVICE_NOT_APPLICABLE: 409,
  CLOCK_NOT_MANUAL: 409,
  FLEET_DEVICE_UNKNOWN: 404,
  FLEET_DEVICE_EXISTS: 409,
  FLEET_FULL: 409,
  HTTP_BAD_REQUEST: 400,
  HTTP_NOT_FOUND: 404,
  HTTP_METHOD_NOT_ALLOWED: 405,
  HTTP_PAYLOAD_TOO_LARGE: 413,
  HTTP_UNSUPPORTED_MEDIA_TYPE: 415,
  HTTP_INTERNAL: 500,
  HTTP_HOST_NOT_ALLOWED: 421,
  HTTP_CROSS_SITE: 403,
  AUTH_REQUIRED: 401,
  AUTH_FORBIDDEN: 403,
  AUTH_LOCKED_OUT: 429,
  TLS_CERT_INVALID: 400,
  MQTT_CONNECT_FAILED: 502,
  MQTT_AUTH_FAILED: 502,
  MQTT_TLS_FAILED: 502,
  MQTT_CONNECTION_LOST: 502,
  MQTT_TLS_CONFIG: 400,
  MQTT_BAD_WRITE: 400,
  MQTT_BROKER_LISTEN_FAILED: 500,
  SNMP_LISTEN_FAILED: 500,
  SERIAL_PORT_INVALID: 400,
  DEVICE_MODULE_REMOVED: 409,
  DEVICE_MODULE_FAILED: 409,
  FAULT_UNKNOWN: 404,
  SCENARIO_UNKNOWN: 404,
  SCENARIO_QUEUE_FULL: 429,
  SERIAL_PORT_FAILED: 503,
  CLI_USAGE: 500,
  CLI_LISTEN_FAILED: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** The field an issue concerns; an unknown key is named itself rather than its parent object. */
function issuePath(issue: z.core.$ZodIssue): string | null {
  const path = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  return path.length > 0 ? path.map(String).join('.') : null;
}

/** Wraps a zod failure of one part of a request (body, params, query) as HTTP_BAD_REQUEST. */
export function badRequest(error: z.ZodError, part: 'body' | 'params' | 'query'): SimError {
  const first = error.issues[0];
  const message = error.issues.map((issue) => `${issuePath(issue) ?? `(${part})`}: ${issue.message}`).join('; ');
  return new SimError('HTTP_BAD_REQUEST', message, { cause: error, context: { path: first ? issuePath(first) : null, part } });
}

/**
 * Names the body field at fault on device errors raised while applying it, e.g. `value` on an
 * attribute write refused as out of range; `codes` limits which errors are about that field.
 */
export function atPath<T>(path: string, fn: () => T, codes?: readonly ErrorCode[]): T {
  try {
    return fn();
  } catch (error) {
    if (isSimError(error) && typeof error.context.path !== 'string' && (!codes || codes.includes(error.code))) {
      throw new SimError(error.code, error.message, { cause: error.cause, context: { ...error.context, path } });
    }
    throw error;
  }
}

interface ParserError {
  type: string;
  status: number;
  message: string;
}

/** body-parser (raw-body) failures carry a `type` such as entity.parse.failed; wrap them at the edge. */
function isParserError(error: unknown): error is ParserError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ParserError>).type === 'string' &&
    typeof (error as Partial<ParserError>).status === 'number'
  );
}

function fromParserError(error: ParserError, limit: string): SimError {
  switch (error.type) {
    case 'entity.parse.failed':
      // V8 quotes the body (`Unexpected token 'S', ..."password":S..." is not valid JSON`); it may hold a password.
      return new SimError('HTTP_BAD_REQUEST', `malformed JSON: ${error.message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ' (not valid JSON)')}`, { cause: error });
    case 'entity.too.large':
      return new SimError('HTTP_PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} (limits.http.maxBodyBytes)`, { cause: error });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new SimError('HTTP_UNSUPPORTED_MEDIA_TYPE', error.message, { cause: error });
    default:
      return new SimError(error.status >= 400 && error.status < 500 ? 'HTTP_BAD_REQUEST' : 'HTTP_INTERNAL', error.message, { cause: error });
  }
}

/** `1 MiB`, `64 KiB`, `1500 bytes`: a byte limit as a message names it. */
export function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * The router's decodeURIComponent of a path parameter failed (`/slots/%zz/...`): a URIError that
 * http-errors marked 400. #14 point 15: a client's bad encoding, not our failure.
 */
function isPathDecodeError(error: unknown): error is URIError {
  return error instanceof URIError && (error as URIError & { status?: number }).status === 400;
}

/**
 * The request stream failed while decoding its Content-Encoding (gzip, deflate, br, zstd): zlib's
 * error, which body-parser passes on without a `type`. #14 point 15.
 */
export function bodyDecodeError(error: unknown, contentEncoding: string | undefined): SimError | undefined {
  if (contentEncoding === undefined || !(error instanceof Error) || isParserError(error)) return undefined;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code !== 'string' || !/^(Z_|ERR_)/.test(code)) return undefined;
  return new SimError('HTTP_BAD_REQUEST', `the body is not valid ${contentEncoding} as its Content-Encoding says: ${error.message}`, { cause: error, context: { part: 'body' } });
}

export function toErrorBody(error: unknown, bodyLimit = 1024 * 1024): ErrorBody {
  let sim: SimError;
  if (isSimError(error)) sim = error;
  else if (error instanceof z.ZodError) sim = badRequest(error, 'body');
  else if (isParserError(error)) sim = fromParserError(error, formatBytes(bodyLimit));
  else if (isPathDecodeError(error)) sim = new SimError('HTTP_BAD_REQUEST', `the path has a malformed percent-encoding: ${error.message}`, { cause: error, context: { part: 'params' } });
  else sim = new SimError('HTTP_INTERNAL', 'internal error; see the emulator log', { cause: error });
  const statusCode = statusOf(sim.code);
  const path = typeof sim.context.path === 'string' ? sim.context.path : typeof sim.context.field === 'string' ? sim.context.field : null;
  return { statusCode, code: sim.code, error: STATUS_CODES[statusCode] ?? 'Error', message: sim.message, path };
}

export function errorHandler(logger: Logger, bodyLimit?: number): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for a JSON body (an SSE stream, say): let express end the connection.
      next(error);
      return;
    }
    const body = toErrorBody(error, bodyLimit);
    const where = { method: req.method, url: req.originalUrl, statusCode: body.statusCode, code: body.code, path: body.path };
    if (body.statusCode >= 500) logger.error({ ...where, err: error }, 'request failed');
    else logger.info(where, body.message);
    res.status(body.statusCode).json(body);
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new SimError('HTTP_NOT_FOUND', `no route ${req.method} ${req.path}`));
};
