/**
 * A RequestTransport (api.ts) on node:http and node:https, for one short-lived process:
 * `iothinx-sim ctl`. On Node 20 the first fetch of a process loads and compiles undici, which
 * more than doubled the run time of `ctl get` (bench/startup.mjs measures it against
 * `node -e 0`, #19); a request on node:http adds a fraction of that.
 *
 *   request ─► http(s).request (no keep-alive) ─► status + body text
 *          └─► socket error ─► TypeError('fetch failed', {cause}) as fetch rejects
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { RequestTransport } from './api.js';

/** How long a request may go without any activity on its socket. */
const REQUEST_TIMEOUT_MS = 30_000;

export const httpTransport: RequestTransport = async (url, init) => {
  const target = new URL(url);
  // https only when asked for: node:https brings in TLS.
  const send = target.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    // agent: false, so no idle keep-alive socket holds the process open after the answer.
    const req = send(target, { method: init.method, headers: init.headers, agent: false }, resolve);
    // fetch gives up on a server that accepts but never answers; node:http alone would wait forever.
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (error) => reject(new TypeError('fetch failed', { cause: error })));
    req.end(init.body);
  });
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const status = res.statusCode ?? 0;
  const text = Buffer.concat(chunks).toString('utf8');
  return { status, ok: status >= 200 && status < 300, text: () => Promise.resolve(text) };
};
