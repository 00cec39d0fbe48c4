/**
 * Account passwords at rest: scrypt (node:crypto) with a random 16-byte salt, kept as one
 * self-describing string so the cost parameters travel with the hash:
 *
 *   scrypt$N=16384,r=8,p=1$<salt, base64>$<hash, base64>
 *
 * The plaintext is never stored, logged or returned; profiles and the running config hold only
 * this string. Verification re-derives with the stored parameters and compares in constant time.
 */
import { randomBytes, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as WorkerThreads from 'node:worker_threads';
import type { Worker } from 'node:worker_threads';

export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

const B64 = '[A-Za-z0-9+/]+={0,2}';
/** The stored form; N a power of two, r 1..32, p 1..16, 128·N·r ≤ 256 MiB (a profile cannot ask for gigabytes). */
export const SCRYPT_PATTERN = new RegExp(`^scrypt\\$N=(\\d{1,7}),r=(\\d{1,2}),p=(\\d{1,2})\\$(${B64})\\$(${B64})$`);

interface Parsed {
  params: Required<Pick<ScryptOptions, 'N' | 'r' | 'p'>>;
  salt: Buffer;
  hash: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const m = SCRYPT_PATTERN.exec(stored);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || r < 1 || r > 32 || p < 1 || p > 16 || 128 * N * r > MAX_SCRYPT_MEMORY) return undefined;
  const salt = Buffer.from(m[4]!, 'base64');
  const hash = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { params: { N, r, p }, salt, hash };
}

/** Whether a string is a usable stored hash (the profile schema refuses others). */
export function isPasswordHash(stored: string): boolean {
  return parse(stored) !== undefined;
}

function options(params: Parsed['params']): ScryptOptions {
  // scrypt needs about 128 * N * r bytes; node's default cap (32 MiB) would refuse N = 2^18 at r = 8.
  return { ...params, maxmem: MAX_SCRYPT_MEMORY + (1 << 20) };
}

function format(params: Parsed['params'], salt: Buffer, hash: Buffer): string {
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Hashes synchronously: for a plaintext password in a profile, hashed once while it loads. */
export function hashPasswordSync(plain: string): string {
  const salt = randomBytes(SALT_BYTES);
  return format(SCRYPT_PARAMS, salt, scryptSync(plain, salt, KEY_BYTES, options(SCRYPT_PARAMS)));
}

/**
 * The one thread that derives keys for checks and API-set passwords, one at a time.
 *
 * Not node's async scrypt: that runs on the libuv thread pool, where a burst of logins takes all
 * four threads (two cores here: the event loop starves, health probes waited 0.5-1.4 s in the
 * #14 soak) and every pool thread keeps its own 16 MiB scratch in a glibc malloc arena after the
 * hash (glibc raises its mmap threshold once such a block is freed): ~70 MiB of RSS that never
 * came back. One worker thread bounds both: at most one core, one arena. The login throttle
 * (src/http/login-throttle.ts) bounds how many derivations can be waiting.
 *
 *   derive() ─► queue by id ─► Worker (scryptSync) ─► { id, key | error } ─► resolve/reject
 *
 * The worker is made on the first derivation, unref'd while idle (it never holds the process
 * open for nothing) and kept for the process: a new isolate per login would cost more than it saves.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
// Linux nice is per thread: setPriority(0, ...) from here lowers this thread only, so under a
// full CPU the event loop goes first and a login burst waits instead (#14 soak: probe latency).
try { require('node:os').setPriority(0, 10); } catch {}
parentPort.on('message', ({ id, plain, salt, length, options }) => {
  try {
    const key = scryptSync(plain, Buffer.from(salt), length, options);
    parentPort.postMessage({ id, key });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface Pending {
  resolve(key: Buffer): void;
  reject(error: Error): void;
}

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 0;

function deriver(): Worker {
  if (worker) return worker;
  // Loaded on first use: most starts never hash a password, and node:worker_threads costs 2-4 ms (#19).
  const { Worker: WorkerThread } = createRequire(import.meta.url)('node:worker_threads') as typeof WorkerThreads;
  const made = new WorkerThread(WORKER_SOURCE, { eval: true });
  made.unref();
  made.on('message', ({ id, key, error }: { id: number; key?: Uint8Array; error?: string }) => {
    const waiting = pending.get(id);
    pending.delete(id);
    if (!waiting) return;
    if (pending.size === 0) made.unref();
    if (key) waiting.resolve(Buffer.from(key.buffer, key.byteOffset, key.byteLength));
    else waiting.reject(new Error(`scrypt failed: ${error ?? 'unknown error'}`));
  });
  // A worker that dies fails what it held; the next derivation makes a new one.
  const fail = (error: Error) => {
    if (worker === made) worker = undefined;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  made.on('error', fail);
  made.on('exit', (code) => fail(new Error(`the scrypt worker exited with code ${code}`)));
  worker = made;
  return made;
}

function derive(plain: string, salt: Buffer, length: number, params: Parsed['params']): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const thread = deriver();
    // Held open while a derivation is pending, so an awaited check always settles.
    if (pending.size === 0) thread.ref();
    pending.set(id, { resolve, reject });
    thread.postMessage({ id, plain, salt, length, options: options(params) });
  });
}

/** Hashes on the deriving thread, for a password set through the API. */
export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return format(SCRYPT_PARAMS, salt, await derive(plain, salt, KEY_BYTES, SCRYPT_PARAMS));
}

/** A hash of a random password, to verify against when the name matches no account (same cost either way). */
const DUMMY = format(SCRYPT_PARAMS, randomBytes(SALT_BYTES), randomBytes(KEY_BYTES));

/**
 * Whether `plain` matches `stored`; `stored` undefined (no such account) costs the same scrypt
 * as a real check and answers false, so timing does not tell which names exist.
 */
export async function verifyPassword(plain: string, stored: string | undefined): Promise<boolean> {
  const parsed = parse(stored ?? DUMMY) ?? parse(DUMMY)!;
  const key = await derive(plain, parsed.salt, parsed.hash.length, parsed.params);
  return timingSafeEqual(key, parsed.hash) && stored !== undefined;
}
