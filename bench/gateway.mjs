// The fleet's Modbus gateway (#16 item 2c) against a device's own Modbus port, in the same run and
// the same process, so the ratio shows what routing by unit id costs. Prints figures; never
// asserts a time.
//
//   cc ──► bench/.build/loadgen
//   iothinx-sim fleet --count N --addressing ports:0 --gateway 127.0.0.1:0 (one child)
//   for connections in 1, 16:  ROUNDS rounds, alternating: loadgen ──► device 1's own port
//                                                          loadgen ──► the gateway (unit id 1 = device 1)
//   SIGTERM ──► table + ratio gateway / own port
//
// The load is bench/c/loadgen.c's: FC3, 10 holding registers at 0, unit id 1, one request in flight
// per connection. Both paths end in device 1's ModbusUnit; the difference is the listener.
// BENCH_SECONDS (default 3), BENCH_ROUNDS (default 3), BENCH_WARMUP (default 0.5) as bench/modbus.mjs;
// BENCH_FLEET_COUNT (default 100): devices in the fleet.
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compile } from './lib/cc.mjs';
import { cleanupOnExit, cli, launch, median, readyFile, stopAll, whenReady } from './lib/children.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0.5);
const COUNT = Number(process.env.BENCH_FLEET_COUNT ?? 100);
const CONNECTIONS = [1, 16];

async function startFleet(dir) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run npm run build first`);
  const file = join(dir, 'ready.json');
  const args = ['fleet', '--count', String(COUNT), '--addressing', 'ports:0', '--gateway', '127.0.0.1:0', '--http', 'off', '--mqtt', 'off', '--quiet', '--ready-file', file];
  const child = launch(process.execPath, [cli, ...args]);
  child.stdout.resume();
  return whenReady(child, 'iothinx-sim fleet', readyFile(child, file));
}

const hostPort = (address) => {
  const m = /^(.*):(\d+)$/.exec(address);
  return { host: m[1], port: Number(m[2]) };
};

async function load(loadgen, target, connections) {
  const child = launch(loadgen, ['-h', target.host, '-p', String(target.port), '-c', String(connections), '-w', String(WARMUP), '-d', String(SECONDS / ROUNDS)]);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => (out += s));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`loadgen -c ${connections} against ${target.host}:${target.port} exited ${code}\n${child.stderrTail.trim()}`);
  return JSON.parse(out.trim().split('\n').pop());
}

export async function benchGateway() {
  const loadgen = compile('loadgen', []);
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-gateway-'));
  const cleanup = cleanupOnExit(dir);
  try {
    const ready = await startFleet(dir);
    const device = ready.devices.find((d) => d.unitId === 1);
    const targets = { 'own port': hostPort(device.modbus), gateway: hostPort(ready.gateway) };
    const results = {};
    for (const c of CONNECTIONS) {
      const rounds = { 'own port': [], gateway: [] };
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate who goes first, so neither always follows the other.
        for (const name of r % 2 === 0 ? ['own port', 'gateway'] : ['gateway', 'own port']) rounds[name].push(await load(loadgen, targets[name], c));
      }
      for (const [name, rs] of Object.entries(rounds)) {
        const requests = rs.reduce((n, x) => n + x.requests, 0);
        const seconds = rs.reduce((n, x) => n + x.seconds, 0);
        (results[name] ??= {})[c] = { rps: requests / seconds, p50_us: median(rs.map((x) => x.p50_us)), p99_us: median(rs.map((x) => x.p99_us)), errors: rs.reduce((n, x) => n + x.errors, 0) };
      }
    }
    console.log(`gateway: FC3 10 registers, unit id 1, one request in flight per connection; a fleet of ${COUNT} devices in one process`);
    console.log(`  ${SECONDS} s per path and connection count, in ${ROUNDS} alternating round(s)`);
    for (const [name, byC] of Object.entries(results)) {
      for (const c of CONNECTIONS) {
        const r = byC[c];
        console.log(`  ${name.padEnd(8)}  ${String(c).padStart(2)} conn  ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50_us.toFixed(0)} us  p99 ${r.p99_us.toFixed(0)} us  errors ${r.errors}`);
      }
    }
    const ratio = Object.fromEntries(CONNECTIONS.map((c) => [c, results.gateway[c].rps / results['own port'][c].rps]));
    console.log(`  gateway / own port: ${CONNECTIONS.map((c) => `${c} conn${c === 1 ? '' : 's'} ${ratio[c].toFixed(2)}x`).join(', ')}`);
    return { count: COUNT, results, ratio };
  } finally {
    await stopAll();
    cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await benchGateway();
  } catch (err) {
    console.error(`gateway bench: ${err.message}`);
    process.exitCode = 1;
  }
}
