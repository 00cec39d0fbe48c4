import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSimError } from '../../src/errors.js';
import type { LineSettings } from '../../src/serial/rtu-frame.js';
import { sttyArgs, TtyTransport } from '../../src/serial/tty-transport.js';

const line: LineSettings = { baudRate: 115_200, parity: 'none', dataBits: 8, stopBits: 1 };
const haveSocat = process.platform === 'linux' && !spawnSync('socat', ['-V']).error && !spawnSync('stty', ['--version']).error;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Pair {
  a: string;
  b: string;
  socat: ChildProcess;
  dir: string;
}

const pairs: Pair[] = [];
const transports: TtyTransport[] = [];

async function ptyPair(): Promise<Pair> {
  const dir = mkdtempSync(join(tmpdir(), 'tty-transport-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const pair = { a, b, socat, dir };
  pairs.push(pair);
  for (let i = 0; i < 500 && !(existsSync(a) && existsSync(b)); i++) await sleep(10);
  if (!(existsSync(a) && existsSync(b))) throw new Error('socat did not create the pty pair');
  return pair;
}

function transport(path: string, settings = line): TtyTransport {
  const t = new TtyTransport(path, settings);
  transports.push(t);
  return t;
}

/** Resolves with the first `n` bytes the transport delivers, however they are chunked. */
function collect(t: TtyTransport, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let length = 0;
    t.onData((chunk) => {
      parts.push(Buffer.from(chunk));
      length += chunk.length;
      if (length >= n) resolve(Buffer.concat(parts));
    });
  });
}

afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
  for (const pair of pairs.splice(0)) {
    if (pair.socat.exitCode === null && pair.socat.signalCode === null) {
      const exited = once(pair.socat, 'exit');
      pair.socat.kill('SIGTERM');
      await exited;
    }
    rmSync(pair.dir, { recursive: true, force: true });
  }
});

describe('sttyArgs', () => {
  it('asks for a raw line with no byte mapping, flow control or echo', () => {
    const args = sttyArgs(line);
    expect(args.slice(0, 5)).toEqual(['115200', 'cs8', '-parenb', '-parodd', '-cstopb']);
    for (const flag of ['raw', '-echo', '-opost', '-onlcr', '-icrnl', '-ixon', '-ixoff', '-crtscts', 'clocal', 'cread', '-istrip']) expect(args).toContain(flag);
    expect(args.join(' ')).toMatch(/min 1 time 0$/);
  });

  it('maps parity, data bits and stop bits; a pty always gets cs8 -parenb', () => {
    expect(sttyArgs({ baudRate: 9600, parity: 'odd', dataBits: 7, stopBits: 2 }).slice(0, 5)).toEqual(['9600', 'cs7', 'parenb', 'parodd', 'cstopb']);
    expect(sttyArgs({ baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 }).slice(0, 5)).toEqual(['9600', 'cs8', 'parenb', '-parodd', '-cstopb']);
    expect(sttyArgs({ baudRate: 9600, parity: 'even', dataBits: 7, stopBits: 1 }, true).slice(0, 4)).toEqual(['9600', 'cs8', '-parenb', '-cstopb']);
  });
});

describe.skipIf(!haveSocat)('TtyTransport over a socat pty pair', () => {
  it('carries all 256 byte values untouched in both directions', async () => {
    const pair = await ptyPair();
    const a = transport(pair.a);
    const b = transport(pair.b);
    await a.open();
    await b.open();
    expect(a.isOpen).toBe(true);
    expect(a.description).toBe(pair.a);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const atB = collect(b, 256);
    await a.write(all);
    expect((await atB).equals(all)).toBe(true);
    const reversed = Buffer.from(all).reverse();
    const atA = collect(a, 256);
    await b.write(reversed);
    expect((await atA).equals(reversed)).toBe(true);
  });

  it('works again on the same pty with parity asked for (a pty has none)', async () => {
    const pair = await ptyPair();
    const a = transport(pair.a, { baudRate: 9600, parity: 'even', dataBits: 8, stopBits: 1 });
    await a.open();
    expect(a.isOpen).toBe(true);
  });

  it('refuses a non-standard baud rate, naming the port and the rate', async () => {
    const pair = await ptyPair();
    const t = transport(pair.a, { ...line, baudRate: 250_000 });
    const error = await t.open().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSimError(error, 'SERIAL_PORT_FAILED')).toBe(true);
    expect((error as Error).message).toContain(pair.a);
    expect((error as Error).message).toContain('250000');
    expect(t.isOpen).toBe(false);
  });

  it('refuses a missing device', async () => {
    const t = transport('/nonexistent/ttyNOPE');
    await expect(t.open()).rejects.toMatchObject({ code: 'SERIAL_PORT_FAILED' });
  });

  it('reports the port lost exactly once when socat dies', async () => {
    const pair = await ptyPair();
    const a = transport(pair.a);
    await a.open();
    const lost: Error[] = [];
    a.onLost((error) => lost.push(error));
    pair.socat.kill('SIGKILL');
    for (let i = 0; i < 200 && lost.length === 0; i++) await sleep(10);
    await sleep(100);
    expect(lost).toHaveLength(1);
    expect(isSimError(lost[0], 'SERIAL_PORT_FAILED')).toBe(true);
    expect(lost[0]!.message).toContain(pair.a);
    expect(a.isOpen).toBe(false);
    await expect(a.write(Buffer.from([1]))).rejects.toMatchObject({ code: 'SERIAL_PORT_FAILED' });
  });

  it('close() releases the port without reporting it lost, and it opens again', async () => {
    const pair = await ptyPair();
    const a = transport(pair.a);
    await a.open();
    const lost: Error[] = [];
    a.onLost((error) => lost.push(error));
    await a.close();
    expect(a.isOpen).toBe(false);
    await sleep(50);
    expect(lost).toHaveLength(0);
    await a.open();
    const b = transport(pair.b);
    await b.open();
    const atB = collect(b, 3);
    await a.write(Buffer.from([0x0a, 0x0d, 0x11]));
    expect([...(await atB)]).toEqual([0x0a, 0x0d, 0x11]);
  });
});
