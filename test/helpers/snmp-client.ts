/**
 * SNMP manager side for integration tests, on the net-snmp client over real UDP: promise
 * wrappers around a session's get / getNext / getBulk / set / subtree, sessions for v1, v2c and
 * v3 (tracked so afterEach closes them), a trap receiver on port 0, numeric OID ordering, and a
 * capture of the exact bytes a session sends (templates for the fuzz test).
 *
 *   test ─► session (v1 | v2c | v3 USM) ─► UDP ─► agent (the built CLI)
 *   agent traps ─► receiver (net-snmp, bound to port 0) ─► queue ─► next(what)
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import snmp from 'net-snmp';

export interface Target {
  host: string;
  port: number;
}

/** The agent address from the ready file's "snmp": "host:port". */
export function snmpTarget(address: string | null | undefined): Target {
  if (!address) throw new Error('the emulator did not report an SNMP address');
  const at = address.lastIndexOf(':');
  // "[::1]:1161": the host without its brackets, as a socket wants it.
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}

export interface SessionOptions {
  timeout?: number;
  retries?: number;
  sourceAddress?: string;
  /** udp6 for an IPv6 agent; the default udp4. */
  transport?: 'udp4' | 'udp6';
}

const sessions = new Set<snmp.Session>();

function track(session: snmp.Session): snmp.Session {
  sessions.add(session);
  // A closed or failed socket must not become an unhandled 'error' event.
  session.on('error', () => {});
  session.on('close', () => sessions.delete(session));
  return session;
}

const defaults = (options: SessionOptions) => ({
  timeout: options.timeout ?? 2000,
  retries: options.retries ?? 1,
  ...(options.sourceAddress ? { sourceAddress: options.sourceAddress } : {}),
  ...(options.transport ? { transport: options.transport } : {}),
});

export function v1Session(target: Target, community: string, options: SessionOptions = {}): snmp.Session {
  return track(snmp.createSession(target.host, community, { port: target.port, version: snmp.Version1, ...defaults(options) }));
}

export function v2cSession(target: Target, community: string, options: SessionOptions = {}): snmp.Session {
  return track(snmp.createSession(target.host, community, { port: target.port, version: snmp.Version2c, ...defaults(options) }));
}

export function v3Session(target: Target, user: snmp.User, options: SessionOptions = {}): snmp.Session {
  return track(snmp.createV3Session(target.host, user, { port: target.port, version: snmp.Version3, ...defaults(options) }));
}

/** The default profile's v3 user: authPriv, SHA + AES, read-write. */
export const ADMIN: snmp.User = {
  name: 'admin',
  level: snmp.SecurityLevel.authPriv,
  authProtocol: snmp.AuthProtocols.sha,
  authKey: 'iothinx-auth',
  privProtocol: snmp.PrivProtocols.aes,
  privKey: 'iothinx-priv',
};

export function closeSnmpSessions(): void {
  for (const session of sessions) {
    try {
      session.close();
    } catch {
      // already closed
    }
  }
  sessions.clear();
}

/** The local port a session's socket is bound to (the peer port the agent sees). */
export function localPort(session: snmp.Session): number {
  return (session as unknown as { dgram: dgram.Socket }).dgram.address().port;
}

export function get(session: snmp.Session, oids: string[]): Promise<snmp.Varbind[]> {
  return new Promise((resolve, reject) => session.get(oids, (error, varbinds) => (error ? reject(error) : resolve(varbinds ?? []))));
}

export function getNext(session: snmp.Session, oids: string[]): Promise<snmp.Varbind[]> {
  return new Promise((resolve, reject) => session.getNext(oids, (error, varbinds) => (error ? reject(error) : resolve(varbinds ?? []))));
}

/** GETBULK: net-snmp gives the non-repeaters as varbinds and each repeater as an array of its repetitions. */
export function getBulk(session: snmp.Session, oids: string[], nonRepeaters: number, maxRepetitions: number): Promise<(snmp.Varbind | snmp.Varbind[])[]> {
  return new Promise((resolve, reject) => session.getBulk(oids, nonRepeaters, maxRepetitions, (error, varbinds) => (error ? reject(error) : resolve(varbinds ?? []))));
}

export function set(session: snmp.Session, varbinds: snmp.Varbind[]): Promise<snmp.Varbind[]> {
  return new Promise((resolve, reject) => session.set(varbinds, (error, out) => (error ? reject(error) : resolve(out ?? []))));
}

/** Every varbind under `oid` (GETBULK for v2c/v3, GETNEXT for v1), in the order received. */
export function subtree(session: snmp.Session, oid: string, maxRepetitions = 25): Promise<snmp.Varbind[]> {
  const all: snmp.Varbind[] = [];
  return new Promise((resolve, reject) =>
    session.subtree(
      oid,
      maxRepetitions,
      (varbinds) => {
        all.push(...varbinds);
      },
      (error) => (error ? reject(error) : resolve(all)),
    ),
  );
}

/** Numeric OID order, component by component (not string order: 10 > 9). */
export function compareOids(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export const text = (vb: snmp.Varbind | undefined) => (Buffer.isBuffer(vb?.value) ? vb.value.toString('utf8') : vb?.value);

/** The error status a request failed with (RequestFailedError.status), or the error itself if not that. */
export async function failure(request: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await request;
  } catch (error) {
    const e = error as { name: string; status?: number; message: string };
    return { name: e.name, status: e.status, message: e.message };
  }
  throw new Error('the request succeeded');
}

/**
 * The bytes a session sends for `send`, captured on a local socket that never answers (the
 * session times out, which is ignored): valid requests to mutate in the fuzz test.
 */
export async function captureRequest(make: (target: Target) => snmp.Session, send: (session: snmp.Session) => void): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const session = make({ host: '127.0.0.1', port: socket.address().port });
  try {
    const [message] = (await Promise.all([once(socket, 'message'), Promise.resolve(send(session))]))[0] as [Buffer];
    return message;
  } finally {
    session.close();
    socket.close();
  }
}

export interface Notification {
  pdu: { type: number; varbinds: { oid: string; type: number; value: unknown }[]; community?: string };
}

export interface TrapReceiver {
  port: number;
  /** What the receiver refused (a bad digest, an unknown community ...). */
  errors: unknown[];
  /** The next notification not yet taken, or a rejection naming what was awaited. */
  next(what: string, ms?: number): Promise<Notification>;
  close(): Promise<void>;
}

/**
 * A dgram module for net-snmp's receiver, which turns port 0 into 162 (`port || 162`): its
 * sockets bind port 0 whatever port it asks for, and land in `sockets` to read the real port.
 */
export function anyPortDgram(sockets: dgram.Socket[]): { createSocket(type: dgram.SocketType): dgram.Socket } {
  return {
    createSocket(type: dgram.SocketType) {
      const socket = dgram.createSocket(type);
      const bind = socket.bind.bind(socket) as (port: number, address?: string) => dgram.Socket;
      (socket as unknown as { bind: (port: number, address?: string) => dgram.Socket }).bind = (_port, address) => bind(0, address);
      sockets.push(socket);
      return socket;
    },
  };
}

export interface TrapReceiverOptions {
  communities?: string[];
  /** Adds users (v3) or other communities to the receiver's authorizer. */
  setup?: (authorizer: { addCommunity(c: string): void; addUser(u: snmp.User): void }) => void;
  /** The receiver's own engine id (the authoritative one for informs it acknowledges). */
  engineID?: string;
}

/** A net-snmp receiver on 127.0.0.1, on a free port (see anyPortDgram). */
export async function trapReceiver({ communities = ['public'], setup = () => {}, engineID }: TrapReceiverOptions = {}): Promise<TrapReceiver> {
  const sockets: dgram.Socket[] = [];
  const dgramModule = anyPortDgram(sockets);
  const queue: Notification[] = [];
  const waiters: ((n: Notification) => void)[] = [];
  const errors: unknown[] = [];
  const receiver = snmp.createReceiver({ address: '127.0.0.1', dgramModule, includeAuthentication: true, ...(engineID ? { engineID } : {}) }, (error: unknown, n: Notification | null) => {
    if (error || !n) return errors.push(error);
    const waiter = waiters.shift();
    if (waiter) waiter(n);
    else queue.push(n);
  });
  for (const c of communities) receiver.getAuthorizer().addCommunity(c);
  setup(receiver.getAuthorizer());
  const socket = sockets[0]!;
  await once(socket, 'listening');
  return {
    port: socket.address().port,
    errors,
    next(what, ms = 5000) {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${what} in ${ms} ms (receiver errors: ${errors.map(String).join('; ') || 'none'})`)), ms);
        waiters.push((n) => {
          clearTimeout(timer);
          resolve(n);
        });
      });
    },
    close: () => new Promise<void>((resolve) => receiver.close(() => resolve())),
  };
}
