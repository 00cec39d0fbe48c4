/**
 * The MQTT side of one emulator (reference §5): the topic table resolved from the profile, the
 * publisher, the write handler, the connection with its outbox, and (for `url: embedded`) the
 * embedded broker.
 *
 *   Device ──onChange/Clock──► Publisher ──► Outbox ──► MqttConnection ──► broker ──► subscribers
 *                                              │ QoS 1/2 not yet acknowledged, with a data dir
 *                                              ▼
 *                                   DATA_DIR/mqtt-queue.json (read at start, sent first)
 *   Device ◄──write(…, 'mqtt')── WriteHandler ◄── {deviceName}/write/+/+ ◄──┘
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import { ioClock, type Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { emitSafely } from '../device/listeners.js';
import { SimError } from '../errors.js';
import { withoutCredentials } from '../net-address.js';
import { EmbeddedBroker, type BrokerOptions } from './broker.js';
import { MqttConnection, type MqttError } from './connection.js';
import type { MqttLogEntry, MqttStatus, MqttTopic } from './contract.js';
import { Publisher } from './publisher.js';
import { Outbox } from './queue.js';
import { retainQueue, type QueueRetain } from './queue-store.js';
import { resolveTopics, statusTopic, writeTopicFilter, type MqttConfig, type PublishTopic } from './topics.js';
import { WriteHandler, type WriteResult } from './writes.js';

export interface MqttServiceOptions {
  /** Where the embedded broker listens when the URL is "embedded"; default 127.0.0.1:1883. */
  brokerListen?: { host: string; port: number };
  /** The embedded broker's bounds (#14 point 11): limits.broker, the accessible-IP list, the device's refusal counters. */
  brokerGuard?: Pick<BrokerOptions, 'limits' | 'accept' | 'refusals'>;
  /** Overrides mqtt.url (the CLI's --mqtt URL|embedded). */
  url?: string;
  /** Relative mqtt.tls paths are resolved against it (the profile's directory); default the cwd. */
  baseDir?: string;
  /**
   * The clock of the transport's timers: keep-alive, connect timeout, reconnect backoff, and the
   * rate limit of the write-rejection log. Default: the device clock when it is real, else a real
   * clock, because the broker enforces keep-alive in real time (a manual clock left alone would
   * get the client disconnected and never reconnected). Tests pass their manual clock.
   */
  transportClock?: Clock;
  /**
   * mqtt.publishOnStart waits for it: a fleet holds its devices' first publications until every
   * device has started, so they do not slow the start of the rest (each is ~160 QoS 1 messages).
   */
  initialPublishAfter?: Promise<void>;
  /** The client's byte stream to its broker, instead of a TCP connection to the URL (a fleet device to the fleet's embedded broker). */
  transport?: () => Duplex;
  /**
   * The emulator's data dir: the QoS 1/2 publications the broker has not acknowledged are kept in
   * its mqtt-queue.json and sent first after a restart (src/mqtt/queue-store.ts). Without it
   * they live as long as the service.
   */
  dataDir?: string | undefined;
}

// The status, topic and log-line documents of GET /sim/v1/mqtt... are declared in the contract.
export type { MqttLogEntry, MqttStatus };
/** A publish topic as GET /sim/v1/mqtt/topics lists it. */
export type TopicSummary = MqttTopic;

/** What the service reports as it runs (for /sim/v1 live status and tests); a throwing listener is logged, never fatal. */
export interface MqttEvents {
  /** Connected and subscribed. */
  connect: [];
  /** A failed attempt or a lost connection; the same object becomes status().lastError. */
  connectionError: [MqttError];
  /** A message on a write topic, applied or refused. */
  write: [WriteResult];
  /** Every publication handed to the outbox ('out') and every message received on a write topic ('in'). */
  message: [MqttLogEntry];
}

/** How many messages the log keeps (a ring: the oldest go first). */
export const MESSAGE_LOG_SIZE = 200;

/** A publish window of this many unacknowledged messages keeps order and throughput. */
const WINDOW = 64;

export class MqttService {
  readonly events = new EventEmitter<MqttEvents>();
  private readonly topicTable: PublishTopic[];
  private readonly writes: WriteHandler;
  private readonly outbox: Outbox;
  private connection: MqttConnection | undefined;
  private publisher: Publisher | undefined;
  private broker: EmbeddedBroker | undefined;
  private url: string | null = null;
  private unfault: () => void = () => {};
  private readonly transportClock: Clock;
  private readonly messages: MqttLogEntry[] = [];
  private retained: QueueRetain | undefined;

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    private readonly config: MqttConfig,
    private readonly logger: Logger,
    private readonly options: MqttServiceOptions = {},
  ) {
    const { topics, issues } = resolveTopics(device, config);
    if (issues.length > 0) {
      throw new SimError('PROFILE_INVALID', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'), {
        context: { issues, path: issues[0]?.path.join('.') ?? null },
      });
    }
    this.topicTable = topics;
    this.transportClock = options.transportClock ?? ioClock(clock);
    this.writes = new WriteHandler(device, this.transportClock, logger, () => this.url?.replace(/^[a-z]+:\/\//, '') ?? null);
    this.outbox = new Outbox(config.queue.max);
  }

  /** Starts the embedded broker if asked for, then the client; with the embedded broker, resolves once connected. */
  async start(): Promise<{ mqtt: string | null; broker: string | null }> {
    if (this.connection || this.retained) throw new Error('MqttService.start() called twice');
    const c = this.config;
    // Before anything can publish: what the last run left unacknowledged goes out first.
    const dataDir = this.options.dataDir;
    if (dataDir) this.retained = await retainQueue(this.outbox, c.queue.max, dataDir, ioClock(this.clock), this.logger);
    let url = this.options.url ?? c.url;
    const secure = /^(mqtts|wss):/.test(url);
    const tls = secure ? await this.readTls() : {};
    if (url === 'embedded') {
      const listen = this.options.brokerListen ?? { host: '127.0.0.1', port: 1883 };
      this.broker = await EmbeddedBroker.start(
        {
          ...listen,
          ...this.options.brokerGuard,
          // mqtt.username set: the broker asks every client for the device's own credentials.
          ...(c.username !== null ? { credentials: { username: c.username, password: c.password ?? '' } } : {}),
          ownClient: (address, port) => this.connection?.isOwnSocket(address, port) ?? 'unknown',
        },
        this.logger.child({ component: 'mqtt-broker' }),
      );
      url = `mqtt://${connectHost(listen.host)}:${this.broker.port}`;
    }
    this.url = url;
    const name = this.device.identity.name;
    const connection = new MqttConnection(
      {
        url,
        clientId: c.clientId ?? `${name}_${this.device.identity.serialNumber}`,
        username: c.username,
        password: c.password,
        keepAliveS: c.keepAliveS,
        cleanSession: c.cleanSession,
        connectTimeoutMs: c.connectTimeoutS * 1000,
        reconnect: c.reconnect,
        tls: { ...tls, minVersion: c.tls.minVersion, maxVersion: c.tls.maxVersion, rejectUnauthorized: c.tls.rejectUnauthorized, caFile: c.tls.ca },
        statusTopic: statusTopic(name),
        lastWill: c.lastWill,
        subscription: c.writes.enabled ? { topic: writeTopicFilter(name), qos: c.writes.qos } : null,
        window: WINDOW,
        ...(this.options.transport ? { dial: this.options.transport } : {}),
      },
      this.outbox,
      this.transportClock,
      this.logger,
      {
        connected: (first) => {
          if (first && c.publishOnStart) {
            const after = this.options.initialPublishAfter;
            if (after) void after.then(() => this.publisher?.publishAll());
            else this.publisher?.publishAll();
          }
          emitSafely(this.events, 'connect', [], this.logger);
        },
        message: (topic, payload, retained, qos) => {
          this.record({ direction: 'in', topic, payload: payload.toString('utf8'), qos, retain: retained, at: this.clock.now() });
          emitSafely(this.events, 'write', [this.writes.handle(topic, payload)], this.logger);
        },
        error: (error) => emitSafely(this.events, 'connectionError', [error], this.logger),
      },
    );
    this.connection = connection;
    this.publisher = new Publisher(this.device, this.clock, this.topicTable, { extraKeys: c.payload.extraKeys }, (m) => {
      connection.send(m);
      this.record({ direction: 'out', topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, at: this.clock.now() });
    });
    this.publisher.start();
    const held = () => this.device.faults.active().some((f) => f.spec.kind === 'mqtt-disconnect');
    this.unfault = this.device.faults.onChange((event) => {
      if (event.fault.spec.kind === 'mqtt-disconnect') connection.hold(held());
    });
    connection.hold(held());
    connection.start();
    this.logger.info({ url: withoutCredentials(url), topics: this.topicTable.length }, 'MQTT client started');
    // A broker in this process (its own, or a fleet's through `transport`) answers at once: the
    // device is started when its client is connected, as a client of an external one is not.
    if ((this.broker || this.options.transport) && !held()) await connection.whenConnected();
    return { mqtt: withoutCredentials(url), broker: this.broker?.address ?? null };
  }

  /** Closes the embedded broker's connections from hosts the accessible-IP list no longer allows. */
  recheckBrokerPeers(): void {
    this.broker?.recheckPeers();
  }

  /** Resolves when the client is connected (and subscribed to the write topics). */
  whenConnected(): Promise<void> {
    return this.connection?.whenConnected() ?? Promise.reject(new Error('the MQTT service is not started'));
  }

  /** Resolves once the broker has acknowledged every queued publication. */
  whenSent(): Promise<void> {
    return this.outbox.whenEmpty();
  }

  /**
   * Clean by default ({"value":"offline"}, then DISCONNECT). `abrupt` drops the connection
   * without DISCONNECT, so the broker publishes the last will (a power cut).
   */
  async close(options: { abrupt?: boolean } = {}): Promise<void> {
    this.unfault();
    this.publisher?.stop();
    try {
      await this.connection?.close(options);
    } finally {
      // After the connection: what it got acknowledged while closing is not written again.
      await this.retained?.stop();
      await this.broker?.close();
    }
  }

  status(): MqttStatus {
    const conn = this.connection?.status();
    return {
      state: conn?.state ?? 'idle',
      connected: conn?.connected ?? false,
      url: this.url === null ? null : withoutCredentials(this.url),
      clientId: conn?.clientId ?? null,
      broker: this.broker?.address ?? null,
      lastError: conn?.lastError ?? null,
      attempts: conn?.attempts ?? 0,
      queued: this.outbox.size,
      inFlight: conn?.inFlight ?? 0,
      published: this.outbox.published,
      dropped: this.outbox.dropped,
      unsentQos0: this.connection?.unsentQos0 ?? 0,
      restored: this.retained?.restored ?? 0,
      received: this.writes.received,
      rejectedWrites: this.writes.rejected,
      topics: this.topicTable.length,
    };
  }

  /** The enabled publish topics and their settings. */
  topics(): TopicSummary[] {
    return this.topicTable.map((t) => ({ topic: t.topic, class: t.class, qos: t.qos, retain: t.retain, trigger: t.trigger, intervalMs: t.intervalMs, deadband: t.deadband }));
  }

  /** The last MESSAGE_LOG_SIZE messages published or received, oldest first. */
  log(): MqttLogEntry[] {
    return [...this.messages];
  }

  private record(entry: MqttLogEntry): void {
    this.messages.push(entry);
    if (this.messages.length > MESSAGE_LOG_SIZE) this.messages.splice(0, this.messages.length - MESSAGE_LOG_SIZE);
    // A failing log listener (an SSE stream, a scenario) must not cost the publication or the write.
    emitSafely(this.events, 'message', [entry], this.logger);
  }

  private async readTls(): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
    const t = this.config.tls;
    const base = this.options.baseDir ?? process.cwd();
    const read = async (key: 'ca' | 'cert' | 'key', file: string | null): Promise<Buffer | undefined> => {
      if (file === null) return undefined;
      const path = isAbsolute(file) ? file : resolve(base, file);
      try {
        return await readFile(path);
      } catch (error) {
        throw new SimError('MQTT_TLS_CONFIG', `mqtt.tls.${key}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
          cause: error,
          context: { path: `mqtt.tls.${key}`, file: path },
        });
      }
    };
    return { ca: await read('ca', t.ca), cert: await read('cert', t.cert), key: await read('key', t.key) };
  }
}

/** The address a client on this host uses for a listen address. */
export function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
