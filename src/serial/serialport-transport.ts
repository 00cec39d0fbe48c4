/**
 * A real serial device (or one end of a socat pty pair) through the serialport package, which
 * is loaded on first open: its native binding is not needed by a device without a serial port,
 * and start-up time matters to CI users.
 */
import { createRequire } from 'node:module';
import type { SerialPort } from 'serialport';
import { SimError } from '../errors.js';
import { DeviceTransport } from './device-transport.js';
import type { Transport } from './transport.js';

export class SerialPortTransport extends DeviceTransport implements Transport {
  private port: SerialPort | null = null;

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    // require, not import(): the CLI runs as a CJS bundle from a V8 code cache, where a dynamic
    // import of an external package has no loader to call.
    const { SerialPort } = createRequire(import.meta.url)('serialport') as typeof import('serialport');
    const port = new SerialPort({
      path: this.path,
      baudRate: this.line.baudRate,
      dataBits: this.line.dataBits,
      parity: this.line.parity,
      stopBits: this.line.stopBits,
      autoOpen: false,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((error) => (error ? reject(new SimError('SERIAL_PORT_FAILED', `serial port ${this.path}: ${error.message}`, { cause: error })) : resolve()));
    });
    this.closing = false;
    this.port = port;
    port.on('data', (chunk: Buffer) => this.emitData(chunk));
    // A vanished device (USB unplugged, the pty's socat gone) shows as an error and/or a close
    // the application did not ask for; either way the port is lost once.
    let lost = false;
    const lose = (error: Error) => {
      if (this.closing || lost) return;
      lost = true;
      this.port = null;
      if (port.isOpen) port.close(() => {});
      this.emitLost(new SimError('SERIAL_PORT_FAILED', `serial port ${this.path} lost: ${error.message}`, { cause: error }));
    };
    port.on('error', lose);
    port.on('close', (error: Error | null) => lose(error ?? new Error('closed')));
  }

  async write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port) throw new SimError('SERIAL_PORT_FAILED', `serial port ${this.path} is not open`);
    await new Promise<void>((resolve, reject) => {
      // No drain(): tcdrain runs on libuv's thread pool and costs a round trip per frame; the
      // master accounts for the bytes' time on the wire itself (transmitMs).
      port.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    this.closing = true;
    this.port = null;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
