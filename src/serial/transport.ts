/**
 * A byte pipe to the bus. The master and the RTU slave only see this, so the same code runs on
 * a real serial device (or one end of a socat pty pair), on RTU carried raw over TCP, and on the
 * in-process virtual bus that virtual field devices sit on.
 *
 *   "/dev/ttyUSB0", "/tmp/ttyV0"  -> TtyTransport on Linux (stty + libuv's TTY stream: no thread-pool
 *                                    round trip per frame, 2.5x the polls/s of serialport over a pty),
 *                                    SerialPortTransport (the serialport package) elsewhere
 *   "tcp://host:port"             -> TcpTransport (RTU frames over a TCP stream, e.g. a serial server)
 *   "virtual:NAME"                -> a VirtualBus endpoint (src/serial/virtual-bus.ts)
 *
 * This module holds the interface and the port-name rules only; createTransport() lives in
 * transport-factory.ts, because the implementations import this interface and a factory here
 * would make every transport and this module import each other (#15 item 5).
 */
import { SimError } from '../errors.js';

export interface Transport {
  /** What the port is, for status and logs. */
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  /** Resolves once the bytes are handed to the OS (or to the bus). */
  write(bytes: Buffer): Promise<void>;
  close(): Promise<void>;
  /** Every chunk as it arrives. */
  onData(listener: (chunk: Buffer) => void): void;
  /** The port went away without close() being called (unplugged, peer gone). */
  onLost(listener: (error: Error) => void): void;
}

export type PortKind = 'serial' | 'tcp' | 'virtual';

export function portKind(port: string): PortKind {
  if (port.startsWith('tcp://')) return 'tcp';
  if (port.startsWith('virtual:')) return 'virtual';
  return 'serial';
}

/** Parses `tcp://host:port`, refusing anything else with a message naming the setting. */
export function parseTcpPort(port: string): { host: string; port: number } {
  const match = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(port);
  const number = match ? Number(match[2]) : NaN;
  if (!match || number < 1 || number > 65_535) {
    throw new SimError('SERIAL_PORT_INVALID', `serial.port ${port}: expected tcp://host:port with a port 1..65535`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: number };
}
