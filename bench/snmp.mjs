// SNMP agent throughput of iothinx-sim against Debian's snmpd, measured in the same run so the
// ratios hold on a shared, noisy machine. Prints figures; never asserts a time.
//
//   start snmpd (own system group, minimal config, free 127.0.0.1 port) and iothinx-sim (--snmp 127.0.0.1:0)
//   for K in 1, 16 requests in flight:
//     for each of ROUNDS rounds:  bench/lib/snmp-load.mjs ──► every agent in turn (order rotates)
//   for each of ROUNDS rounds: snmpbulkwalk -Cr25 of the system group on both agents, and of the
//     enterprise subtree 1.3.6.1.4.1.8691 on iothinx-sim (wall time of the whole tool run)
//   SIGTERM both ──► tables + ratios iothinx-sim / snmpd
//
// The load is a single-varbind SNMPv2c GET of sysName.0 (1.3.6.1.2.1.1.5.0), which both agents
// serve, from one UDP socket keeping K requests in flight (see bench/lib/snmp-load.mjs). Rounds
// interleave the agents as bench/modbus.mjs does, for the same reason: the VM's speed drifts.
// The load generator is one Node process; at K = 16 it may be what limits snmpd's figure.
// BENCH_SECONDS (default 3): measured seconds per agent and K, split over BENCH_ROUNDS (default
// 3) rounds; BENCH_WARMUP (default 0.5): unmeasured seconds before each.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PEERS_HINT } from './lib/cc.mjs';
import { children, cleanupOnExit, launch, median, startEmulator, stdoutLine, stop, stopAll, whenReady } from './lib/children.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 3)));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0.5);
const INFLIGHT = [1, 16];
const TARGET = '>= 0.5x';
const SNMPD = '/usr/sbin/snmpd';
const SNMPBULKWALK = '/usr/bin/snmpbulkwalk';
const LOADGEN = new URL('./lib/snmp-load.mjs', import.meta.url).pathname;
const SYSTEM = '1.3.6.1.2.1.1';
const ENTERPRISE = '1.3.6.1.4.1.8691';

async function freeUdpPort() {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  socket.close();
  return port;
}

// snmpd as root keeps root (no -u) and reads only this config (-C -c); SNMP_PERSISTENT_DIR keeps
// its state files out of /var/lib/snmp, and -M/-m load no MIB files (it needs none to serve).
async function startSnmpd(dir) {
  const port = await freeUdpPort();
  const conf = join(dir, 'snmpd.conf');
  writeFileSync(conf, [`agentAddress udp:127.0.0.1:${port}`, 'rocommunity public 127.0.0.1', ''].join('\n'));
  const persist = join(dir, 'snmpd-state');
  mkdirSync(persist, { recursive: true });
  const child = spawn(SNMPD, ['-f', '-Lo', '-C', '-c', conf, '-M', '/dev/null', '-m', ''], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SNMP_PERSISTENT_DIR: persist, MIBS: '' },
  });
  adopt(child);
  await whenReady(child, 'snmpd', stdoutLine(child, /NET-SNMP version/));
  return { child, host: '127.0.0.1', port };
}

// launch() takes no env: track a child spawned here the same way (stopAll and cleanupOnExit see it).
function adopt(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => (child.stderrTail = (child.stderrTail + s).slice(-2000)));
  return child;
}

async function startSim(dir) {
  const { child, info } = await startEmulator(dir, ['--http', 'off', '--https', 'off', '--modbus', 'off', '--mqtt', 'off', '--snmp', '127.0.0.1:0']);
  if (!info.snmp) {
    console.log('iothinx-sim: SNMP agent not available');
    await stop(child);
    return null;
  }
  const m = /^(.*):(\d+)$/.exec(info.snmp);
  return { child, host: m[1], port: Number(m[2]) };
}

async function load(agent, inflight) {
  const args = [LOADGEN, '-h', agent.host, '-p', String(agent.port), '-k', String(inflight), '-w', String(WARMUP), '-d', String(SECONDS / ROUNDS)];
  const child = launch(process.execPath, args);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => (out += s));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`snmp-load -k ${inflight} against ${agent.host}:${agent.port} exited ${code}\n${child.stderrTail.trim()}`);
  return JSON.parse(out.trim().split('\n').pop());
}

/** Wall time of one snmpbulkwalk run (ms) and the varbinds it printed. */
async function bulkwalk(agent, oid) {
  const child = spawn(SNMPBULKWALK, ['-v2c', '-c', 'public', '-Cr25', '-On', '-M', '/dev/null', `${agent.host}:${agent.port}`, oid], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MIBS: '' },
  });
  const start = process.hrtime.bigint();
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s) => (err += s));
  const [code] = await once(child, 'exit');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (code !== 0) throw new Error(`snmpbulkwalk ${oid} against ${agent.host}:${agent.port} exited ${code}: ${err.trim()}`);
  const lines = out.split('\n').filter((l) => l.startsWith('.') && !/No more variables left/.test(l));
  return { ms, varbinds: lines.length };
}

function combine(rounds) {
  const responses = rounds.reduce((n, r) => n + r.responses, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  return {
    inflight: rounds[0].inflight,
    responses,
    seconds,
    rps: seconds > 0 ? responses / seconds : 0,
    p50_us: median(rounds.map((r) => r.p50_us).filter((x) => x != null)),
    p99_us: median(rounds.map((r) => r.p99_us).filter((x) => x != null)),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    lost: rounds.reduce((n, r) => n + r.lost, 0),
    rounds,
  };
}

async function measureGets(agents) {
  const names = Object.keys(agents);
  const rounds = Object.fromEntries(names.map((n) => [n, Object.fromEntries(INFLIGHT.map((k) => [k, []]))]));
  for (const k of INFLIGHT) {
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r) % names.length];
        rounds[name][k].push(await load(agents[name], k));
      }
    }
  }
  return Object.fromEntries(names.map((n) => [n, Object.fromEntries(INFLIGHT.map((k) => [k, combine(rounds[n][k])]))]));
}

async function measureWalks(agents) {
  // [agent, subtree] pairs, interleaved round by round like the GET load.
  const walks = [
    ['iothinx-sim', ENTERPRISE],
    ['iothinx-sim', SYSTEM],
    ['snmpd', SYSTEM],
  ].filter(([name]) => agents[name]);
  const runs = Object.fromEntries(walks.map(([n, oid]) => [`${n} ${oid}`, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < walks.length; i++) {
      const [name, oid] = walks[(i + r) % walks.length];
      runs[`${name} ${oid}`].push(await bulkwalk(agents[name], oid));
    }
  }
  return Object.fromEntries(
    Object.entries(runs).map(([key, rs]) => [key, { ms: median(rs.map((x) => x.ms)), varbinds: rs[rs.length - 1].varbinds, runs: rs }]),
  );
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) console.log('  ' + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
}

function report(gets, walks) {
  const fmt = (x, digits = 1) => (x == null ? '-' : x.toFixed(digits));
  const ref = gets.snmpd;
  const rows = [['agent', 'in flight', 'GETs/s', 'vs snmpd', 'p50 us', 'p99 us', 'errors', 'lost']];
  for (const [name, runs] of Object.entries(gets)) {
    for (const k of INFLIGHT) {
      const r = runs[k];
      rows.push([name, String(k), fmt(r.rps, 0), ref ? `${(r.rps / ref[k].rps).toFixed(2)}x` : '-', fmt(r.p50_us), fmt(r.p99_us), String(r.errors), String(r.lost)]);
    }
  }
  console.log('snmp: SNMPv2c GET sysName.0 (one varbind), K requests in flight on one UDP socket');
  console.log(`  ${SECONDS} s per agent and K, in ${ROUNDS} interleaved round(s) after ${WARMUP} s warm-up each; p50/p99: median over rounds; target iothinx-sim ${TARGET} snmpd`);
  table(rows);
  console.log(`  snmpbulkwalk -v2c -Cr25 (wall time of the tool run, median of ${ROUNDS})`);
  const walkRows = [['agent', 'subtree', 'varbinds', 'ms']];
  for (const [key, w] of Object.entries(walks)) {
    const [name, oid] = key.split(' ');
    walkRows.push([name, oid, String(w.varbinds), fmt(w.ms)]);
  }
  table(walkRows);
}

export async function benchSnmp() {
  for (const [tool, pkg] of [[SNMPD, 'snmpd'], [SNMPBULKWALK, 'snmp']]) {
    if (!existsSync(tool)) {
      console.log(`snmp bench skipped: ${tool} is missing (Debian package ${pkg}; ${PEERS_HINT})`);
      return null;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-snmp-'));
  const cleanup = cleanupOnExit(dir);
  try {
    const agents = {};
    agents.snmpd = await startSnmpd(dir);
    const sim = await startSim(dir);
    if (sim) agents['iothinx-sim'] = sim;
    const gets = await measureGets(agents);
    const walks = await measureWalks(agents);
    await stopAll();
    report(gets, walks);
    const ratios = sim ? Object.fromEntries(INFLIGHT.map((k) => [k, gets['iothinx-sim'][k].rps / gets.snmpd[k].rps])) : null;
    return { seconds: SECONDS, rounds: ROUNDS, warmup: WARMUP, gets, walks, ratios };
  } finally {
    await stopAll();
    cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await benchSnmp();
  } catch (err) {
    console.error(`snmp bench: ${err.message}`);
    process.exitCode = 1;
  }
}
