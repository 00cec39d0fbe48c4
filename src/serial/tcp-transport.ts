/**
 * RTU frames carried raw over a TCP stream ("RTU over TCP"), as serial device servers such as a
 * Moxa NPort in TCP server mode offer them: the bytes are exactly the serial line's.
 */
import { Socket } from 'node:net';
import { SimError } from '../errors.js';
import { TransportEvents } from './transport-events.js';
import type { Transport } from './transport.js';

export class TcpTransport extends TransportEvents implements Transport {
  private socket: Socket | null = null;

  constructor(private readonly target: { host: string; port: number }) {
    super();
  }

  get description(): string {
    return `tcp://${this.target.host.includes(':') ? `[${this.target.host}]` : this.target.host}:${this.target.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== null;
  }

  async open(): Promise<void> {
    const socket = new Socket();
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => reject(new SimError('SERIAL_PORT_FAILED', `${this.description}: ${error.message}`, { cause: error }));
      socket.once('error', fail);
      socket.connect(this.target.port, this.target.host, () => {
        socket.off('error', fail);
        resolve();
      });
    });
    this.socket = socket;
    socket.on('data', (chunk) => this.emitData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.emitLost(new SimError('SERIAL_PORT_FAILED', `${this.description}: connection closed by the peer`));
    });
  }

  async write(bytes: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket) throw new SimError('SERIAL_PORT_FAILED', `${this.description} is not connected`);
    await new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      socket.destroySoon();
    });
  }
}
