/**
 * The body of a PUT: at most 1 MB (else 413), UTF-8 JSON (else 201 InvalidJsonFormat), and
 * exactly `{"value": <number>}` (else 202 InvalidNodeValue). ASSUMPTION (docs/device-api.md):
 * a field beside `value` is refused rather than ignored, so a typo cannot pass for a write.
 *
 *   bytes ─► ≤ 1 MB (413) ─► UTF-8 (201) ─► JSON.parse (201) ─► {"value": number} (202) ─► value
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { DacCode, DacError, dacErrorFor } from './errors.js';

/** The same limit as /sim/v1 (BODY_LIMIT in ../app.ts, not imported: app.ts imports us). */
const BODY_LIMIT = '1mb';

// The Content-Type was checked before, so every body is read here, whatever it claims to be.
const readRaw = express.raw({ type: () => true, limit: BODY_LIMIT });
const utf8 = new TextDecoder('utf-8', { fatal: true });

const valueBody = z.strictObject({ value: z.number() });

function readBody(req: Request, res: Response): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    readRaw(req, res, (error?: unknown) => {
      if (error) reject(dacErrorFor(error));
      else resolve(Buffer.isBuffer(req.body) ? req.body : undefined);
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
export async function readValue(req: Request, res: Response): Promise<number> {
  const bytes = await readBody(req, res);
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
