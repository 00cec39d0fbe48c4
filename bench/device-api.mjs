// Throughput of the device API (/api) of iothinx-sim against a bare express 5 server, measured in
// the same run so the ratio holds on a shared, noisy machine. Prints figures; never asserts a time.
//
//   start iothinx-sim (HTTP only) and bench/bare-express.mjs, each its own process on a free
//   127.0.0.1 port
//   warm each up for WARMUP s (unmeasured; the JIT settles)
//   for each of ROUNDS rounds: autocannon ──► every server in turn (order rotates each round)
//   SIGTERM both (SIGKILL after 2 s) ──► table + ratio iothinx-sim / bare express
//
// iothinx-sim serves GET /api/io/di/45MR-1600-0@Button/diStatus with both headers the device
// demands (Accept: vdn.dac.v2, Content-Type: application/json); bare express serves GET / with
// a small JSON object (the same headers are sent, and ignored). Both answer about 11 bytes of
// JSON, so the ratio is what the device API costs on top of express itself: header checks, path
// resolution, the channel read and our error plumbing.
//
// The load generator is autocannon (a devDependency) in a child process, 16 connections, one
// request in flight each; it is not the bottleneck here (it drives bare express at full speed,
// which is the reference). As in bench/modbus.mjs, the measured time of each server is sliced
// into short rounds that alternate between the servers, so a machine's drift is spread evenly.
// BENCH_SECONDS (default 3): measured seconds per server, split over BENCH_ROUNDS (default 3)
// rounds; BENCH_WARMUP (default 1): unmeasured seconds per server before the first round.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanupOnExit, launch, median, startEmulator, stdoutLine, stopAll, whenReady } from './lib/children.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const CONNECTIONS = 16;
// The target from the task that asked for this benchmark; printed beside the ratio, not enforced.
const TARGET = '>= 0.7x';
const SIM_PATH = '/api/io/di/45MR-1600-0@Button/diStatus';
const HEADERS = ['accept=vdn.dac.v2', 'content-type=application/json'];

const benchDir = new URL('.', import.meta.url).pathname;

function autocannonPath() {
  try {
    return createRequire(import.meta.url).resolve('autocannon');
  } catch {
    throw new Error('autocannon is missing; run npm install (it is a devDependency)');
  }
}

async function startBareExpress() {
  const child = launch(process.execPath, [join(benchDir, 'bare-express.mjs'), '0']);
  const listening = stdoutLine(child, /^listening (\S+)$/).then((m) => `http://${m[1]}/`);
  return { child, url: await whenReady(child, 'bare express', listening) };
}

async function startSim(dir) {
  const { child, info } = await startEmulator(dir, ['--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'off']);
  if (!info.http) throw new Error('iothinx-sim reported no HTTP address');
  return { child, url: `http://${info.http}${SIM_PATH}` };
}

// One autocannon run against a URL; resolves with its --json summary.
async function load(autocannon, url, seconds) {
  const args = [autocannon, '--json', '-c', String(CONNECTIONS), '-d', String(seconds), ...HEADERS.flatMap((h) => ['-H', h]), url];
  const child = launch(process.execPath, args);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => (out += s));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`autocannon against ${url} exited ${code}\n${child.stderrTail.trim()}`);
  return JSON.parse(out.trim().split('\n').pop());
}


function combine(rounds) {
  const requests = rounds.reduce((n, r) => n + r.requests.total, 0);
  const seconds = rounds.reduce((n, r) => n + r.duration, 0);
  return {
    requests,
    seconds,
    rps: seconds > 0 ? requests / seconds : 0,
    p50_ms: median(rounds.map((r) => r.latency.p50)),
    p99_ms: median(rounds.map((r) => r.latency.p99)),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
  };
}

function report(results, ratio) {
  const fmt = (x, digits = 1) => (x == null ? '-' : x.toFixed(digits));
  const rows = [['server', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx']];
  for (const [name, r] of Object.entries(results)) rows.push([name, fmt(r.rps, 0), fmt(r.p50_ms), fmt(r.p99_ms), String(r.errors), String(r.non2xx)]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  console.log(`device-api: GET ${SIM_PATH} (Accept: vdn.dac.v2, Content-Type: application/json) vs GET / on bare express 5`);
  console.log(`  autocannon, ${CONNECTIONS} connections; ${SECONDS} s per server in ${ROUNDS} interleaved round(s) after ${WARMUP} s warm-up; p50/p99: median over rounds`);
  for (const row of rows) console.log('  ' + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  console.log(`  iothinx-sim / bare express: ${ratio.toFixed(2)}x (target ${TARGET})`);
}

export async function benchDeviceApi() {
  const autocannon = autocannonPath();
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-api-'));
  const cleanup = cleanupOnExit(dir);
  try {
    // Insertion order is the table's order.
    const servers = { 'iothinx-sim': await startSim(dir), 'bare-express': await startBareExpress() };
    const names = Object.keys(servers);
    const rounds = Object.fromEntries(names.map((name) => [name, []]));
    if (WARMUP > 0) for (const name of names) await load(autocannon, servers[name].url, WARMUP);
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r) % names.length];
        rounds[name].push(await load(autocannon, servers[name].url, SECONDS / ROUNDS));
      }
    }
    await stopAll();
    const results = Object.fromEntries(names.map((name) => [name, combine(rounds[name])]));
    if (results['iothinx-sim'].non2xx > 0) console.log(`  warning: iothinx-sim answered ${results['iothinx-sim'].non2xx} requests with a non-2xx status`);
    const ratio = results['iothinx-sim'].rps / results['bare-express'].rps;
    report(results, ratio);
    return { seconds: SECONDS, rounds: ROUNDS, warmup: WARMUP, connections: CONNECTIONS, servers: results, ratio };
  } finally {
    await stopAll();
    cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await benchDeviceApi();
  } catch (err) {
    console.error(`device-api bench: ${err.message}`);
    process.exitCode = 1;
  }
}
