/**
 * The body of a PUT: at most limits.http.maxBodyBytes (else 413), UTF-8 JSON (else 201 InvalidJsonFormat), and
 * exactly `{"value": <number>}` (else 202 InvalidNodeValue). ASSUMPTION (docs/device-api.md):
 * a field beside `value` is refused rather than ignored, so a typo cannot pass for a write.
 *
 *   bytes ─► decoded as its Content-Encoding (201) ─► ≤ maxBodyBytes (413) ─► UTF-8 (201) ─► JSON.parse (201) ─► {"value": number} (202) ─► value
 */
import express, { type Request, type Response } from 'express';
import * as z from 'zod';
import { bodyDecodeError, formatBytes } from '../errors.js';
import { DacCode, DacError, dacErrorFor } from './errors.js';

/** What reading a body may hold and whom it tells of a refusal. */
export interface BodyLimit {
  /** limits.http.maxBodyBytes, the same limit as /sim/v1. */
  maxBytes: number;
  /** Called when a body is refused as too large (counted `http_body_size`). */
  onTooLarge(): void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const valueBody = z.strictObject({ value: z.number() });

// The Content-Type was checked before, so every body is read here, whatever it claims to be.
const readers = new Map<number, ReturnType<typeof express.raw>>();
function rawReader(maxBytes: number): ReturnType<typeof express.raw> {
  let reader = readers.get(maxBytes);
  if (!reader) {
    reader = express.raw({ type: () => true, limit: maxBytes });
    readers.set(maxBytes, reader);
  }
  return reader;
}

function readBody(req: Request, res: Response, limit: BodyLimit): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    rawReader(limit.maxBytes)(req, res, (error?: unknown) => {
      if (!error) {
        resolve(Buffer.isBuffer(req.body) ? req.body : undefined);
        return;
      }
      // A body that is not what its Content-Encoding says (#14 point 15): the same test as /sim/v1.
      const undecodable = bodyDecodeError(error, req.headers['content-encoding']);
      if (undecodable) {
        reject(new DacError(DacCode.InvalidJsonFormat, undecodable.message, { cause: error }));
        return;
      }
      if ((error as { type?: unknown }).type === 'entity.too.large') {
        limit.onTooLarge();
        reject(new DacError(DacCode.PayloadTooLarge, `the request body is larger than ${formatBytes(limit.maxBytes)} (limits.http.maxBodyBytes)`, { cause: error }));
        return;
      }
      reject(dacErrorFor(error));
    });
  });
}

/** What a zod issue is about, for the error's detail: `value`, `foo` (an unknown key) or `body`. */
function issueDetail(issue: z.core.$ZodIssue): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys] : issue.path;
  const where = path.length > 0 ? path.map(String).join('.') : 'body';
  return `${where}: ${issue.message}; send {"value": <number>}`;
}

/** Reads and checks a PUT body; returns its value or throws a DacError. */
export async function readValue(req: Request, res: Response, limit: BodyLimit): Promise<number> {
  const bytes = await readBody(req, res, limit);
  if (bytes === undefined || bytes.length === 0) {
    throw new DacError(DacCode.InvalidJsonFormat, 'the body is empty; send {"value": <number>}');
  }
  let document: unknown;
  try {
    document = JSON.parse(utf8.decode(bytes));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new DacError(DacCode.InvalidJsonFormat, `the body is not JSON: ${why}`, { cause: error });
  }
  const parsed = valueBody.safeParse(document);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new DacError(DacCode.InvalidNodeValue, first ? issueDetail(first) : 'send {"value": <number>}', { cause: parsed.error });
  }
  return parsed.data.value;
}
