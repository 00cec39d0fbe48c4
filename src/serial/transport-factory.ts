/**
 * Builds the transport a port name asks for (the table is in transport.ts). Kept apart from the
 * Transport interface so that the implementations, which import the interface, and the factory,
 * which imports the implementations, form no import cycle (#15 item 5).
 */
import { SimError } from '../errors.js';
import type { LineSettings } from './rtu-frame.js';
import { SerialPortTransport } from './serialport-transport.js';
import { TcpTransport } from './tcp-transport.js';
import { parseTcpPort, portKind, type Transport } from './transport.js';
import { TtyTransport } from './tty-transport.js';

/** A transport for a serial device path or a tcp:// address; virtual ports come from their bus. */
export function createTransport(port: string, line: LineSettings): Transport {
  const kind = portKind(port);
  if (kind === 'tcp') return new TcpTransport(parseTcpPort(port));
  if (kind === 'virtual') throw new SimError('SERIAL_PORT_INVALID', `serial.port ${port}: a virtual port is opened through its VirtualBus`);
  return process.platform === 'linux' ? new TtyTransport(port, line) : new SerialPortTransport(port, line);
}
