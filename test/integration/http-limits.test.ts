/**
 * Issue #14, the HTTP listener's bounds: bad input answered 4xx (point 15), the body limit,
 * connection caps and timeouts (point 10), and slow event-stream subscribers (point 7). Real
 * sockets on 127.0.0.1 (and 127.0.0.2 for a second host), port 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Runner } from '../../src/app/runner.js';
import { profileSchema } from '../../src/config/profile.js';
import { startSimApp, type SimApp } from '../helpers/sim-app.js';
import { until } from '../helpers/until.js';

const apps: SimApp[] = [];
const runners: Runner[] = [];
const sockets: Socket[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const app of apps.splice(0)) await app.close();
  for (const runner of runners.splice(0)) await runner.stop();
});

/** The whole emulator as `start` wires it (listeners, gate, refusals), HTTP only, with these limits.http. */
async function startEmulator(http: object): Promise<{ runner: Runner; address: string; port: number }> {
  const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }], limits: { http } });
  const runner = await Runner.start({ profileFile: '(inline)', profile, store: undefined, dataDir: undefined, http: { host: '127.0.0.1', port: 0 }, https: null, modbus: null, mqtt: 'off', broker: null, snmp: null, clock: 'manual', seed: 1, logger: pino({ level: 'silent' }) });
  runners.push(runner);
  const address = runner.addresses.http!;
  return { runner, address, port: Number(address.split(':')[1]) };
}

interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Waits (bounded) for the connection to be closed. */
  closed(what: string): Promise<true>;
}

/** A raw TCP connection from `localAddress`, sending `request` (if any) and reading whatever comes. */
function open(port: number, localAddress: string, request?: string): RawConnection {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  sockets.push(socket);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => {});
  if (request !== undefined) socket.write(request);
  let isClosed = false;
  socket.once('close', () => (isClosed = true));
  return { socket, received: () => text, closed: (what) => until(what, () => (isClosed ? true : undefined)) };
}

const HEALTH = 'GET /sim/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

/** A keep-alive connection that got its answer (admitted), or 'refused' when closed without one. */
async function admitted(port: number, localAddress: string): Promise<RawConnection | 'refused'> {
  const c = open(port, localAddress, HEALTH);
  return until(`an answer or a close from ${localAddress}`, () => {
    if (c.received().includes('\r\n\r\n')) return c;
    if (c.socket.destroyed) return 'refused' as const;
    return undefined;
  });
}

async function start(limits: object = {}): Promise<SimApp> {
  const sim = await startSimApp(profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }, { slot: 2, module: '45MR-2600' }], limits: { http: limits } }));
  apps.push(sim);
  return sim;
}

const DAC = { accept: 'vdn.dac.v2', 'content-type': 'application/json' };
const DO = '/api/io/do/45MR-2600-0@DO-00/doStatus';

async function send(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('#14.15: malformed input is a 4xx naming the problem, not a 500', () => {
  it('#14.15: a path parameter with bad percent-encoding is 400', async () => {
    const sim = await start();
    const reply = await send(`${sim.base}/slots/%zz/channels/0`);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ statusCode: 400, code: 'HTTP_BAD_REQUEST' });
    expect(reply.body.message).toMatch(/percent-encoding/);
  });

  for (const encoding of ['gzip', 'deflate', 'br']) {
    it(`#14.15: a /sim/v1 body labelled Content-Encoding: ${encoding} that is not is 400, and changes nothing`, async () => {
      const sim = await start();
      const reply = await send(`${sim.base}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: '{"level":1}' });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ statusCode: 400, code: 'HTTP_BAD_REQUEST', path: null });
      expect(reply.body.message).toContain(`not valid ${encoding}`);
      expect(sim.device.channel(1, 0).read('diStatus')).toBe(0);
    });

    it(`#14.15: an /api body labelled Content-Encoding: ${encoding} that is not is 400 InvalidJsonFormat`, async () => {
      const sim = await start();
      const root = sim.base.replace('/sim/v1', '');
      const reply = await send(root + DO, { method: 'PUT', headers: { ...DAC, 'content-encoding': encoding }, body: '{"value":1}' });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ error: { code: 201, message: 'InvalidJsonFormat' } });
      expect(JSON.stringify(reply.body)).toContain(`not valid ${encoding}`);
      expect(sim.device.channel(2, 0).read('doStatus')).toBe(0);
    });
  }

  it('#14.15: a really compressed body is still accepted; an unknown encoding is 415', async () => {
    const sim = await start();
    const ok = await fetch(`${sim.base}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync('{"level":1}') });
    expect(ok.status).toBe(200);
    expect(sim.device.channel(1, 0).read('diStatus')).toBe(1);
    const unknown = await send(`${sim.base}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json', 'content-encoding': 'x-nonsense' }, body: '{"level":0}' });
    expect(unknown.status).toBe(415);
    expect(unknown.body).toMatchObject({ code: 'HTTP_UNSUPPORTED_MEDIA_TYPE' });
  });
});

describe('body limit (limits.http.maxBodyBytes)', () => {
  it('refuses a larger body with 413 on /sim/v1 and /api, naming the limit, and counts it', async () => {
    const sim = await start({ maxBodyBytes: 2048 });
    const big = JSON.stringify({ level: 1, pad: 'x'.repeat(4096) });
    const simReply = await send(`${sim.base}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: big });
    expect(simReply.status).toBe(413);
    expect(simReply.body.message).toContain('2 KiB');
    const root = sim.base.replace('/sim/v1', '');
    const apiReply = await send(root + DO, { method: 'PUT', headers: DAC, body: JSON.stringify({ value: 1, pad: 'x'.repeat(4096) }) });
    expect(apiReply.status).toBe(413);
    expect(sim.device.refusals.get('http_body_size')).toBe(2);
    expect(sim.device.channel(2, 0).read('doStatus')).toBe(0);
  });
});

describe('#14.10: HTTP connection caps and timeouts (limits.http)', () => {
  it('#14.10: past maxConnectionsPerHost a host is refused at accept and counted; another host still gets in, up to maxConnections', async () => {
    const { runner, port } = await startEmulator({ maxConnections: 4, maxConnectionsPerHost: 3, keepAliveTimeoutMs: 600_000, headersTimeoutMs: 600_000, requestTimeoutMs: 600_000 });
    const refusals = runner.emulatorNow.device.refusals;
    const first: RawConnection[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await admitted(port, '127.0.0.1');
      expect(c, `connection ${i + 1} from 127.0.0.1`).not.toBe('refused');
      first.push(c as RawConnection);
    }
    expect(await admitted(port, '127.0.0.1')).toBe('refused');
    expect(refusals.get('http_connections_per_host')).toBe(1);
    // 127.0.0.2 is another host: under its own cap, but only one place is left in all.
    expect(await admitted(port, '127.0.0.2')).not.toBe('refused');
    expect(await admitted(port, '127.0.0.2')).toBe('refused');
    expect(refusals.get('http_connections')).toBe(1);
    // A place freed is a place again.
    first[0]!.socket.destroy();
    await first[0]!.closed('our own close');
    await until('a freed place to be taken', async () => ((await admitted(port, '127.0.0.2')) === 'refused' ? undefined : true));
  });

  it('#14.10: a connection that never sends a request, or stops in its headers, is closed after headersTimeoutMs with 408 and counted', async () => {
    const { runner, port } = await startEmulator({ headersTimeoutMs: 1000, requestTimeoutMs: 1000 });
    const silent = open(port, '127.0.0.1');
    const slow = open(port, '127.0.0.1', 'GET /sim/v1/health HTTP/1.1\r\nHost: 127.');
    await silent.closed('the silent connection to be closed');
    await slow.closed('the connection stuck in its headers to be closed');
    expect(silent.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(runner.emulatorNow.device.refusals.get('http_headers_timeout')).toBe(2);
  });

  it('#14.10: a request whose body never completes is cut after requestTimeoutMs with 408 and counted', async () => {
    const { runner, port } = await startEmulator({ headersTimeoutMs: 1000, requestTimeoutMs: 1500 });
    const stuck = open(port, '127.0.0.1', 'PUT /sim/v1/slots/1/channels/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"level":');
    await stuck.closed('the request with a stuck body to be cut');
    expect(stuck.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(runner.emulatorNow.device.refusals.get('http_request_timeout')).toBe(1);
    expect(runner.emulatorNow.device.channel(1, 0).read('diStatus')).toBe(0);
  });

  it('#14.10: an HTTPS connection that never completes its handshake is cut after headersTimeoutMs and counted', async () => {
    const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }], http: { https: { enabled: true } }, limits: { http: { headersTimeoutMs: 1000 } } });
    const runner = await Runner.start({ profileFile: '(inline)', profile, store: undefined, dataDir: undefined, http: null, https: { host: '127.0.0.1', port: 0 }, modbus: null, mqtt: 'off', broker: null, snmp: null, clock: 'manual', seed: 1, logger: pino({ level: 'silent' }) });
    runners.push(runner);
    const silent = open(Number(runner.addresses.https!.split(':')[1]), '127.0.0.1');
    await silent.closed('the silent TLS connection to be cut');
    expect(runner.emulatorNow.device.refusals.get('http_headers_timeout')).toBe(1);
  });

  it('#14.10: an event stream outlives the header, request and keep-alive timeouts', async () => {
    const { runner, port } = await startEmulator({ headersTimeoutMs: 1000, requestTimeoutMs: 1000, keepAliveTimeoutMs: 100 });
    const stream = open(port, '127.0.0.1', 'GET /sim/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    await until('the stream to open', () => (stream.received().includes('iothinx-sim events') ? true : undefined));
    // A silent connection opened after the stream: once it is cut, the stream has been idle longer than every timeout.
    const silent = open(port, '127.0.0.1');
    await silent.closed('the silent connection to be cut');
    expect(stream.socket.destroyed).toBe(false);
    runner.emulatorNow.device.channel(1, 0).applyField({ level: 1 }, 'field');
    await until('the change on the stream', () => (stream.received().includes('event: change') ? true : undefined));
  });
});

/**
 * Subscribers that read the opening of their stream and then never again, each with a tiny
 * receive window (SO_RCVBUF 4 KiB, MSS 536), so that the kernel holds ~50 KB for them rather than
 * megabytes and the emulator's own buffer is what fills. Python, because Node cannot set either
 * option on a TCP socket. Prints `ready` once every stream is open; runs until killed.
 */
const NON_READER = `
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
held = []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    s.connect(('127.0.0.1', port))
    s.sendall(b'GET /sim/v1/events HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAccept: text/event-stream\\r\\n\\r\\n')
    seen = b''
    while b'iothinx-sim events' not in seen:
        seen += s.recv(4096)
    held.append(s)
print('ready', flush=True)
sys.stdin.read()
`;

async function nonReaders(port: number, n: number): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', NON_READER, String(port), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await until('the non-reading subscribers to open their streams', () => {
    if (out.includes('ready')) return true;
    if (child.exitCode !== null) throw new Error(`python3 exited with ${child.exitCode}`);
    return undefined;
  });
  return child;
}

/** A subscriber that reads everything, checking that the ids it gets have no gap. */
function reader(port: number): { last(): number; gaps(): number; conn: RawConnection } {
  const conn = open(port, '127.0.0.1', 'GET /sim/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
  let last = -1;
  let gaps = 0;
  let tail = '';
  conn.socket.on('data', (chunk: string) => {
    const lines = (tail + chunk).split('\n');
    tail = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('id: ')) continue;
      const id = Number(line.slice(4));
      if (last >= 0 && id !== last + 1) gaps += 1;
      last = id;
    }
  });
  return { last: () => last, gaps: () => gaps, conn };
}

describe('#14.7: slow event-stream subscribers', () => {
  it('#14.7: 50 non-reading subscribers are cut off at maxSseBufferBytes and counted, while 50 readers get every event and health probes all answer', { timeout: 60_000 }, async () => {
    const sim = await start({ maxSseBufferBytes: 16 * 1024 });
    const port = Number(sim.listener.address.split(':')[1]);
    const readers = Array.from({ length: 50 }, () => reader(port));
    await until('the readers to be subscribed', () => (readers.every((r) => r.conn.received().includes('iothinx-sim events')) ? true : undefined));
    await nonReaders(port, 50);

    // The write flood: 16 field writes at a time over the API, a health probe after each batch.
    const probes: number[] = [];
    const levels = new Array<number>(16).fill(0);
    const deadline = Date.now() + 30_000;
    while (sim.device.refusals.get('sse_buffer') < 50 && Date.now() < deadline) {
      await Promise.all(
        levels.map(async (_, index) => {
          levels[index] = 1 - levels[index]!;
          const res = await fetch(`${sim.base}/slots/1/channels/${index}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level: levels[index] }) });
          expect(res.status).toBe(200);
          await res.arrayBuffer();
        }),
      );
      const health = await fetch(`${sim.base}/health`);
      await health.arrayBuffer();
      probes.push(health.status);
    }
    expect(sim.device.refusals.get('sse_buffer')).toBe(50);
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((status) => status === 200)).toBe(true);
    // Every reader is still connected and gets every event up to the last, without a gap.
    const lastSeq = sim.device.lastSeq;
    await until('every reader to reach the last event', () => (readers.every((r) => r.last() === lastSeq) ? true : undefined));
    expect(readers.map((r) => r.gaps()).every((g) => g === 0)).toBe(true);
    expect(readers.every((r) => !r.conn.socket.destroyed)).toBe(true);
  });
});
