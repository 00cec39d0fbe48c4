/**
 * GET /sim/v1/events: Server-Sent Events, one `change` event per Device change, `id:` = seq so
 * a client sees a gap. A comment opens the stream and a comment every 15 s keeps proxies and
 * idle timeouts away (transport keepalive: real, unref'd timers, not the device clock).
 *
 *   Device.onChange ─► filter (ioName) ─► "id: 7\nevent: change\ndata: {...}\n\n" ─► res
 *
 * A client that stops reading is cut off once 1 MiB is buffered for it, so it cannot hold the
 * emulator's memory; it reconnects and sees the seq gap. Missed events are not replayed.
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Device, DeviceChange } from '../device/device.js';
import { SimError } from '../errors.js';
import { route, type Route } from './route.js';
import { changeSchema, eventsQuery } from './schemas.js';

export const HEARTBEAT_MS = 15_000;
const MAX_BUFFERED = 1 << 20;

export class EventStreams {
  private readonly open = new Set<Response>();

  constructor(
    private readonly device: Device,
    private readonly logger: Logger,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Starts a stream on `res`; `ioNames` (if given) limits it to those channels. */
  start(req: Request, res: Response, ioNames: ReadonlySet<string> | undefined): void {
    this.open_(req, res, `iothinx-sim events, lastSeq ${this.device.lastSeq}`, (send) =>
      this.device.onChange((change: DeviceChange) => {
        if (ioNames && !ioNames.has(change.ioName)) return;
        send(`id: ${change.seq}\nevent: change\ndata: ${JSON.stringify(change)}\n\n`);
      }),
    );
  }

  /** Starts a stream of `event: mqtt` messages on `res` (GET /sim/v1/mqtt/log/stream). */
  startMqtt(req: Request, res: Response, onMessage: (listener: (message: object) => void) => () => void): void {
    this.open_(req, res, 'iothinx-sim MQTT messages', (send) => onMessage((message) => send(`event: mqtt\ndata: ${JSON.stringify(message)}\n\n`)));
  }

  /** The SSE plumbing: headers, the opening comment, heartbeat, slow-client cut-off, cleanup. */
  private open_(req: Request, res: Response, greeting: string, subscribe: (send: (chunk: string) => void) => () => void): void {
    if (!beginEventStream(req, res, greeting)) return;
    this.open.add(res);

    const unsubscribe = subscribe((chunk) => {
      if (res.writableEnded || res.destroyed) return;
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED) {
        this.logger.warn({ peer: req.socket.remoteAddress, buffered: res.writableLength }, 'event stream client too slow; closing it');
        res.destroy();
      }
    });
    const heartbeat = setInterval(() => {
      if (!res.writableEnded && !res.destroyed) res.write(': heartbeat\n\n');
    }, HEARTBEAT_MS);
    heartbeat.unref();
    res.on('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
      this.open.delete(res);
    });
  }

  /**
   * Ends every open stream (server shutdown) and then its connection: a client that has stopped
   * reading would otherwise keep it busy, and the server's close would wait for it.
   */
  closeAll(): void {
    for (const res of this.open) {
      const socket = res.socket;
      res.end(() => socket?.destroy());
    }
    this.open.clear();
  }
}

export function eventRoutes(device: Device, streams: EventStreams): Route[] {
  return [
    route({
      method: 'get',
      path: '/events',
      summary: 'Server-Sent Events: `event: change`, `id:` = seq, `data:` = the change as JSON.',
      description: 'Heartbeat comments every 15 s. Filter with ?ioName= (repeatable); an unknown ioName is 404.',
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
