/** Small HTTP helpers shared by the integration and e2e tests. */
import { request } from 'node:http';
import { expect } from 'vitest';

/** GET from a chosen local address (127.0.0.2 ...); resolves the status, or the socket error's code. */
export function getFrom(localAddress: string, address: string, path: string): Promise<number | string> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const req = request({ host, port: Number(port), path, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

/** The value of an `Authorization` header with HTTP Basic credentials (RFC 7617). */
export function basic(name: string, password: string): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
}

/** fetch that expects a 2xx and returns the JSON body. */
export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  expect(res.ok, `${url}: HTTP ${res.status}`).toBe(true);
  return (await res.json()) as T;
}
