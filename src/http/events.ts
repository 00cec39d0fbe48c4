/**
 * GET /sim/v1/events: Server-Sent Events, one `change` event per Device change, `id:` = seq so
 * a client sees a gap. A comment opens the stream and a comment every 15 s keeps proxies and
 * idle timeouts away (transport keepalive: one real, unref'd timer for all streams, not the
 * device clock).
 *
 *   Device.onChange ─► one listener ─► the event as bytes, made once ─┬─► stream (ioName filter) ─► bounded write ─► res
 *                                                                     └─► stream ...
 *
 * Each stream holds at most limits.http.maxSseBufferBytes for a client that does not read
 * (#14 point 7). A write that would go past it cuts the client off instead: its socket is
 * destroyed at once (ending it would queue more behind what it does not read), counted
 * `sse_buffer`; it reconnects and sees the seq gap. Missed events are not replayed. So a slow
 * client costs one length check per event, and the others, and the rest of the API, do not wait.
 * The events of one event-loop turn leave for each client in one write (queued until
 * setImmediate): on loopback a write costs tens of µs per client, and a flood of changes would
 * otherwise spend its time in one syscall per event per subscriber. While a client's socket is
 * full its events wait in our queue, so that cutting it off frees plain buffers: Node makes an
 * Error object for each write still in a destroyed socket's buffer, which for 50 clients with
 * 1 MiB each of single-event writes took seconds, the stall of #14 point 7.
 *
 * A stream opened with an account ends when that account is disabled, renamed or given a new
 * password (#14 point 14): the app re-checks after every change (changes.ts).
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { AccountsConfig, Role } from '../config/accounts.js';
import type { Device, DeviceChange } from '../device/device.js';
import type { FaultEvent } from '../device/faults.js';
import type { Refusals } from '../device/refusals.js';
import { SimError } from '../errors.js';
import { stillHeld } from './auth.js';
import { route, type Route } from './route.js';
import { changeSchema, eventsQuery } from './schemas.js';

export const HEARTBEAT_MS = 15_000;
/** How long an ended stream (its account changed) may take to flush before its socket is cut. */
const END_GRACE_MS = 1000;
const HEARTBEAT = Buffer.from(': heartbeat\n\n');

export interface EventStreamOptions {
  /** limits.http.maxSseBufferBytes. */
  maxBufferBytes: number;
  refusals: Refusals;
  /** The accounts of the running config, as auth.ts reads them. */
  accounts?: () => AccountsConfig;
  /** Who opened the request (auth.ts's guard), when accounts are on. */
  identity?: (req: Request) => { name: string; role: Role } | undefined;
}

/** The account a stream was opened with, as it was then. */
interface Opener {
  role: Role;
  name: string;
  hash: string;
}

class Stream {
  /** Cut off or ended: nothing more is written. */
  done = false;
  /** Events of this turn, or waiting for the socket to drain: written as one chunk. */
  pending: Buffer[] = [];
  pendingBytes = 0;
  /** The last write filled the socket's buffer: wait for 'drain'. */
  blocked = false;

  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly opener: Opener | undefined,
  ) {}
}

/**
 * Bounded event streams of any feed (the base of a device's EventStreams, and the fleet's one
 * stream of every device, src/http/fleet/events.ts): each stream holds at most maxBufferBytes
 * for its client, as the header says.
 */
export class BoundedStreams {
  private readonly open = new Set<Stream>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** A message rendered once for every MQTT log stream it goes to. */
  private readonly rendered = new WeakMap<object, Buffer>();
  /** Streams with events to write at the end of this turn. */
  private readonly due = new Set<Stream>();
  private flushing = false;

  constructor(
    protected readonly logger: Logger,
    private readonly options: EventStreamOptions,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /**
   * Starts a stream on `res` fed by `subscribe`: each chunk handed to its `send` goes to this
   * client, bounded as every stream is; the subscription ends when the response closes.
   */
  startFeed(req: Request, res: Response, greeting: string, subscribe: (send: (chunk: Buffer) => void) => () => void): void {
    const stream = this.open_(req, res, greeting);
    if (!stream) return;
    const unsubscribe = subscribe((chunk) => this.send(stream, chunk));
    res.once('close', unsubscribe);
  }

  /** Starts a stream of `event: mqtt` messages on `res` (GET /sim/v1/mqtt/log/stream). */
  startMqtt(req: Request, res: Response, onMessage: (listener: (message: object) => void) => () => void): void {
    this.startFeed(req, res, 'iothinx-sim MQTT messages', (send) =>
      onMessage((message) => {
        let chunk = this.rendered.get(message);
        if (!chunk) {
          chunk = Buffer.from(`event: mqtt\ndata: ${JSON.stringify(message)}\n\n`);
          this.rendered.set(message, chunk);
        }
        send(chunk);
      }),
    );
  }

  /**
   * Ends the streams whose account was disabled, renamed or re-passworded since they opened, and
   * those opened without one while accounts are now on (#14 point 14).
   */
  recheckAccounts(): void {
    const accounts = this.options.accounts?.();
    if (!accounts?.enabled) return;
    for (const stream of this.open) {
      if (stream.opener && stillHeld(accounts, stream.opener)) continue;
      this.logger.info({ peer: stream.req.socket.remoteAddress, account: stream.opener?.name ?? null }, 'event stream ended: its account changed');
      this.end(stream);
    }
  }

  /**
   * Ends every open stream (server shutdown) and then its connection: a client that has stopped
   * reading would otherwise keep it busy, and the server's close would wait for it.
   */
  closeAll(): void {
    for (const { res } of this.open) {
      const socket = res.socket;
      res.end(() => socket?.destroy());
    }
    this.open.clear();
  }

  /**
   * Queues a chunk for the stream, unless the client would then have more than maxBufferBytes
   * waiting (in the emulator: ours and the socket's): then it is cut off.
   */
  protected send(stream: Stream, chunk: Buffer): void {
    try {
      this.queue(stream, chunk);
    } catch (error) {
      this.failed(stream, error);
    }
  }

  /**
   * One stream's part of a broadcast or flush threw: that stream alone is cut off and logged,
   * and the other streams, the change's other listeners and the write go on (#15 item 4).
   */
  private failed(stream: Stream, error: unknown): void {
    this.logger.error({ err: error, peer: stream.req.socket.remoteAddress }, 'event stream failed; cutting it off');
    this.cutOff(stream);
  }

  /** Ends a stream at once, dropping what it had not sent. */
  private cutOff(stream: Stream): void {
    stream.done = true;
    stream.pending = [];
    this.open.delete(stream);
    stream.res.socket?.destroy();
  }

  private queue(stream: Stream, chunk: Buffer): void {
    const { res } = stream;
    if (stream.done || res.writableEnded || res.destroyed || !res.socket || res.socket.destroyed) return;
    const waiting = res.writableLength + stream.pendingBytes;
    if (waiting + chunk.length > this.options.maxBufferBytes) {
      this.options.refusals.count('sse_buffer');
      this.logger.warn({ peer: stream.req.socket.remoteAddress, buffered: waiting }, 'event stream client too slow; cutting it off');
      this.cutOff(stream);
      return;
    }
    stream.pending.push(chunk);
    stream.pendingBytes += chunk.length;
    if (stream.blocked) return;
    this.due.add(stream);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flushDue());
    }
  }

  private flushDue(): void {
    this.flushing = false;
    const due = [...this.due];
    this.due.clear();
    for (const stream of due) {
      try {
        this.flush(stream);
      } catch (error) {
        this.failed(stream, error);
      }
    }
  }

  /**
   * Writes what the stream has queued as one chunk. Until the socket drains, further events wait
   * in our queue: the socket's own buffer then holds a few large writes, not one per event, and
   * destroying it stays cheap (Node makes an Error for every write still buffered).
   */
  private flush(stream: Stream): void {
    const { res } = stream;
    if (stream.done || stream.pendingBytes === 0 || res.writableEnded || res.destroyed) return;
    const data = stream.pending.length === 1 ? stream.pending[0]! : Buffer.concat(stream.pending, stream.pendingBytes);
    stream.pending = [];
    stream.pendingBytes = 0;
    if (!res.write(data)) {
      stream.blocked = true;
      res.once('drain', () => {
        stream.blocked = false;
        this.flush(stream);
      });
    }
  }

  /** The SSE plumbing: headers, the opening comment, heartbeat, cleanup. */
  private open_(req: Request, res: Response, greeting: string): Stream | undefined {
    if (!beginEventStream(req, res, greeting)) return undefined;
    const stream = new Stream(req, res, this.opener(req));
    this.open.add(stream);
    this.heartbeat ??= setInterval(() => {
      for (const s of this.open) this.send(s, HEARTBEAT);
    }, HEARTBEAT_MS).unref();
    res.once('close', () => {
      this.open.delete(stream);
      if (this.open.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
      }
    });
    return stream;
  }

  private opener(req: Request): Opener | undefined {
    const identity = this.options.identity?.(req);
    const account = identity && this.options.accounts?.().users.find((a) => a.role === identity.role && a.name === identity.name);
    return account ? { role: account.role, name: account.name, hash: account.password.scrypt } : undefined;
  }

  /** Ends a stream; a client that does not take the end within END_GRACE_MS is cut. */
  private end(stream: Stream): void {
    stream.done = true;
    this.open.delete(stream);
    const { res } = stream;
    const socket = res.socket;
    const cut = setTimeout(() => socket?.destroy(), END_GRACE_MS);
    cut.unref();
    res.end(() => {
      clearTimeout(cut);
      // The connection goes too: a kept-alive one would carry the old credentials on.
      socket?.destroy();
    });
  }
}

/**
 * One feed to many streams: one subscription to `source` while anyone listens, each event made
 * into bytes once for the listeners whose filter (a set of keys: ioNames, device names) wants it.
 */
export class FanOut<E> {
  private readonly listeners = new Set<{ keys: ReadonlySet<string> | undefined; send: (chunk: Buffer) => void }>();
  private stop: (() => void) | undefined;

  constructor(
    private readonly source: (listener: (event: E) => void) => () => void,
    private readonly keyOf: (event: E) => string,
    private readonly render: (event: E) => Buffer,
  ) {}

  /** `send` gets every event whose key is in `keys` (all when absent); returns the removal. */
  subscribe(keys: ReadonlySet<string> | undefined, send: (chunk: Buffer) => void): () => void {
    const listener = { keys, send };
    this.listeners.add(listener);
    this.stop ??= this.source((event) => this.broadcast(event));
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.stop?.();
        this.stop = undefined;
      }
    };
  }

  private broadcast(event: E): void {
    let chunk: Buffer | undefined;
    for (const { keys, send } of this.listeners) {
      if (keys && !keys.has(this.keyOf(event))) continue;
      chunk ??= this.render(event);
      send(chunk);
    }
  }
}

/** A device's streams of `change` and `fault` events (GET /sim/v1/events) and MQTT messages. */
export class EventStreams extends BoundedStreams {
  /** The `change` events; the Device listener exists while a stream is open. */
  private readonly changes: FanOut<DeviceChange>;
  /**
   * The `fault` events (a fault injected or cleared, as GET /sim/v1/faults lists it), on the
   * streams without an ioName filter: a page or a test sees a module fail as it happens rather
   * than by polling the fault list.
   */
  private readonly faults: FanOut<FaultEvent>;

  constructor(
    private readonly device: Device,
    logger: Logger,
    options: EventStreamOptions,
  ) {
    super(logger, options);
    this.changes = new FanOut(
      (listener) => device.onChange(listener),
      (change) => change.ioName,
      (change) => Buffer.from(`id: ${change.seq}\nevent: change\ndata: ${JSON.stringify(change)}\n\n`),
    );
    this.faults = new FanOut(
      (listener) => device.faults.onChange(listener),
      () => '',
      // No id: the ids of the stream are the journal's change seqs.
      ({ type, fault }) => Buffer.from(`event: fault\ndata: ${JSON.stringify({ type, fault })}\n\n`),
    );
  }

  /** Starts a stream on `res`; `ioNames` (if given) limits it to those channels' changes, and no faults. */
  start(req: Request, res: Response, ioNames: ReadonlySet<string> | undefined): void {
    this.startFeed(req, res, `iothinx-sim events, lastSeq ${this.device.lastSeq}`, (send) => {
      const changes = this.changes.subscribe(ioNames, send);
      const faults = ioNames === undefined ? this.faults.subscribe(undefined, send) : undefined;
      return () => {
        changes();
        faults?.();
      };
    });
  }
}

export function eventRoutes(device: Device, streams: EventStreams): Route[] {
  return [
    route({
      method: 'get',
      path: '/events',
      summary: 'Server-Sent Events: `event: change`, `id:` = seq, `data:` = the change as JSON; `event: fault` when a fault is injected or cleared.',
      description: 'Heartbeat comments every 15 s. A `fault` event carries `{"type": "injected" | "cleared", "fault": {...}}`, the fault as GET /sim/v1/faults lists it (no `id:` line). Filter with ?ioName= (repeatable): changes of those channels only, and no fault events; an unknown ioName is 404. A client that does not read is cut off once limits.http.maxSseBufferBytes are buffered for it.',
      query: eventsQuery,
      response: changeSchema,
      stream: true,
      handle: ({ query, req, res }) => {
        const names = query.ioName === undefined ? undefined : new Set(typeof query.ioName === 'string' ? [query.ioName] : query.ioName);
        for (const name of names ?? []) {
          if (!device.findIoName(name)) throw new SimError('HTTP_NOT_FOUND', `no channel or register named ${name}`, { context: { path: 'ioName' } });
        }
        streams.start(req, res, names);
        return undefined;
      },
    }),
  ];
}

/**
 * Answers with the headers of a Server-Sent Events stream and an opening comment; false for
 * HEAD, which gets the headers only (the response is then ended).
 */
export function beginEventStream(req: Request, res: Response, greeting: string): boolean {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  if (req.method === 'HEAD') {
    res.end();
    return false;
  }
  res.flushHeaders();
  res.write(`: ${greeting}\n\n`);
  return true;
}
