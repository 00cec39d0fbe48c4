/**
 * The embedded broker (aedes) for `mqtt.url: embedded` and `--mqtt embedded`, so `npm start` plus
 * any MQTT client shows traffic at once. A convenience, on loopback by default (`--broker`), not
 * a production broker. Also the broker of the integration tests (optionally behind TLS,
 * optionally with one username/password). `handle(stream)` is the core, `start` a thin TCP/TLS
 * wrapper around it (STYLE 3).
 *
 * Every connection is bounded (#14 point 11; limits.broker, docs/security.md):
 *
 *   TCP accept ─► peer allowed (`accept`, the accessible-IP list)? at most maxClients sockets?
 *       (no: closed before a byte is read; broker_auth / broker_clients)
 *     ─► [TLS handshake] ─► PacketSizeGate: a packet over maxPacketBytes closes the connection
 *       (broker_packet_size) ─► aedes ─► CONNECT: preConnect re-checks the peer (the device's own
 *       client is known by now) ─► authenticate: credentials (CONNACK 4; broker_auth)
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import aedesPersistence from 'aedes-persistence';
import type { Logger } from 'pino';
import { brokerLimitsSchema } from '../config/limits.js';
import { Refusals, type LimitName } from '../device/refusals.js';
import { SimError } from '../errors.js';
import { formatAddress } from '../net-address.js';
import { PacketSizeGate, type GuardedStream } from './packet-limit.js';
import { indexRetained } from './retained-index.js';
import { streamPair } from './stream-pair.js';

// The package is CommonJS (module.exports = the factory) while its types declare an ES default
// export, so TypeScript types the import as the namespace; at run time it is the factory.
const memoryPersistence = aedesPersistence as unknown as typeof aedesPersistence.default;

/** Whether a peer is the emulator's own MQTT client: 'unknown' while that client is still connecting. */
export type OwnClient = (address: string, port: number) => 'yes' | 'no' | 'unknown';

export interface BrokerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Serve MQTT over TLS with this PEM certificate and key. */
  tls?: {
    cert: string | Buffer;
    key: string | Buffer;
    minVersion?: 'TLSv1.2' | 'TLSv1.3';
    maxVersion?: 'TLSv1.2' | 'TLSv1.3';
    /** Require a client certificate signed by this CA. */
    clientCa?: string | Buffer;
  };
  /** Require this username and password (CONNACK 4 otherwise); anonymous when absent. */
  credentials?: { username: string; password: string };
  /** limits.broker; the schema's defaults (1 MiB packets, 256 clients) when absent. */
  limits?: { maxPacketBytes: number; maxClients: number; maxRetained: number };
  /** The accessible-IP list: false closes the connection unanswered. Everyone when absent. */
  accept?: (address: string | undefined) => boolean;
  /** Exempts the emulator's own client from `accept` and maxClients (it must reach its broker). */
  ownClient?: OwnClient;
  /** Where refusals are counted (the device's, for /metrics); the broker's own when absent. */
  refusals?: { count(limit: LimitName): void };
}

export class EmbeddedBroker {
  private readonly sockets = new Set<Socket>();
  /** The broker's ends of in-process connections (connectInProcess), and what aedes sees of them. */
  private readonly inProcess = new Set<Duplex>();
  private readonly inProcessGates = new WeakSet<object>();
  private readonly clientsById = new Map<string, Client>();
  private closed = false;
  /** What the limits refused, by limit (the device's counters when given in the options). */
  readonly refusals: { count(limit: LimitName): void };
  private readonly limits: { maxPacketBytes: number; maxClients: number; maxRetained: number };
  private aedes!: Aedes;
  private server!: Server;
  private bound: AddressInfo | null = null;

  private constructor(
    private readonly options: BrokerOptions,
    private readonly logger: Logger | undefined,
  ) {
    this.refusals = options.refusals ?? new Refusals();
    this.limits = options.limits ?? brokerLimitsSchema.parse({});
  }

  /** "host:port" as bound. */
  get address(): string {
    return this.bound ? formatAddress(this.bound) : '';
  }

  get port(): number {
    return this.bound?.port ?? 0;
  }

  static async start(options: BrokerOptions, logger?: Logger): Promise<EmbeddedBroker> {
    const broker = new EmbeddedBroker(options, logger);
    await broker.listen();
    return broker;
  }

  private async listen(): Promise<void> {
    const { options, logger } = this;
    const credentials = options.credentials;
    const aedes = await Aedes.createBroker({
      persistence: indexRetained(memoryPersistence(), {
        maxTopics: this.limits.maxRetained,
        refused: (topic) => {
          this.refusals.count('broker_retained');
          logger?.debug({ topic, max: this.limits.maxRetained }, 'embedded broker: retained message on a new topic past limits.broker.maxRetained, delivered but not kept');
        },
      }),
      // [MQTT-3.1.4-1] the server may check the connection before it answers: the peer again,
      // now that the emulator's own client (exempt) can be told apart (see admit).
      preConnect: (client, _packet, done) => {
        const refused = this.inProcessGates.has(client.conn) ? null : this.admit(client.conn as unknown as GuardedStream, 'connect');
        if (refused) done(new Error(refused), false);
        else done(null, true);
      },
      authenticate: (_client, username, password, done) => {
        if (!credentials || (username === credentials.username && (password?.toString('utf8') ?? '') === credentials.password)) {
          done(null, true);
          return;
        }
        this.refusals.count('broker_auth');
        // [MQTT-3.2.2.3] return code 4: bad user name or password.
        done(Object.assign(new Error('bad username or password'), { returnCode: 4 }) as AuthenticateError, null);
      },
    });
    this.aedes = aedes;
    aedes.on('client', (client) => this.clientsById.set(client.id, client));
    aedes.on('clientDisconnect', (client) => {
      if (this.clientsById.get(client.id) === client) this.clientsById.delete(client.id);
    });
    aedes.on('clientError', (client, error) => logger?.debug({ clientId: client.id, err: error }, 'embedded broker: client error'));
    aedes.on('connectionError', (_client, error) => logger?.debug({ err: error }, 'embedded broker: connection refused or failed before CONNECT'));
    const t = options.tls;
    const server = t
      ? createTlsServer({
          cert: t.cert,
          key: t.key,
          minVersion: t.minVersion ?? 'TLSv1.2',
          maxVersion: t.maxVersion ?? 'TLSv1.3',
          ...(t.clientCa ? { ca: t.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
        })
      : createServer();
    this.server = server;
    // The raw TCP socket, before TLS: a refused peer costs no handshake.
    server.on('connection', (socket: Socket) => {
      const refused = this.admit(socket, 'accept');
      if (refused) {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      if (!t) this.handle(socket);
    });
    if (t) server.on('secureConnection', (socket: Socket) => this.handle(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      const where = formatAddress({ address: options.host, family: options.host.includes(':') ? 'IPv6' : 'IPv4', port: options.port });
      throw new SimError('MQTT_BROKER_LISTEN_FAILED', `embedded MQTT broker: cannot listen on ${where}: ${(error as Error).message}`, {
        cause: error,
        context: { host: options.host, port: options.port },
      });
    }
    this.bound = server.address() as AddressInfo;
  }

  /**
   * Why a connection is refused, or null to let it in; counts the refusal. At 'accept' the
   * emulator's own client may still be connecting (its socket has no local port yet): a peer
   * that could be it is let through to the check at 'connect', when it is known.
   */
  private admit(stream: GuardedStream, at: 'accept' | 'connect'): string | null {
    const address = stream.remoteAddress;
    const own = this.ownClient(stream);
    const mayBeOwn = at === 'accept' ? own !== 'no' : own === 'yes';
    if (mayBeOwn) return null;
    if (this.options.accept && !this.options.accept(address)) {
      this.refusals.count('broker_auth');
      return 'refused by the accessible-IP list';
    }
    // At 'accept' the socket is not in the set yet; at 'connect' it is.
    if (this.sockets.size - (at === 'connect' ? 1 : 0) >= this.limits.maxClients) {
      this.refusals.count('broker_clients');
      return `more than limits.broker.maxClients (${this.limits.maxClients}) connections`;
    }
    return null;
  }

  /**
   * Closes the connections of peers `accept` no longer allows (the accessible-IP list narrowed
   * while they were connected, #14 point 14 as for HTTP); the emulator's own client stays.
   */
  recheckPeers(): void {
    const accept = this.options.accept;
    if (!accept) return;
    for (const socket of this.sockets) {
      if (this.ownClient(socket) === 'no' && !accept(socket.remoteAddress)) socket.destroy();
    }
  }

  /** Whether the peer of `stream` is the emulator's own client ('no' without an ownClient option). */
  private ownClient(stream: GuardedStream): ReturnType<OwnClient> {
    const { remoteAddress, remotePort } = stream;
    return this.options.ownClient && remoteAddress !== undefined && remotePort !== undefined ? this.options.ownClient(remoteAddress, remotePort) : 'no';
  }

  /** Serves one MQTT connection over any duplex stream, its packets bounded by limits.broker.maxPacketBytes. */
  handle(stream: Duplex): Duplex {
    const gate = new PacketSizeGate(stream, this.limits.maxPacketBytes, (size) => {
      this.refusals.count('broker_packet_size');
      this.logger?.debug({ peer: gate.remoteAddress, size, max: this.limits.maxPacketBytes }, 'embedded broker: packet over limits.broker.maxPacketBytes, connection closed');
    });
    this.aedes.handle(gate);
    return gate;
  }

  /**
   * A client connection from inside this process (a fleet device's MQTT client, src/fleet/fleet.ts):
   * the client's end of an in-memory stream pair, with no socket on either side. It is the
   * process's own client, so the checks that guard the listener (the accessible-IP list,
   * maxClients) do not apply; its packets are bounded as any connection's.
   */
  connectInProcess(): Duplex {
    if (this.closed) throw new SimError('MQTT_BROKER_LISTEN_FAILED', 'the embedded MQTT broker is closed');
    const [client, broker] = streamPair();
    this.inProcess.add(broker);
    broker.once('close', () => this.inProcess.delete(broker));
    this.inProcessGates.add(this.handle(broker));
    return client;
  }

  /** Clients connected now. */
  get clients(): number {
    return this.aedes.connectedClients;
  }

  /** Cuts one client's connection without a DISCONNECT (its will fires); false if it is not connected. */
  dropClient(clientId: string): boolean {
    const client = this.clientsById.get(clientId);
    if (!client) return false;
    client.conn.destroy();
    return true;
  }

  /** Cuts every client connection without a DISCONNECT, as a network failure would: their wills fire. */
  dropClients(): void {
    for (const socket of this.sockets) socket.destroy();
    for (const stream of this.inProcess) stream.destroy();
  }

  /** Stops listening and drops every connection (retained messages are lost with the broker). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    for (const stream of this.inProcess) stream.destroy();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await stopped;
  }
}
