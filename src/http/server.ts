/**
 * Listens an app on host:port (0 = a free port), over HTTP or HTTPS, and closes it quickly:
 *   1. close hooks end open event streams (and their sockets);
 *   2. the server stops accepting; idle keep-alive sockets and sockets that never sent a
 *      request (preconnects, which Node counts as busy) are closed at once;
 *   3. in-flight requests may finish, their sockets closing as they do;
 *   4. whatever is still open after CLOSE_GRACE_MS is cut, TLS handshakes in progress included.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';
import { formatAddress } from '../net-address.js';
import { addServedHost } from './guard.js';
import { runCloseHooks } from './shutdown.js';

export interface HttpListener<S extends Server | HttpsServer = Server> {
  server: S;
  /** `host:port` as bound, e.g. `127.0.0.1:41234` or `[::1]:41234`. */
  address: string;
  /** Stops the server; resolves when every socket is closed. Safe to call twice. */
  close(): Promise<void>;
}

/** Decides at accept time whether a peer may talk at all; a refused socket is closed before any byte is read. */
export type AcceptPeer = (remoteAddress: string | undefined) => boolean;

/** How long close() lets in-flight requests finish before cutting their sockets. */
export const CLOSE_GRACE_MS = 1000;

/** The sockets close() needs to know of. */
interface Tracked {
  /** Every accepted TCP socket (for HTTPS, the raw socket under the TLS one). */
  all: Set<Socket>;
  /** Sockets that have not sent a request yet (for HTTPS, once the handshake is done). */
  fresh: Set<Socket>;
}

function closeServer(app: Express, server: Server | HttpsServer, tracked: Tracked): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    runCloseHooks(app);
    const cut = setTimeout(() => {
      server.closeAllConnections();
      // A TLS handshake still in progress is no HTTP connection yet, so closeAllConnections misses it.
      for (const socket of tracked.all) socket.destroy();
    }, CLOSE_GRACE_MS);
    cut.unref();
    server.close((error) => {
      clearTimeout(cut);
      if (error) reject(error);
      else resolve();
    });
    for (const socket of tracked.fresh) socket.destroy();
    server.closeIdleConnections();
  });
}

/**
 * The shared part of listenHttp and listenHttps. `freshOn` is the event that hands over a socket
 * ready for HTTP: 'connection' for HTTP, 'secureConnection' for HTTPS (whose 'request' events
 * carry the TLS socket, not the raw one).
 */
function serve<S extends Server | HttpsServer>(
  app: Express,
  server: S,
  freshOn: 'connection' | 'secureConnection',
  host: string,
  port: number,
  accept: AcceptPeer | undefined,
): Promise<HttpListener<S>> {
  addServedHost(app, host);
  const tracked: Tracked = { all: new Set(), fresh: new Set() };
  server.on('connection', (socket: Socket) => {
    if (accept && !accept(socket.remoteAddress)) {
      socket.destroy();
      return;
    }
    tracked.all.add(socket);
    socket.once('close', () => tracked.all.delete(socket));
  });
  server.on(freshOn, (socket: Socket) => {
    if (socket.destroyed) return;
    tracked.fresh.add(socket);
    socket.once('close', () => tracked.fresh.delete(socket));
  });
  server.on('request', (req, res) => {
    tracked.fresh.delete(req.socket);
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
        close: () => (closing ??= closeServer(app, server, tracked)),
      });
    });
  });
}

/**
 * @param accept decides at accept time whether a peer may talk at all (the accessible-IP list
 *   with "additional restrictions"); a refused socket is closed before any byte is read.
 */
export function listenHttp(app: Express, host: string, port: number, accept?: AcceptPeer): Promise<HttpListener> {
  return serve(app, createServer(app), 'connection', host, port, accept);
}

/**
 * HTTPS with a PEM certificate and key (tls.ts makes or loads them); TLS 1.2 at least, as the
 * device's MQTT client (reference §5) and current practice ask. `accept` as for listenHttp.
 */
export function listenHttps(app: Express, host: string, port: number, { cert, key }: { cert: string; key: string }, accept?: AcceptPeer): Promise<HttpListener<HttpsServer>> {
  return serve(app, createHttpsServer({ cert, key, minVersion: 'TLSv1.2' }, app), 'secureConnection', host, port, accept);
}
