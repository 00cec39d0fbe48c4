/**
 * Listens an app on host:port (0 = a free port), over HTTP or HTTPS, bounds what a client can
 * hold open, and closes quickly.
 *
 * Accepting (#14 point 10):
 *   connection ─► accept(peer)? (accessible-IP list) ── no ─► destroy
 *               ─► ConnectionGate: under maxConnections, maxConnectionsPerHost? ── no ─► destroy, counted
 *               ─► HTTP: headers within headersTimeoutMs (a connection that never sends a request
 *                  too), the whole request within requestTimeoutMs ── else 408, closed, counted;
 *                  idle keep-alive closed after keepAliveTimeoutMs. HTTPS: the handshake within
 *                  headersTimeoutMs. An event stream has sent its request: none of these cut it.
 * After a change (#14 point 14): connections of peers accept() now refuses are closed.
 *
 * Closing:
 *   1. close hooks end open event streams (and their sockets);
 *   2. the server stops accepting; idle keep-alive sockets and sockets that never sent a
 *      request (preconnects, which Node counts as busy) are closed at once;
 *   3. in-flight requests may finish, their sockets closing as they do;
 *   4. whatever is still open after CLOSE_GRACE_MS is cut, TLS handshakes in progress included.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type * as Https from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';
import { limitsSchema, type Limits } from '../config/limits.js';
import type { Refusals } from '../device/refusals.js';
import { formatAddress } from '../net-address.js';
import { onStateChanged } from './changes.js';
import { ConnectionGate } from './connections.js';
import { addServedHost, setPeerRule } from './guard.js';
import { runCloseHooks } from './shutdown.js';

export interface HttpListener<S extends Server | HttpsServer = Server> {
  server: S;
  /** `host:port` as bound, e.g. `127.0.0.1:41234` or `[::1]:41234`. */
  address: string;
  /** Stops the server; resolves when every socket is closed. Safe to call twice. */
  close(): Promise<void>;
  /** Closes the connections (event streams included) of peers that `accept` refuses now. */
  recheckPeers(): void;
}

/** Decides at accept time whether a peer may talk at all; a refused socket is closed before any byte is read. */
export type AcceptPeer = (remoteAddress: string | undefined) => boolean;

export interface ListenOptions {
  /** The accessible-IP list with "additional restrictions"; also re-checked after every change. */
  accept?: AcceptPeer;
  /** limits.http; the defaults when absent. */
  limits?: Limits['http'];
  /** Shared by the HTTP and HTTPS listeners of one emulator; one of its own when absent. */
  gate?: ConnectionGate;
  /** Where refusals are counted (the Device's). */
  refusals?: Refusals;
}

/** How long close() lets in-flight requests finish before cutting their sockets. */
export const CLOSE_GRACE_MS = 1000;
/** A connection closed as no longer allowed gets this long to take what was already written to it. */
const REVOKE_GRACE_MS = 1000;

/** The sockets close() needs to know of. */
interface Tracked {
  /** Every accepted TCP socket (for HTTPS, the raw socket under the TLS one). */
  all: Set<Socket>;
  /** Sockets that have not sent a request yet (for HTTPS, once the handshake is done). */
  fresh: Set<Socket>;
  /** Sockets with a request whose response has not finished (an event stream, say). */
  busy: Map<Socket, ServerResponse>;
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

/** Ends a socket, giving what was written to it a moment to leave, then destroys it. */
function revoke(socket: Socket): void {
  if (socket.destroyed) return;
  const cut = setTimeout(() => socket.destroy(), REVOKE_GRACE_MS);
  cut.unref();
  socket.end(() => {
    clearTimeout(cut);
    socket.destroy();
  });
}

const TIMEOUT_RESPONSE = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const HEADERS_TOO_LARGE_RESPONSE = 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const BAD_REQUEST_RESPONSE = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/** Node's server options for the limits; headersTimeout may not exceed requestTimeout. */
function serverOptions(limits: Limits['http']) {
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    headersTimeout,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts on this interval (default 30 s, which would let a silent
    // connection stay three times the limit): a quarter of the limit, within 0.25..5 s.
    connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(headersTimeout / 4))),
  };
}

/**
 * The shared part of listenHttp and listenHttps. `freshOn` is the event that hands over a socket
 * ready for HTTP: 'connection' for HTTP, 'secureConnection' for HTTPS (whose 'request' events
 * carry the TLS socket, not the raw one).
 */
function serve<S extends Server | HttpsServer>(app: Express, server: S, freshOn: 'connection' | 'secureConnection', host: string, port: number, options: ListenOptions, limits: Limits['http']): Promise<HttpListener<S>> {
  addServedHost(app, host);
  const { accept, refusals } = options;
  if (accept) setPeerRule(app, accept);
  const gate = options.gate ?? new ConnectionGate(limits, refusals);
  const tracked: Tracked = { all: new Set(), fresh: new Set(), busy: new Map() };
  server.on('connection', (socket: Socket) => {
    if (accept && !accept(socket.remoteAddress)) {
      socket.destroy();
      return;
    }
    if (!gate.admit(socket)) {
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
    const socket = req.socket;
    tracked.fresh.delete(socket);
    tracked.busy.set(socket, res);
    res.once('close', () => tracked.busy.delete(socket));
    // A response finishing during close leaves an idle keep-alive socket; close it next turn.
    res.on('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  // Replaces Node's default handler (which answers and destroys too) to count the timeouts.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const res = tracked.busy.get(socket);
    if (timeout) refusals?.count(res ? 'http_request_timeout' : 'http_headers_timeout');
    if (socket.writable && !res?.headersSent) socket.write(timeout ? TIMEOUT_RESPONSE : error.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE_RESPONSE : BAD_REQUEST_RESPONSE);
    socket.destroy();
  });
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') refusals?.count('http_headers_timeout');
    socket.destroy();
  });

  const recheckPeers = () => {
    if (!accept) return;
    // A socket already ending (revoked by an earlier re-check) is neither asked again nor counted twice.
    for (const socket of tracked.all) if (!socket.writableEnded && !accept(socket.remoteAddress)) revoke(socket);
  };
  const unregister = onStateChanged(app, recheckPeers);
  let closing: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve({
        server,
        address: formatAddress(server.address() as AddressInfo),
        close: () => {
          unregister();
          return (closing ??= closeServer(app, server, tracked));
        },
        recheckPeers,
      });
    });
  });
}

// jitless: parsed once, at load; zod would compile a parser for every limits section first (#19).
const DEFAULT_LIMITS = limitsSchema.parse({}, { jitless: true }).http;

/**
 * @param options.accept decides at accept time whether a peer may talk at all (the
 *   accessible-IP list with "additional restrictions"); a refused socket is closed before any
 *   byte is read. `limits`, `gate` and `refusals`: the connection caps and timeouts.
 */
export function listenHttp(app: Express, host: string, port: number, options: ListenOptions = {}): Promise<HttpListener> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  return serve(app, createServer(serverOptions(limits), app), 'connection', host, port, options, limits);
}

/**
 * HTTPS with a PEM certificate and key (tls.ts makes or loads them); TLS 1.2 at least, as the
 * device's MQTT client (reference §5) and current practice ask. `options` as for listenHttp.
 */
export function listenHttps(app: Express, host: string, port: number, { cert, key }: { cert: string; key: string }, options: ListenOptions = {}): Promise<HttpListener<HttpsServer>> {
  const limits = options.limits ?? DEFAULT_LIMITS;
  // Loaded on first use: node:https brings node:tls, 5-10 ms of every start that has HTTPS off (#19).
  const { createServer: createHttpsServer } = createRequire(import.meta.url)('node:https') as typeof Https;
  const server = createHttpsServer({ cert, key, minVersion: 'TLSv1.2', handshakeTimeout: limits.headersTimeoutMs, ...serverOptions(limits) }, app);
  return serve(app, server, 'secureConnection', host, port, options, limits);
}
