// Soak benchmark (issue #14, "Done when"): one emulator from the built CLI under every
// well-behaved and hostile client of the issue at the same time, for --duration seconds
// (default 300). Prints figures and checks the issue's "musts"; exits 1 naming each one missed.
//
//   temp dir: profile.yaml = profiles/default.yaml + accounts on (administrator and operator
//             with known passwords) + Modbus maxConnections 32 (16 + the hostile client + room)
//   iothinx-sim start --profile profile.yaml --data-dir data/ (HTTP, Modbus, embedded broker, SNMP)
//      ▲
//      ├── loadgen (C, bench/c/loadgen.c): 16 Modbus/TCP clients, FC3 x 10 at 0, one in flight each
//      ├── 1 Modbus/TCP client pipelining FC3 requests that never reads a reply
//      ├── 100 SSE subscribers on GET /sim/v1/events: 50 read and count events, 50 never read
//      ├── write flood: PUT /sim/v1/slots/1/channels/{5..14} {level}, WRITERS requests in flight,
//      │   and square waves (20 ms period) on DI-03 and DI-04 attached once through the same route
//      ├── PUT /sim/v1/modbus/accessible-ips every 20 ms from 127.0.0.3 (127.0.0.0/8 always allowed)
//      ├── POST /sim/v1/scenarios every 100 ms (a 1 s scenario, so the queue fills: 429 is counted)
//      ├── a login burst every 15 s from 127.0.0.2: 50 wrong operator passwords + 1 right one
//      └── GET /sim/v1/health every 100 ms, a new connection each (worker thread: own event loop)
//   end of the window: RSS, GET /metrics (refusals per limit), SIGTERM ──► figures + musts
//
// Every HTTP worker sends the administrator's Basic credentials (the emulator remembers a
// verified pair, so that costs one scrypt) and Content-Type: application/json on every write.
// The login burst uses the operator account so that a per-account throttle does not lock out
// the administrator the other workers use, and 127.0.0.2 so a per-address one does not either.
//
// A non-reading SSE subscriber never calls read (the socket is paused before it connects), so
// the kernel buffers fill and then the emulator's; each is replaced by a fresh one after 60-120 s
// (staggered), as an attacker reconnecting would, so there are always 50 of them filling up.
// On loopback the kernel takes about 3-4 MB of a stream nobody reads before the emulator has to
// buffer anything (measured: the sending side's buffer autotunes up to tcp_wmem's max whatever
// the receiver's SO_RCVBUF), so the event rate must be high enough to get past that within a
// lifetime: the signals give ~200 events/s on top of the HTTP writes (~200 B an event).
// The pipelining Modbus client writes whenever its socket drains and reconnects if closed.
//
// The musts (issue #14): RSS growth < 100 MiB from start to end; health-probe p99 < 100 ms (a
// failed probe counts as infinitely slow); 0 errors on the 16 well-behaved Modbus clients (an
// exception, a wrong or missing reply within 2 s, a dropped connection); plus the emulator
// stays up through the run and exits 0 within 5 s of SIGTERM (the README's promise).
//
//   node bench/soak.mjs [--duration SECONDS]        (npm run bench:soak -- --duration 30)
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { compile } from './lib/cc.mjs';
import { cleanupOnExit, hasExited, launch, quantile, startEmulator, stopAll } from './lib/children.mjs';
import { cpuSeconds } from './lib/proc.mjs';

const MODBUS_CLIENTS = 16;
const SSE_READERS = 50;
const SSE_NON_READERS = 50;
const WRITERS = 2;
const WRITE_CHANNELS = [5, 14]; // DI channels of slot 1 the HTTP writers toggle (first..last)
const SIGNAL_CHANNELS = [3, 4]; // DI channels of slot 1 that get a square wave
const SIGNAL_PERIOD_MS = 20;
const IP_EDIT_MS = 20;
const SCENARIO_MS = 100;
const HEALTH_MS = 100;
const HEALTH_TIMEOUT_MS = 2000;
const BURST_EVERY_MS = 15_000;
const BURST_FIRST_MS = 5000;
const BURST_SIZE = 50;
/** Requests of one periodic worker in flight at once; a tick past it is skipped and counted. */
const MAX_IN_FLIGHT = 4;
// An edit is answered once it is on disk (fsync), which can take longer than 20 ms: up to 16
// wait at once, from their own address so they do not count against 127.0.0.1's connections.
const IP_EDITS_IN_FLIGHT = 16;
const IP_EDITS_FROM = '127.0.0.3';
const REQUEST_TIMEOUT_MS = 10_000;
const NON_READER_LIFE_MS = [60_000, 120_000];
const PROGRESS_EVERY_MS = 30_000;

const MUST_RSS_GROWTH_MIB = 100;
const MUST_HEALTH_P99_MS = 100;
const MUST_STOP_MS = 5000;

const ADMIN = { name: 'admin', password: 'soak-Adm1n!' };
const OPERATOR = { name: 'operator', password: 'soak-Op3r!' };
const basic = ({ name, password }) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
const AUTH = basic(ADMIN);

const MIB = 1024 * 1024;
const now = () => performance.now();

// ─── health prober (worker thread) ───────────────────────────────────────────────────────────
// Runs in its own thread so that the load generators' work in the main thread does not show up
// as emulator latency. A probe is a new connection (agent: false): a full accept queue or a
// connection cap shows up here as it would for a new monitoring client.

function runProber({ port }) {
  const samples = []; // ms of each answered probe; Infinity for a failed one
  const sentAt = []; // s since the prober started, per sample
  const t00 = now();
  const failures = {};
  let inFlight = 0;
  const probe = () => {
    const t0 = now();
    inFlight += 1;
    let done = false;
    const finish = (ok, why) => {
      if (done) return;
      done = true;
      inFlight -= 1;
      samples.push(ok ? now() - t0 : Infinity);
      sentAt.push((t0 - t00) / 1000);
      if (!ok) failures[why] = (failures[why] ?? 0) + 1;
    };
    const req = http.get({ host: '127.0.0.1', port, path: '/sim/v1/health', agent: false, timeout: HEALTH_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode === 200, `status ${res.statusCode}`));
      res.on('error', (err) => finish(false, err.code ?? err.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: `no answer in ${HEALTH_TIMEOUT_MS} ms` })));
    req.on('error', (err) => finish(false, err.code ?? err.message));
  };
  const timer = setInterval(probe, HEALTH_MS);
  parentPort.on('message', async (message) => {
    if (message === 'progress') {
      parentPort.postMessage({ progress: { count: samples.length, p99: quantile(samples, 0.99), failed: Object.values(failures).reduce((a, b) => a + b, 0) } });
      return;
    }
    clearInterval(timer);
    const deadline = now() + HEALTH_TIMEOUT_MS + 500;
    while (inFlight > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
    parentPort.postMessage({ samples, sentAt, failures });
    parentPort.close();
  });
}

// ─── small helpers ───────────────────────────────────────────────────────────────────────────

const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const tally = (obj, key, n = 1) => (obj[key] = (obj[key] ?? 0) + n);
const sumOf = (obj) => Object.values(obj).reduce((a, b) => a + b, 0);

/** VmRSS / VmHWM of a process in bytes, from /proc (null once it is gone). */
function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/**
 * One HTTP request; resolves (never rejects) with {status, text, ms}, status 0 and `error` for a
 * network failure or a timeout. The body is read whole (the answers here are small).
 */
function request(agent, { method = 'GET', path, body, auth = AUTH, localAddress, port, maxBody = 4 * MIB }) {
  return new Promise((resolve) => {
    const t0 = now();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { accept: 'application/json' };
    if (auth) headers.authorization = auth;
    if (method !== 'GET') {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload ?? '');
    }
    let settled = false;
    const settle = (r) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, ms: now() - t0 });
    };
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent, localAddress, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks = [];
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        if (size <= maxBody) chunks.push(c);
      });
      res.on('end', () => settle({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), size }));
      res.on('error', (err) => settle({ status: 0, error: err.code ?? err.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (err) => settle({ status: 0, error: err.code ?? err.message }));
    req.end(payload);
  });
}

/** Counts a response into a per-worker histogram: the status code, or the network error. */
const outcome = (r) => (r.status === 0 ? r.error : String(r.status));

/** Tallies `r` into `stats.outcomes`, keeping the first answer of each unexpected kind to show. */
function record(stats, r, expected = ['200']) {
  const key = outcome(r);
  tally(stats.outcomes, key);
  if (!expected.includes(key) && !(key in (stats.unexpected ??= {}))) stats.unexpected[key] = (r.text ?? '').slice(0, 200);
}

const unexpectedText = (stats) => (stats.unexpected && Object.keys(stats.unexpected).length ? `; first unexpected answers ${JSON.stringify(stats.unexpected)}` : '');

// ─── the emulator ────────────────────────────────────────────────────────────────────────────

function writeProfile(dir) {
  const profile = parseYaml(readFileSync(new URL('../profiles/default.yaml', import.meta.url), 'utf8'));
  profile.http = {
    ...profile.http,
    accounts: {
      enabled: true,
      users: [
        { role: 'administrator', name: ADMIN.name, password: ADMIN.password },
        { role: 'operator', name: OPERATOR.name, password: OPERATOR.password, enabled: true },
      ],
    },
  };
  profile.modbus = { ...profile.modbus, maxConnections: 32 };
  const file = join(dir, 'profile.yaml');
  writeFileSync(file, stringifyYaml(profile));
  return file;
}

const hostPort = (address) => {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
};

// ─── Modbus: the well-behaved clients (C loadgen) and the one that never reads ──────────────

function startLoadgen(loadgen, modbus, seconds) {
  const child = launch(loadgen, ['-h', modbus.host, '-p', String(modbus.port), '-c', String(MODBUS_CLIENTS), '-w', '0', '-d', String(seconds)]);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => (out += s));
  const result = once(child, 'exit').then(([code, signal]) => {
    if (code !== 0) return { failed: `loadgen exited ${signal ?? code}: ${child.stderrTail.trim()}` };
    try {
      return JSON.parse(out.trim().split('\n').pop());
    } catch {
      return { failed: `loadgen printed no figures: ${out.trim()}` };
    }
  });
  return { child, result };
}

/** FC3 x 10 at 0 requests, back to back, written whenever the socket drains; replies never read. */
function startPipeliner(modbus, state) {
  const FRAMES = 1024;
  const batch = Buffer.alloc(12 * FRAMES);
  for (let i = 0; i < FRAMES; i++) {
    // MBAP: transaction id, protocol 0, length 6, unit 1; PDU: FC3, address 0, quantity 10
    batch.writeUInt16BE(i, i * 12);
    batch.writeUInt16BE(0, i * 12 + 2);
    batch.writeUInt16BE(6, i * 12 + 4);
    batch.writeUInt8(1, i * 12 + 6);
    batch.writeUInt8(3, i * 12 + 7);
    batch.writeUInt16BE(0, i * 12 + 8);
    batch.writeUInt16BE(10, i * 12 + 10);
  }
  const stats = { connects: 0, closedByServer: 0, requestBytes: 0, lastAccepted: now(), errors: {} };
  let socket;
  const pump = () => {
    if (state.stopping) return;
    let more = true;
    while (more && !state.stopping) {
      more = socket.write(batch);
      stats.requestBytes += batch.length;
    }
    stats.lastAccepted = now();
  };
  const open = () => {
    if (state.stopping) return;
    socket = net.connect(modbus.port, modbus.host);
    socket.pause(); // paused before it connects: not one byte is ever read
    socket.on('connect', () => {
      stats.connects += 1;
      pump();
    });
    socket.on('drain', pump);
    socket.on('error', (err) => tally(stats.errors, err.code ?? err.message));
    socket.on('close', () => {
      if (state.stopping) return;
      stats.closedByServer += 1;
      setTimeout(open, 200);
    });
  };
  open();
  return { stats, stop: () => socket?.destroy() };
}

// ─── SSE subscribers ─────────────────────────────────────────────────────────────────────────

const EVENT_MARK = Buffer.from('event: change\n');

function occurrences(buf) {
  let n = 0;
  for (let i = buf.indexOf(EVENT_MARK); i !== -1; i = buf.indexOf(EVENT_MARK, i + EVENT_MARK.length)) n += 1;
  return n;
}

function startSse(port, state) {
  const stats = { events: 0, bytes: 0, readerConnects: 0, readersClosed: 0, badStatus: {}, nonReaderConnects: 0, nonReadersReplaced: 0, errors: {} };
  const sockets = new Set();
  const requestText = `GET /sim/v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${AUTH}\r\nAccept: text/event-stream\r\n\r\n`;

  const track = (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', (err) => tally(stats.errors, err.code ?? err.message));
  };

  // Reads everything, counts `event: change` lines (an event can straddle two chunks: the last
  // few bytes of each chunk are kept to find it), reconnects when the emulator closes it.
  const reader = () => {
    if (state.stopping) return;
    const socket = net.connect(port, '127.0.0.1');
    track(socket);
    let head = '';
    let refused = false;
    let carry = Buffer.alloc(0);
    socket.on('connect', () => {
      stats.readerConnects += 1;
      socket.write(requestText);
    });
    socket.on('data', (chunk) => {
      stats.bytes += chunk.length;
      if (head !== null) {
        head += chunk.toString('latin1', 0, Math.min(chunk.length, 64));
        if (head.length < 12) return;
        if (!head.startsWith('HTTP/1.1 200')) {
          tally(stats.badStatus, head.slice(9, 12));
          refused = true;
          socket.destroy();
          return;
        }
        head = null;
      }
      const edge = Buffer.concat([carry, chunk.subarray(0, EVENT_MARK.length - 1)]);
      stats.events += occurrences(edge) + occurrences(chunk);
      carry = chunk.subarray(Math.max(0, chunk.length - (EVENT_MARK.length - 1)));
    });
    socket.on('close', () => {
      if (state.stopping) return;
      if (!refused) stats.readersClosed += 1;
      setTimeout(reader, refused ? 1000 : 100); // a refused one backs off, so it does not turn into a request flood
    });
  };

  // Sends the request and never reads; replaced by a fresh one after its lifetime.
  const nonReader = (lifeMs) => {
    if (state.stopping) return;
    const socket = net.connect(port, '127.0.0.1');
    socket.pause(); // paused before it connects: Node never starts reading it
    track(socket);
    socket.on('connect', () => {
      stats.nonReaderConnects += 1;
      socket.write(requestText);
    });
    const timer = setTimeout(() => {
      stats.nonReadersReplaced += 1;
      socket.destroy();
      nonReader(NON_READER_LIFE_MS[1]);
    }, lifeMs);
    socket.on('close', () => clearTimeout(timer));
  };

  for (let i = 0; i < SSE_READERS; i++) reader();
  const [shortest, longest] = NON_READER_LIFE_MS;
  // Staggered lifetimes, so that replacements are spread over time rather than all at once.
  for (let i = 0; i < SSE_NON_READERS; i++) nonReader(shortest + ((longest - shortest) * i) / SSE_NON_READERS);
  return {
    stats,
    stop: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

// ─── HTTP workers ────────────────────────────────────────────────────────────────────────────

function startWriteFlood(port, state) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS });
  const stats = { outcomes: {}, ms: [] };
  const levels = new Array(16).fill(0);
  const [first, last] = WRITE_CHANNELS;
  let next = 0;
  const loop = async () => {
    while (!state.stopping) {
      const index = first + (next++ % (last - first + 1));
      levels[index] ^= 1;
      const r = await request(agent, { method: 'PUT', path: `/sim/v1/slots/1/channels/${index}`, body: { level: levels[index] }, port });
      record(stats, r);
      if (r.status !== 200) await delay(50); // an error answer is quick: do not spin on it
    }
  };
  const loops = Array.from({ length: WRITERS }, loop);
  return { stats, done: Promise.all(loops).then(() => agent.destroy()) };
}

/** Resolves once the run stops, `onStop` has run and every request in `pending` has ended. */
async function drained(state, pending, onStop) {
  await state.stopped;
  onStop();
  await Promise.all(pending);
}

/** Runs `fire(k)` every `everyMs` with at most MAX_IN_FLIGHT outstanding; resolves when all are done. */
function periodic(everyMs, maxInFlight, state, expected, fire) {
  const stats = { outcomes: {}, skipped: 0, ms: [] };
  const pending = new Set();
  let k = 0;
  const timer = setInterval(() => {
    if (state.stopping) return;
    if (pending.size >= maxInFlight) {
      stats.skipped += 1;
      return;
    }
    const p = fire(k++).then((r) => {
      record(stats, r, expected);
      stats.ms.push(r.ms);
      pending.delete(p);
    });
    pending.add(p);
  }, everyMs);
  return {
    stats,
    done: drained(state, pending, () => clearInterval(timer)),
  };
}

function startIpEdits(port, state) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IP_EDITS_IN_FLIGHT });
  const w = periodic(IP_EDIT_MS, IP_EDITS_IN_FLIGHT, state, ['200'], (k) =>
    request(agent, {
      method: 'PUT',
      path: '/sim/v1/modbus/accessible-ips',
      port,
      localAddress: IP_EDITS_FROM,
      body: {
        enabled: true,
        additionalRestrictions: k % 2 === 0,
        entries: [
          // Every client of this bench is on 127.0.0.0/8 (the login burst on 127.0.0.2): always allowed.
          { ip: '127.0.0.1', netmask: '255.0.0.0', active: true },
          { ip: `10.0.${k % 250}.1`, netmask: '255.255.255.255', active: k % 3 !== 0 },
        ],
      },
    }),
  );
  w.done = w.done.then(() => agent.destroy());
  return w;
}

function startScenarios(port, state) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const list = { outcomes: {}, ms: [], maxBytes: 0 };
  const w = periodic(SCENARIO_MS, MAX_IN_FLIGHT, state, ['202', '429'], async (k) => {
    // Every 50th tick also lists the runs: point 8 saw that list fail once the queue was long.
    if (k % 50 === 49) {
      const r = await request(agent, { path: '/sim/v1/scenarios', port, maxBody: 4096 });
      record(list, r);
      list.ms.push(r.ms);
      list.maxBytes = Math.max(list.maxBytes, r.size ?? 0);
    }
    return request(agent, { method: 'POST', path: '/sim/v1/scenarios', port, body: { name: `soak-${k}`, steps: [{ log: `soak ${k}` }, { wait: 1000 }] } });
  });
  w.list = list;
  w.done = w.done.then(() => agent.destroy());
  return w;
}

function startLoginBursts(port, state) {
  const stats = { bursts: 0, outcomes: {}, correct: { outcomes: {} } };
  const pending = new Set();
  const burst = () => {
    if (state.stopping) return;
    stats.bursts += 1;
    for (let i = 0; i < BURST_SIZE + 1; i++) {
      // One right password in the middle: with the throttle counted before the hash it is refused too.
      const right = i === BURST_SIZE / 2;
      const body = { name: OPERATOR.name, password: right ? OPERATOR.password : `wrong-${stats.bursts}-${i}!` };
      const p = request(false, { method: 'POST', path: '/sim/v1/login', port, body, auth: undefined, localAddress: '127.0.0.2' }).then((r) => {
        if (right) record(stats.correct, r, ['200', '429']);
        else record(stats, r, ['401', '429']);
        pending.delete(p);
      });
      pending.add(p);
    }
  };
  let interval;
  const first = setTimeout(() => {
    burst();
    interval = setInterval(burst, BURST_EVERY_MS);
  }, BURST_FIRST_MS);
  return {
    stats,
    done: drained(state, pending, () => {
      clearTimeout(first);
      clearInterval(interval);
    }),
  };
}

// ─── metrics ─────────────────────────────────────────────────────────────────────────────────

/** Refusals per limit and connections refused, from the Prometheus text of GET /metrics. */
function refusalsFrom(text) {
  const limits = {};
  const connections = {};
  const gauges = {};
  for (const line of text.split('\n')) {
    const g = /^(nodejs_heap_size_used_bytes|nodejs_external_memory_bytes|nodejs_eventloop_lag_p99_seconds|nodejs_eventloop_lag_max_seconds) (\S+)$/.exec(line);
    if (g) gauges[g[1]] = Number(g[2]);
    let m = /^iothinx_limit_refusals_total\{limit="([^"]+)"\} (\S+)$/.exec(line);
    if (m) limits[m[1]] = Number(m[2]);
    m = /^iothinx_connections_refused_total\{([^}]*)\} (\S+)$/.exec(line);
    if (m) connections[m[1].replace(/"/g, '')] = Number(m[2]);
  }
  return { limits, connections, gauges };
}

// ─── the run ─────────────────────────────────────────────────────────────────────────────────

function options() {
  const { values } = parseArgs({ options: { duration: { type: 'string', default: '300' }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log('usage: node bench/soak.mjs [--duration SECONDS]   (default 300; needs npm run build and cc)');
    process.exit(0);
  }
  const duration = Number(values.duration);
  if (!Number.isFinite(duration) || duration < 5 || duration > 86_400) throw new Error(`--duration: expected 5..86400 seconds, got "${values.duration}"`);
  return { duration };
}

const mib = (bytes) => (bytes == null || Number.isNaN(bytes) ? '-' : `${(bytes / MIB).toFixed(1)} MiB`);
const msText = (x) => (x == null ? '-' : Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'failed');

export async function benchSoak({ duration }) {
  const loadgen = compile('loadgen', []);
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-soak-'));
  const cleanup = cleanupOnExit(dir);
  const state = { stopping: false };
  state.stopped = new Promise((resolve) => (state.stop = () => ((state.stopping = true), resolve())));
  let prober;
  const musts = [];
  try {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const profile = writeProfile(dir);
    const { child: emulator, info } = await startEmulator(dir, [
      '--profile', profile, '--data-dir', dataDir,
      '--http', '127.0.0.1:0', '--https', 'off', '--modbus', '127.0.0.1:0',
      '--mqtt', 'embedded', '--broker', '127.0.0.1:0',
    ]);
    if (!info.http || !info.modbus) throw new Error(`the emulator reported no ${info.http ? 'Modbus' : 'HTTP'} address`);
    const pid = emulator.pid;
    const port = hostPort(info.http).port;
    const modbus = hostPort(info.modbus);
    let emulatorDied = null;
    emulator.once('exit', (code, signal) => {
      if (state.stopping) return;
      emulatorDied = `exited (${signal ?? code}) during the run: ${emulator.stderrTail.trim().split('\n').slice(-3).join(' | ')}`;
      state.stop();
    });

    console.log(`soak: ${duration} s against iothinx-sim pid ${pid} (HTTP ${info.http}, Modbus ${info.modbus}, broker ${info.broker ?? '-'}, SNMP ${info.snmp ?? '-'})`);
    console.log(`  ${MODBUS_CLIENTS} Modbus clients + 1 that never reads; ${SSE_READERS}+${SSE_NON_READERS} SSE subscribers; ${WRITERS} writers; IP list every ${IP_EDIT_MS} ms; scenario every ${SCENARIO_MS} ms; ${BURST_SIZE + 1} logins every ${BURST_EVERY_MS / 1000} s; health every ${HEALTH_MS} ms`);
    // One authenticated request first: the emulator then remembers the verified credentials, so
    // the 100+ clients opening at once do not each pay a scrypt (that start-up herd is not what
    // this soak measures).
    const warm = await request(false, { path: '/sim/v1/whoami', port });
    if (warm.status !== 200) throw new Error(`GET /sim/v1/whoami as ${ADMIN.name}: ${outcome(warm)} ${warm.text ?? ''}`);
    // The emulator makes its process metrics (the event-loop delay monitor) on the first scrape.
    await request(false, { path: '/metrics', port });
    for (const index of SIGNAL_CHANNELS) {
      const body = { signal: { kind: 'square', periodMs: SIGNAL_PERIOD_MS } };
      const r = await request(false, { method: 'PUT', path: `/sim/v1/slots/1/channels/${index}`, port, body });
      if (r.status !== 200) throw new Error(`PUT a square wave on DI 1/${index}: ${outcome(r)} ${r.text ?? ''}`);
    }
    const start = { memory: memoryOf(pid), cpu: cpuSeconds(pid), benchCpu: process.cpuUsage(), at: now() };

    prober = new Worker(new URL(import.meta.url), { workerData: { port } });
    const proberDone = new Promise((resolve, reject) => {
      prober.on('message', (m) => {
        if (m.samples) resolve(m);
        else if (m.progress) state.onProgress?.(m.progress);
      });
      prober.once('error', reject);
      prober.once('exit', () => resolve(null));
    });
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();

    const modbusLoad = startLoadgen(loadgen, modbus, duration);
    const pipeliner = startPipeliner(modbus, state);
    const sse = startSse(port, state);
    const writes = startWriteFlood(port, state);
    const ipEdits = startIpEdits(port, state);
    const scenarios = startScenarios(port, state);
    const logins = startLoginBursts(port, state);

    // RSS every second (peak and timeline), a progress line every PROGRESS_EVERY_MS.
    const rssSamples = [];
    let loadgenCpu = null;
    const sampler = setInterval(() => {
      const m = memoryOf(pid);
      if (m) rssSamples.push({ t: (now() - start.at) / 1000, rss: m.rss });
      if (!hasExited(modbusLoad.child)) loadgenCpu = cpuSeconds(modbusLoad.child.pid) ?? loadgenCpu;
    }, 1000);
    state.onProgress = async (p) => {
      const t = (now() - start.at) / 1000;
      const rss = memoryOf(pid)?.rss;
      const r = await request(false, { path: '/metrics', port });
      const m = r.status === 200 ? refusalsFrom(r.text) : null;
      const refused = m ? Object.entries(m.limits).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none' : outcome(r);
      console.log(
        `  t=${t.toFixed(0).padStart(4)} s  RSS ${mib(rss).padStart(10)}  health ${p.count} probes p99 ${msText(p.p99)}, ${p.failed} failed` +
          `  SSE events ${sse.stats.events}  writes ${sumOf(writes.stats.outcomes)}  IP edits ${sumOf(ipEdits.stats.outcomes)}  scenarios ${JSON.stringify(scenarios.stats.outcomes)}` +
          `  pipelined ${mib(pipeliner.stats.requestBytes)}`,
      );
      // prom-client measures the event-loop delay since the previous scrape: this progress interval.
      const lagMs = (key) => (m?.gauges[key] == null ? '-' : `${(m.gauges[key] * 1000).toFixed(0)} ms`);
      console.log(
        `          emulator: event-loop delay p99 ${lagMs('nodejs_eventloop_lag_p99_seconds')}, max ${lagMs('nodejs_eventloop_lag_max_seconds')}; ` +
          `heap used ${mib(m?.gauges.nodejs_heap_size_used_bytes)}, external ${mib(m?.gauges.nodejs_external_memory_bytes)}; refusals: ${refused}`,
      );
    };
    const progress = setInterval(() => prober.postMessage('progress'), Math.min(PROGRESS_EVERY_MS, (duration * 1000) / 3));

    const window = setTimeout(state.stop, duration * 1000);
    await state.stopped;
    clearTimeout(window);
    clearInterval(progress);
    clearInterval(sampler);
    const elapsed = (now() - start.at) / 1000;
    const end = { memory: memoryOf(pid), cpu: cpuSeconds(pid), benchCpu: process.cpuUsage(start.benchCpu) };
    lag.disable();

    // Teardown of the load, each step bounded: the prober's last probes, the HTTP workers'
    // requests in flight (REQUEST_TIMEOUT_MS each), the sockets, the loadgen (it ends itself).
    prober.postMessage('stop');
    const health = (await proberDone) ?? { samples: [], failures: { 'prober thread ended early': 1 } };
    await Promise.all([writes.done, ipEdits.done, scenarios.done, logins.done]);
    sse.stop();
    pipeliner.stop();
    const loadgenResult = await Promise.race([
      modbusLoad.result,
      delay(30_000).then(() => {
        modbusLoad.child.kill('SIGKILL');
        return { failed: 'loadgen did not end within 30 s of the window' };
      }),
    ]);

    let metrics = null;
    if (!emulatorDied) {
      const r = await request(false, { path: '/metrics', port });
      metrics = r.status === 200 ? refusalsFrom(r.text) : { error: `GET /metrics: ${outcome(r)}` };
    }

    // SIGTERM: the emulator must stop accepting, flush, persist and exit 0 within 5 s.
    let shutdown = null;
    if (!hasExited(emulator)) {
      const t0 = now();
      const exited = once(emulator, 'exit');
      emulator.kill('SIGTERM');
      const result = await Promise.race([exited, delay(MUST_STOP_MS * 2).then(() => null)]);
      if (result === null) {
        emulator.kill('SIGKILL');
        await exited;
        shutdown = { ms: now() - t0, code: 'SIGKILL after 10 s' };
      } else shutdown = { ms: now() - t0, code: result[1] ?? result[0] };
    }

    // ─── report ───
    const rssStart = start.memory?.rss;
    const rssEnd = end.memory?.rss;
    const growth = rssEnd != null && rssStart != null ? rssEnd - rssStart : null;
    const p = (q) => quantile(health.samples, q);
    const p99 = p(0.99);
    const failedProbes = sumOf(health.failures);
    const emulatorCpu = end.cpu != null && start.cpu != null ? end.cpu - start.cpu : null;
    const benchCpu = (end.benchCpu.user + end.benchCpu.system) / 1e6;

    console.log(`soak: results after ${elapsed.toFixed(1)} s`);
    console.log(`  emulator RSS: start ${mib(rssStart)}, end ${mib(rssEnd)}, growth ${mib(growth)} (must be < ${MUST_RSS_GROWTH_MIB} MiB); peak ${mib(end.memory?.hwm)}`);
    const timeline = rssSamples.filter((_, i) => i % Math.max(1, Math.round(rssSamples.length / 10)) === 0);
    // For the reader only (the must is from the idle start): growth once the load has settled,
    // which tells a leak from the working set the load needs.
    const settleS = Math.min(30, duration / 3);
    const settledRss = rssSamples.find((x) => x.t >= settleS)?.rss;
    if (settledRss != null && rssEnd != null) console.log(`  RSS at t=${settleS.toFixed(0)} s ${mib(settledRss)}; growth from there to the end ${mib(rssEnd - settledRss)}`);
    console.log(`  RSS over time: ${timeline.map((s) => `${s.t.toFixed(0)}s ${(s.rss / MIB).toFixed(0)}`).join(', ')} (MiB)`);
    console.log(
      `  health probes: ${health.samples.length}, p50 ${msText(p(0.5))}, p99 ${msText(p99)} (must be < ${MUST_HEALTH_P99_MS} ms), max ${msText(p(1))}, failed ${failedProbes}` +
        (failedProbes ? ` ${JSON.stringify(health.failures)}` : ''),
    );
    // The slowest probes with when they were sent, to line them up with the login bursts (at
    // BURST_FIRST_MS and every BURST_EVERY_MS after) and the progress lines.
    const slowest = health.samples
      .map((ms, i) => ({ ms, t: health.sentAt?.[i] ?? 0 }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5);
    console.log(`  slowest probes: ${slowest.map((x) => `${msText(x.ms)} at t=${x.t.toFixed(1)} s`).join(', ')} (login bursts at t=${BURST_FIRST_MS / 1000} s + k x ${BURST_EVERY_MS / 1000} s)`);
    // Where in the run the slow ones were: probes of MUST_HEALTH_P99_MS or more, per 10 s.
    const slowBy10s = {};
    health.samples.forEach((ms, i) => {
      if (ms >= MUST_HEALTH_P99_MS) tally(slowBy10s, Math.floor((health.sentAt?.[i] ?? 0) / 10) * 10);
    });
    console.log(`  probes >= ${MUST_HEALTH_P99_MS} ms per 10 s from t: ${Object.entries(slowBy10s).map(([t, n]) => `${t}s ${n}`).join(', ') || 'none'}`);
    // For the reader only (the must is over the whole run): the same without the first 10 s, in
    // which every client connects at once and the emulator's code is still cold.
    const settled = health.samples.filter((_, i) => (health.sentAt?.[i] ?? 0) >= 10);
    if (settled.length) console.log(`  health probes after the first 10 s: p50 ${msText(quantile(settled, 0.5))}, p99 ${msText(quantile(settled, 0.99))}, max ${msText(quantile(settled, 1))}`);
    if (loadgenResult.failed) console.log(`  Modbus, ${MODBUS_CLIENTS} well-behaved clients: ${loadgenResult.failed}`);
    else
      console.log(
        `  Modbus, ${MODBUS_CLIENTS} well-behaved clients: ${loadgenResult.requests} requests in ${loadgenResult.seconds.toFixed(1)} s = ${loadgenResult.rps.toFixed(0)} req/s, ` +
          `p50 ${loadgenResult.p50_us} µs, p99 ${loadgenResult.p99_us} µs, errors ${loadgenResult.errors} (must be 0)`,
      );
    const ps = pipeliner.stats;
    console.log(
      `  Modbus, never-reading client: ${mib(ps.requestBytes)} of requests accepted (${Math.round(ps.requestBytes / 12)} requests), last accepted ${((now() - ps.lastAccepted) / 1000).toFixed(1)} s before the end; ` +
        `${ps.connects} connection(s), ${ps.closedByServer} closed by the emulator${sumOf(ps.errors) ? `, errors ${JSON.stringify(ps.errors)}` : ''}`,
    );
    const ss = sse.stats;
    console.log(
      `  SSE: ${ss.events} change events received by ${SSE_READERS} readers (${mib(ss.bytes)}), reader streams closed by the emulator ${ss.readersClosed}, ` +
        `non-200 answers ${JSON.stringify(ss.badStatus)}; non-readers opened ${ss.nonReaderConnects}, replaced ${ss.nonReadersReplaced}` +
        (sumOf(ss.errors) ? `; socket errors ${JSON.stringify(ss.errors)}` : ''),
    );
    console.log(`  write flood: ${JSON.stringify(writes.stats.outcomes)}${unexpectedText(writes.stats)}`);
    const q = (xs, k) => msText(quantile(xs, k));
    console.log(`  IP-list edits: ${JSON.stringify(ipEdits.stats.outcomes)}, skipped (${IP_EDITS_IN_FLIGHT} in flight) ${ipEdits.stats.skipped}, p50 ${q(ipEdits.stats.ms, 0.5)}, p99 ${q(ipEdits.stats.ms, 0.99)}${unexpectedText(ipEdits.stats)}`);
    console.log(
      `  scenarios: POST ${JSON.stringify(scenarios.stats.outcomes)} (429 = queue full, expected), skipped ${scenarios.stats.skipped}; ` +
        `GET list ${JSON.stringify(scenarios.list.outcomes)}, p99 ${q(scenarios.list.ms, 0.99)}, largest ${mib(scenarios.list.maxBytes)}${unexpectedText(scenarios.stats)}${unexpectedText(scenarios.list)}`,
    );
    console.log(`  login bursts: ${logins.stats.bursts} x ${BURST_SIZE} wrong: ${JSON.stringify(logins.stats.outcomes)}; the right password inside a burst: ${JSON.stringify(logins.stats.correct.outcomes)}${unexpectedText(logins.stats)}${unexpectedText(logins.stats.correct)}`);
    if (metrics?.error) console.log(`  refusals: ${metrics.error}`);
    else if (metrics) {
      const counted = Object.entries(metrics.limits).filter(([, n]) => n > 0);
      const zero = Object.entries(metrics.limits).filter(([, n]) => n === 0).map(([k]) => k);
      console.log(`  refusals per limit (/metrics): ${counted.length ? counted.map(([k, n]) => `${k} ${n}`).join(', ') : 'none counted'}${Object.keys(metrics.limits).length ? '' : ' (no iothinx_limit_refusals_total in /metrics)'}`);
      if (zero.length) console.log(`    0 for: ${zero.join(', ')}`);
      console.log(`  connections refused (/metrics): ${Object.entries(metrics.connections).map(([k, n]) => `{${k}} ${n}`).join(', ') || '-'}`);
      console.log(`  emulator heap at the end: used ${mib(metrics.gauges.nodejs_heap_size_used_bytes)}, external ${mib(metrics.gauges.nodejs_external_memory_bytes)}`);
    }
    const pct = (s) => (s == null ? '-' : `${((100 * s) / elapsed).toFixed(0)}%`);
    console.log(`  CPU over the window: emulator ${pct(emulatorCpu)}, loadgen ${pct(loadgenCpu)}, this bench ${pct(benchCpu)} (of one core); bench event-loop delay p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms`);
    console.log(`  shutdown: ${shutdown ? `SIGTERM -> exit ${shutdown.code} in ${shutdown.ms.toFixed(0)} ms` : 'the emulator was not running'}`);

    if (emulatorDied) musts.push(`the emulator ${emulatorDied}`);
    if (growth == null) musts.push('RSS could not be read at start and end');
    else if (growth >= MUST_RSS_GROWTH_MIB * MIB) musts.push(`RSS grew ${mib(growth)} (must be < ${MUST_RSS_GROWTH_MIB} MiB)`);
    if (p99 == null) musts.push('no health probe ran');
    else if (!(p99 < MUST_HEALTH_P99_MS)) musts.push(`health-probe p99 ${msText(p99)} (must be < ${MUST_HEALTH_P99_MS} ms; ${failedProbes} failed)`);
    if (loadgenResult.failed) musts.push(`the well-behaved Modbus clients did not run: ${loadgenResult.failed}`);
    else if (loadgenResult.errors > 0) musts.push(`${loadgenResult.errors} errors on the well-behaved Modbus clients (must be 0)`);
    else if (loadgenResult.requests === 0) musts.push('the well-behaved Modbus clients got no reply at all');
    if (shutdown && !(shutdown.code === 0 && shutdown.ms < MUST_STOP_MS)) musts.push(`SIGTERM: exit ${shutdown.code} after ${shutdown.ms.toFixed(0)} ms (must be 0 within ${MUST_STOP_MS} ms)`);
    if (musts.length) for (const m of musts) console.log(`soak: FAILED: ${m}`);
    else console.log('soak: every must met');
    return { ok: musts.length === 0, musts };
  } finally {
    state.stop();
    await prober?.terminate();
    await stopAll();
    cleanup();
  }
}

if (!isMainThread) runProber(workerData);
else if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { ok } = await benchSoak(options());
    process.exitCode = ok ? 0 : 1;
  } catch (err) {
    console.error(`soak bench: ${err.message}`);
    process.exitCode = 1;
  }
}
