/**
 * The embedded broker (aedes) for `mqtt.url: embedded` and `--mqtt embedded`, so `npm start` plus
 * any MQTT client shows traffic at once. Also the broker of the integration tests (optionally
 * behind TLS, optionally with one username/password). `handle(stream)` is the core, `start` a
 * thin TCP/TLS wrapper around it (STYLE 3).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { SimError } from '../errors.js';
import { formatAddress } from '../net-address.js';

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
}

export class EmbeddedBroker {
  private readonly sockets = new Set<Socket>();
  private readonly clientsById = new Map<string, Client>();
  private closed = false;

  private constructor(
    private readonly aedes: Aedes,
    private readonly server: Server,
    /** "host:port" as bound. */
    readonly address: string,
    readonly port: number,
  ) {
    aedes.on('client', (client) => this.clientsById.set(client.id, client));
    aedes.on('clientDisconnect', (client) => {
      if (this.clientsById.get(client.id) === client) this.clientsById.delete(client.id);
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: BrokerOptions, logger?: Logger): Promise<EmbeddedBroker> {
    const credentials = options.credentials;
    const aedes = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => {
        if (!credentials || (username === credentials.username && password?.toString('utf8') === credentials.password)) {
          done(null, true);
          return;
        }
        // [MQTT-3.2.2.3] return code 4: bad user name or password.
        done(Object.assign(new Error('bad username or password'), { returnCode: 4 }) as AuthenticateError, null);
      },
    });
    aedes.on('clientError', (client, error) => logger?.debug({ clientId: client.id, err: error }, 'embedded broker: client error'));
    const handle = (stream: Duplex) => aedes.handle(stream);
    const t = options.tls;
    const server = t
      ? createTlsServer(
          {
            cert: t.cert,
            key: t.key,
            minVersion: t.minVersion ?? 'TLSv1.2',
            maxVersion: t.maxVersion ?? 'TLSv1.3',
            ...(t.clientCa ? { ca: t.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          },
          handle,
        )
      : createServer(handle);
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
      throw new SimError('MQTT_BROKER_LISTEN_FAILED', `embedded MQTT broker: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`, {
        cause: error,
        context: { host: options.host, port: options.port },
      });
    }
    const bound = server.address() as AddressInfo;
    return new EmbeddedBroker(aedes, server, formatAddress(bound), bound.port);
  }

  /** Serves one MQTT connection over any duplex stream. */
  handle(stream: Duplex): void {
    this.aedes.handle(stream);
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
  }

  /** Stops listening and drops every connection (retained messages are lost with the broker). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await stopped;
  }
}
