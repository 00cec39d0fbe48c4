/**
 * The connection to the broker: one mqtt.js client per attempt (its own reconnect is off), so
 * every retry, its backoff and the connect timeout run on the injected Clock (STYLE 11), as does
 * mqtt.js's keep-alive (its `timerVariant`). The service gives it a real clock when the device's
 * clock is manual (src/mqtt/service.ts, `transportClock`).
 *
 *   attempt ─► CONNECT (will: {deviceName}/status {"value":"offline"}) ─► CONNACK
 *      ▲            │ refused / TLS / unreachable / timeout                │
 *      │            ▼                                                     ▼
 *   backoff ◄── lastError (logged once per distinct error)     {"value":"online"} (retained)
 *   min·2^(n-1), capped at max, no jitter                      SUBSCRIBE {deviceName}/write/+/+
 *      ▲                                                               │
 *      └──────────────────── connection lost ◄─── connected: the outbox drains in order
 *
 * No jitter: the emulator is one client, and a fixed schedule keeps runs on the manual clock
 * identical. A manual transport clock advanced by more than 1.5 × keep-alive in one step looks
 * like a silent broker to mqtt.js and makes the client reconnect; nothing queued is lost.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect, MqttClient, type IClientOptions, type Timer } from 'mqtt';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../device/clock.js';
import { describeError, type MqttError } from './connect-errors.js';
import type { Outbox, OutMessage } from './queue.js';
import type { ConnectionState } from './contract.js';
import { OFFLINE_PAYLOAD, ONLINE_PAYLOAD, type Qos } from './topics.js';

export type { MqttError } from './connect-errors.js';

export interface ConnectionSettings {
  url: string;
  clientId: string;
  username: string | null;
  password: string | null;
  keepAliveS: number;
  cleanSession: boolean;
  connectTimeoutMs: number;
  reconnect: { minMs: number; maxMs: number };
  tls: {
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    minVersion: 'TLSv1.2' | 'TLSv1.3';
    maxVersion: 'TLSv1.2' | 'TLSv1.3';
    rejectUnauthorized: boolean;
    caFile: string | null;
  };
  statusTopic: string;
  lastWill: { qos: Qos; retain: boolean };
  /** The write-topic subscription, or null when writes are off. */
  subscription: { topic: string; qos: Qos } | null;
  /** Publications in flight at once. */
  window: number;
  /**
   * Opens the connection's byte stream instead of dialling `url` (a fleet device to the fleet's
   * own embedded broker, src/mqtt/stream-pair.ts); `url` is then only what is shown and logged.
   */
  dial?: () => Duplex;
}

export interface ConnectionEvents {
  /** After CONNACK, the online message and the SUBACK; `first` on the first connection only. */
  connected(first: boolean): void;
  message(topic: string, payload: Buffer, retained: boolean, qos: Qos): void;
  /** A failed attempt or a lost connection (also in lastError). */
  error(error: MqttError): void;
}

/** Shown as GET /sim/v1/mqtt `state`, so declared in the contract. */
export type { ConnectionState };

interface Session {
  client: MqttClient | undefined;
  connacked: boolean;
  ready: boolean;
  error: Omit<MqttError, 'at'> | null;
  /** The library's own words for the last error, for a lost connection's message. */
  cause: string | null;
}

/** How long a clean shutdown may wait for the broker (SIGTERM must end the process within 5 s). */
const CLOSE_DEADLINE_MS = 1500;
/** mqtt.js's own CONNACK timer is pushed out of the way; ours runs on the Clock. */
const NEVER_MS = 2_147_483_647;

export class MqttConnection {
  private session: Session | null = null;
  private state: ConnectionState = 'idle';
  private closing = false;
  private everConnected = false;
  /** Failed attempts since the last successful connection; drives the backoff. */
  private failures = 0;
  private attempts = 0;
  private retryTimer: TimerHandle | undefined;
  private connectTimer: TimerHandle | undefined;
  private inFlight = 0;
  /** An injected mqtt-disconnect fault keeps the client away from the broker. */
  private held = false;
  private draining = false;
  private drainAgain = false;
  /** A publication was written at once in this turn; the rest of the turn is corked (flushFirst). */
  private batching = false;
  private lastLogged: string | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  lastError: MqttError | null = null;
  /** QoS 0 publications made while not connected: not queued (at most once), counted here. */
  unsentQos0 = 0;

  constructor(
    private readonly settings: ConnectionSettings,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly events: ConnectionEvents,
  ) {}

  start(): void {
    if (this.state === 'idle') this.attempt();
  }

  /**
   * The mqtt-disconnect fault (src/device/faults.ts): drop the connection the way a network
   * failure does (the socket dies, no DISCONNECT: the broker publishes the last will) and stay
   * away until released; then connect at once. QoS 1/2 messages queue meanwhile, as in any outage.
   */
  hold(on: boolean): void {
    this.held = on;
    if (on) {
      const s = this.session;
      if (s?.client) {
        s.cause = 'injected fault mqtt-disconnect';
        s.client.stream?.destroy();
      }
    } else if (!this.session && !this.closing && this.state !== 'closed' && this.state !== 'idle') {
      this.clock.clear(this.retryTimer);
      this.attempt();
    }
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /**
   * Whether a broker-side peer is this client's current socket: 'unknown' while that socket is
   * still connecting (no local port yet). The embedded broker exempts its own emulator's client
   * from the accessible-IP list and its client limit this way (src/mqtt/broker.ts).
   */
  isOwnSocket(address: string, port: number): 'yes' | 'no' | 'unknown' {
    const stream = this.session?.client?.stream as { connecting?: boolean; localAddress?: string; localPort?: number } | undefined;
    if (!stream) return 'no';
    if (stream.connecting) return 'unknown';
    const plain = (a: string | undefined) => a?.replace(/^::ffff:/, '');
    return stream.localPort === port && plain(stream.localAddress) === plain(address) ? 'yes' : 'no';
  }

  /** Resolves when connected (at once if it is); rejects if the connection is closed first. */
  whenConnected(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new Error('the MQTT connection is closed'));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Queues a publication (QoS 0 only while connected) and sends what the window allows. */
  send(message: OutMessage): void {
    if (message.qos === 0 && this.state !== 'connected') {
      this.unsentQos0 += 1;
      return;
    }
    this.outbox.push(message);
    this.drain();
  }

  status(): { state: ConnectionState; connected: boolean; url: string; clientId: string; lastError: MqttError | null; attempts: number; inFlight: number } {
    return { state: this.state, connected: this.connected, url: this.settings.url, clientId: this.settings.clientId, lastError: this.lastError, attempts: this.attempts, inFlight: this.inFlight };
  }

  /**
   * Clean: sends what is queued (briefly), publishes {"value":"offline"} and DISCONNECTs, so the
   * broker drops the will. Abrupt: drops the socket without DISCONNECT, so the broker publishes
   * the will, as when the device loses power.
   */
  async close(options: { abrupt?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.clock.clear(this.retryTimer);
    this.clock.clear(this.connectTimer);
    const s = this.session;
    const client = s?.client;
    if (s && client && s.ready && !options.abrupt) {
      await deadline(this.outbox.whenEmpty(), CLOSE_DEADLINE_MS);
      const w = this.settings.lastWill;
      await deadline(new Promise<void>((resolve) => client.publish(this.settings.statusTopic, OFFLINE_PAYLOAD, { qos: w.qos, retain: w.retain }, () => resolve())), CLOSE_DEADLINE_MS);
      this.finish();
      await deadline(new Promise<void>((resolve) => client.end(false, {}, () => resolve())), CLOSE_DEADLINE_MS);
    } else {
      this.finish();
      if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    }
  }

  private finish(): void {
    this.state = 'closed';
    this.session = null;
    this.inFlight = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new Error('the MQTT connection was closed'));
  }

  private attempt(): void {
    this.retryTimer = undefined;
    if (this.closing) return;
    if (this.held) {
      this.state = 'waiting';
      return;
    }
    this.state = 'connecting';
    this.attempts += 1;
    const s: Session = { client: undefined, connacked: false, ready: false, error: null, cause: null };
    this.session = s;
    let client: MqttClient;
    try {
      const dial = this.settings.dial;
      if (dial) {
        client = new MqttClient(() => dial(), this.clientOptions());
        // As connect() does: errors are read from the session's own 'error' listener below.
        client.on('error', () => {});
      } else client = connect(this.settings.url, this.clientOptions());
    } catch (error) {
      s.error = describeError(error as Error, this.settings);
      this.onClose(s);
      return;
    }
    s.client = client;
    this.connectTimer = this.clock.setTimeout(() => {
      if (this.session !== s || s.connacked) return;
      s.error = { code: 'MQTT_CONNECT_FAILED', message: `${this.settings.url}: no CONNACK within ${this.settings.connectTimeoutMs} ms` };
      this.onClose(s);
    }, this.settings.connectTimeoutMs);
    client.on('connect', () => this.onConnack(s));
    client.on('error', (error: Error & { code?: unknown }) => {
      if (this.session !== s) return;
      s.error = describeError(error, this.settings);
      s.cause = typeof error.code === 'string' ? `${error.message} (${error.code})` : error.message;
    });
    client.on('close', () => this.onClose(s));
    client.on('message', (topic, payload, packet) => {
      if (this.session === s) this.events.message(topic, payload, packet.retain, packet.qos);
    });
  }

  private onConnack(s: Session): void {
    const client = s.client;
    if (this.session !== s || !client) return;
    this.clock.clear(this.connectTimer);
    s.connacked = true;
    // mqtt.js leaves Nagle on. A QoS 0 publication after another (the broker answers neither)
    // then waits for the delayed ACK of the one before: ~40 ms (#19, bench/mqtt-mosquitto.mjs).
    // A fleet device's in-process stream has no such method and no such delay.
    (client.stream as Partial<Socket>).setNoDelay?.(true);
    const w = this.settings.lastWill;
    // Written before anything else on this connection, so a subscriber sees "online" first.
    client.publish(this.settings.statusTopic, ONLINE_PAYLOAD, { qos: w.qos, retain: w.retain });
    const sub = this.settings.subscription;
    if (!sub) {
      this.onReady(s);
      return;
    }
    client.subscribe(sub.topic, { qos: sub.qos }, (error, granted) => {
      if (this.session !== s) return;
      // [MQTT-3.9.3] 0x80 in the SUBACK: the broker refused the subscription.
      if (error || granted?.[0]?.qos === 128) {
        this.logger.warn({ topic: sub.topic, err: error }, 'the broker refused the write-topic subscription; MQTT writes will not arrive');
      }
      this.onReady(s);
    });
  }

  private onReady(s: Session): void {
    s.ready = true;
    this.state = 'connected';
    this.failures = 0;
    this.lastLogged = null;
    this.logger.info({ url: this.settings.url, attempts: this.attempts }, 'connected to the MQTT broker');
    const first = !this.everConnected;
    this.everConnected = true;
    // Rewind first: what the last connection left unacknowledged goes before anything new.
    this.outbox.rewind();
    this.events.connected(first);
    this.drain();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }

  private onClose(s: Session): void {
    if (this.session !== s) return;
    this.session = null;
    this.inFlight = 0;
    this.clock.clear(this.connectTimer);
    if (s.client) {
      s.client.removeAllListeners();
      s.client.on('error', () => {});
      s.client.end(true);
    }
    if (this.closing) return;
    const url = this.settings.url;
    if (s.ready) {
      this.note({ code: 'MQTT_CONNECTION_LOST', message: `${url}: connection lost${s.cause ? ` (${s.cause})` : ''}; QoS 1/2 messages queue until it is back` });
    } else {
      this.failures += 1;
      this.note(s.error ?? { code: 'MQTT_CONNECT_FAILED', message: `${url}: the connection closed before CONNACK` });
    }
    this.state = 'waiting';
    const { minMs, maxMs } = this.settings.reconnect;
    const delay = Math.min(maxMs, minMs * 2 ** Math.max(0, this.failures - 1));
    this.retryTimer = this.clock.setTimeout(() => this.attempt(), delay);
  }

  private note(error: Omit<MqttError, 'at'>): void {
    const noted = { ...error, at: new Date(this.clock.now()).toISOString() };
    this.lastError = noted;
    this.events.error(noted);
    const key = `${error.code} ${error.message}`;
    if (key === this.lastLogged) {
      this.logger.debug({ code: error.code, attempts: this.attempts }, error.message);
      return;
    }
    this.lastLogged = key;
    this.logger.warn({ code: error.code, attempts: this.attempts }, error.message);
  }

  /** Sends queued entries in order; re-entrant calls (mqtt.js acks QoS 0 synchronously) loop instead of recursing. */
  private drain(): void {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        this.drainOnce();
      } while (this.drainAgain);
    } finally {
      this.draining = false;
    }
  }

  private drainOnce(): void {
    const s = this.session;
    const client = s?.client;
    if (!s || !client || !s.ready) return;
    while (this.inFlight < this.settings.window) {
      const entry = this.outbox.next();
      if (!entry) return;
      this.inFlight += 1;
      const { topic, payload, qos, retain } = entry.message;
      client.publish(topic, payload, { qos, retain }, (error) => {
        // The broker has it, even when this session is already over (a clean close lets mqtt.js
        // wait for the last acks): it is not sent again, nor kept for the next run.
        if (!error) this.outbox.ack(entry.id);
        if (this.session !== s) return;
        this.inFlight -= 1;
        // An error on a live session means it is closing; the entry goes again on the next one.
        this.drain();
      });
      this.flushFirst(client.stream);
    }
  }

  /**
   * mqtt-packet corks the stream for every packet and uncorks it on the next tick, so a change
   * made inside a Modbus request went out only after the request's reply had been written and the
   * turn had ended (#19: ~60-150 µs of the FC5-to-subscriber latency). The first publication of a
   * turn is written at once instead; the rest of the turn stays corked and leaves in one write
   * when it ends, so a burst of changes still costs one syscall more, not one per message.
   */
  private flushFirst(stream: Duplex | undefined): void {
    if (this.batching || !stream) return;
    this.batching = true;
    // Undoes mqtt-packet's cork and takes its place: its pending next-tick uncork now ends ours,
    // and the rest of the turn's packets cork and uncork in pairs of their own.
    stream.uncork();
    stream.cork();
    process.nextTick(() => {
      this.batching = false;
    });
  }

  private clientOptions(): IClientOptions {
    const s = this.settings;
    const tls = s.tls;
    return {
      clientId: s.clientId,
      username: s.username ?? undefined,
      password: s.password ?? undefined,
      keepalive: s.keepAliveS,
      clean: s.cleanSession,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: NEVER_MS,
      resubscribe: false,
      queueQoSZero: false,
      // mqtt-packet's number cache is 65,536 two-byte Buffers made on the first packet: 25-50 ms
      // of a start and ~6 MB of heap, to save a 2-byte allocation per packet id or topic length.
      // The flag is global to mqtt-packet, so the embedded broker (aedes) does without it too.
      writeCache: false,
      will: { topic: s.statusTopic, payload: Buffer.from(OFFLINE_PAYLOAD), qos: s.lastWill.qos, retain: s.lastWill.retain },
      timerVariant: clockTimer(this.clock),
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: tls.rejectUnauthorized,
      // Passed through to tls.connect (IClientOptions does not declare them).
      ...{ minVersion: tls.minVersion, maxVersion: tls.maxVersion },
    };
  }
}

/** mqtt.js's keep-alive timer on the Clock. */
function clockTimer(clock: Clock): Timer {
  return {
    set: (fn: () => void, ms: number) => clock.setInterval(fn, ms).id,
    clear: (id: number) => clock.clear({ id }),
  } as Timer;
}

/** Waits for `promise`, at most `ms` of real time; used only on shutdown, which has a real deadline. */
function deadline(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
