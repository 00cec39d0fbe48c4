/**
 * A real serial device (or one end of a socat pty pair) through Node's own TTY handle, without
 * the serialport package: the line is set up once with stty(1), and the bytes then go through
 * libuv's epoll-driven stream (tty.ReadStream, a net.Socket), so a read or a write costs an
 * event-loop turn instead of a round trip through libuv's thread pool as serialport's unix
 * binding does (fs.read / fs.write per chunk).
 *
 *   open:  fs.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK)   (no wait for carrier)
 *          stty -F path <baud> cs8 -parenb ... raw ... clocal cread min 1 time 0
 *          new tty.ReadStream(fd)   reads and writes (libuv reopens the tty by name, non-blocking)
 *   data:  'data' -> emitData;   'error' (EIO) / 'end' / 'close' not asked for -> emitLost, once
 *   close: destroy the stream, which closes the fd
 *
 * setRawMode is never called: libuv's raw mode keeps OPOST and sets ONLCR, which would turn a
 * 0x0A in a frame into 0x0D 0x0A. stty's `raw` plus the explicit flags below pass every byte
 * value untouched both ways (no CR/NL mapping, no XON/XOFF, no signals, no echo, no stripping).
 *
 * Linux (GNU stty -F) only; a Linux pty keeps no character format (the kernel forces cs8
 * -parenb), so on /dev/pts/* the parity and data bits are not asked for.
 */
import type * as ChildProcess from 'node:child_process';
import { closeSync, constants, open as openCallback, realpath } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Tty from 'node:tty';
import type { ReadStream } from 'node:tty';
import { promisify } from 'node:util';
import { SimError } from '../errors.js';
import type { LineSettings } from './rtu-frame.js';
import { DeviceTransport } from './device-transport.js';
import type { Transport } from './transport.js';

const openFd = promisify(openCallback);
// node:child_process and node:tty load on first open: only a start with a serial port needs them,
// and together they cost 4-8 ms of every start (#19).
const builtin = createRequire(import.meta.url);
const realpathAsync = promisify(realpath);

/** The stty arguments (after `-F path`) for a binary-transparent line with these settings. */
export function sttyArgs(line: LineSettings, pty = false): string[] {
  // A Linux pty refuses cs7 and parenb (it always is cs8 -parenb); a pty carries no bits anyway.
  const format = pty
    ? ['cs8', '-parenb']
    : [line.dataBits === 7 ? 'cs7' : 'cs8', line.parity === 'none' ? '-parenb' : 'parenb', line.parity === 'odd' ? 'parodd' : '-parodd'];
  return [
    String(line.baudRate),
    ...format,
    line.stopBits === 2 ? 'cstopb' : '-cstopb',
    // raw: -ignbrk -brkint -ignpar -parmrk -inpck -istrip -inlcr -igncr -icrnl -ixon -ixoff
    //      -icanon -opost -isig -iuclc -ixany -imaxbel -xcase min 1 time 0
    'raw',
    '-iexten',
    '-echo',
    '-echoe',
    '-echok',
    '-echoctl',
    '-echoke',
    '-echonl',
    '-opost',
    '-onlcr',
    '-ocrnl',
    '-icrnl',
    '-inlcr',
    '-igncr',
    '-istrip',
    '-ixon',
    '-ixoff',
    '-ixany',
    '-crtscts',
    'clocal',
    'cread',
    'min',
    '1',
    'time',
    '0',
  ];
}

function runStty(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    (builtin('node:child_process') as typeof ChildProcess).execFile('stty', args, { timeout: 5000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      const detail = String(stderr).trim().split('\n')[0] || error.message;
      reject(Object.assign(new Error(detail), { cause: error }));
    });
  });
}

export class TtyTransport extends DeviceTransport implements Transport {
  private stream: ReadStream | null = null;

  get isOpen(): boolean {
    return this.stream !== null && !this.stream.destroyed;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    const path = this.path;
    let fd: number;
    try {
      // O_NONBLOCK: do not wait for carrier on a modem-control line before clocal is set.
      fd = await openFd(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch (error) {
      throw new SimError('SERIAL_PORT_FAILED', `serial port ${path}: ${(error as Error).message}`, { cause: error });
    }
    let stream: ReadStream;
    try {
      // Configured while our fd holds the device open, so a driver that resets termios on the
      // last close cannot undo it.
      await this.configure();
      stream = new (builtin('node:tty') as typeof Tty).ReadStream(fd);
    } catch (error) {
      closeSync(fd);
      if (error instanceof SimError) throw error;
      throw new SimError('SERIAL_PORT_FAILED', `serial port ${path}: ${(error as Error).message}`, { cause: error });
    }
    this.closing = false;
    this.stream = stream;
    stream.on('data', (chunk: Buffer) => this.emitData(chunk));
    // A vanished device (USB unplugged, the pty's socat gone) shows as a read error (EIO), an
    // end of stream and/or a close the application did not ask for; the port is lost once.
    let lost = false;
    const lose = (error: Error) => {
      if (this.closing || lost) return;
      lost = true;
      if (this.stream === stream) this.stream = null;
      stream.destroy();
      this.emitLost(new SimError('SERIAL_PORT_FAILED', `serial port ${path} lost: ${error.message}`, { cause: error }));
    };
    stream.on('error', lose);
    stream.on('end', () => lose(new Error('end of stream (hang-up)')));
    stream.on('close', () => lose(new Error('closed')));
  }

  private async configure(): Promise<void> {
    const real = await realpathAsync(this.path).catch(() => this.path);
    const args = sttyArgs(this.line, real.startsWith('/dev/pts/'));
    try {
      await runStty(['-F', this.path, ...args]);
    } catch (error) {
      const message = (error as Error).message;
      const rate = this.line.baudRate;
      // GNU stty names a rate it has no constant for: "stty: invalid argument '250000'".
      if (/invalid argument \W?\d+\W?$/.test(message) && message.includes(String(rate))) {
        throw new SimError('SERIAL_PORT_FAILED', `serial port ${this.path}: baud rate ${rate} is not supported (stty takes only the standard rates): ${message}`, {
          cause: error,
        });
      }
      throw new SimError('SERIAL_PORT_FAILED', `serial port ${this.path}: cannot set ${rate} ${this.line.dataBits}${this.line.parity[0]!.toUpperCase()}${this.line.stopBits} with stty: ${message}`, {
        cause: error,
      });
    }
  }

  async write(bytes: Buffer): Promise<void> {
    const stream = this.stream;
    if (!stream || stream.destroyed) throw new SimError('SERIAL_PORT_FAILED', `serial port ${this.path} is not open`);
    await new Promise<void>((resolve, reject) => {
      // The callback comes once the bytes are in the kernel's tty buffer (libuv tries the write
      // at once); no tcdrain: the master accounts for the bytes' time on the wire (transmitMs).
      stream.write(bytes, (error) =>
        error ? reject(new SimError('SERIAL_PORT_FAILED', `serial port ${this.path}: write failed: ${error.message}`, { cause: error })) : resolve(),
      );
    });
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.closing = true;
    this.stream = null;
    if (!stream || stream.closed) return;
    await new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      stream.destroy();
    });
  }
}
