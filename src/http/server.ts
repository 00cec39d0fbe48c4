/**
 * Listens an app on host:port (0 = a free port) and closes it quickly:
 *   1. close hooks end open event streams (and their sockets);
 *   2. the server stops accepting; idle keep-alive sockets and sockets that never sent a
 *      request (preconnects, which Node counts as busy) are closed at once;
 *   3. in-flight requests may finish, their sockets closing as they do;
 *   4. whatever is still open after CLOSE_GRACE_MS is cut.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';
import { runCloseHooks } from './shutdown.js';

export interface HttpListener {
  server: Server;
  /** `host:port` as bound, e.g. `127.0.0.1:41234` or `[::1]:41234`. */
  address: string;
  /** Stops the server; resolves when every socket is closed. Safe to call twice. */
  close(): Promise<void>;
}

/** How long close() lets in-flight requests finish before cutting their sockets. */
export const CLOSE_GRACE_MS = 1000;

export function formatAddress(info: AddressInfo): string {
  return info.family === 'IPv6' || info.address.includes(':') ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`;
}

function closeServer(app: Express, server: Server, fresh: Set<Socket>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    runCloseHooks(app);
    const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    cut.unref();
    server.close((error) => {
      clearTimeout(cut);
      if (error) reject(error);
      else resolve();
    });
    for (const socket of fresh) socket.destroy();
    server.closeIdleConnections();
  });
}

/**
 * @param accept decides at accept time whether a peer may talk at all (the accessible-IP list
 *   with "additional restrictions"); a refused socket is closed before any byte is read.
 */
export function listenHttp(app: Express, host: string, port: number, accept?: (remoteAddress: string | undefined) => boolean): Promise<HttpListener> {
  const server = createServer(app);
  // Sockets that have not sent a request yet.
  const fresh = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (accept && !accept(socket.remoteAddress)) {
      socket.destroy();
      return;
    }
    fresh.add(socket);
    socket.once('close', () => fresh.delete(socket));
  });
  server.on('request', (req, res) => {
    fresh.delete(req.socket);
    // A response finishing during close leaves an idle keep-alive socket; close it next turn.
    res.on('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  let closing: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve({
        server,
        address: formatAddress(server.address() as AddressInfo),
        close: () => (closing ??= closeServer(app, server, fresh)),
      });
    });
  });
}
