// SNMP agent throughput of iothinx-sim against Debian's snmpd, measured in the same run so the
// ratios hold on a shared, noisy machine. Prints figures; never asserts a time.
//
//   start snmpd (own system group, minimal config, free 127.0.0.1 port) and iothinx-sim (--snmp 127.0.0.1:0)
//   and node-dgram-floor: a Node UDP socket that sends each request back as a Response-PDU without
//     reading it (no SNMP at all): the most any agent on Node's dgram can do on this machine
//   for K in 1, 16 requests in flight:
//     for each of ROUNDS rounds:  bench/lib/snmp-load.mjs ──► every agent in turn (order rotates)
//   one unmeasured walk of each below, then for each of WALK_ROUNDS rounds: snmpbulkwalk -Cr25 of
//     the enterprise subtree 1.3.6.1.4.1.8691 on iothinx-sim, of MIB-II 1.3.6.1.2.1 on snmpd, and
//     of sysName (one row: the tool's own start-up and two round trips) on both
//   SIGTERM both ──► tables + ratios iothinx-sim / snmpd
//
// The load is a single-varbind SNMPv2c GET of sysName.0 (1.3.6.1.2.1.1.5.0), which both agents
// serve, from one UDP socket keeping K requests in flight (see bench/lib/snmp-load.mjs). Rounds
// interleave the agents as bench/modbus.mjs does, for the same reason: the VM's speed drifts; each
// round's two runs are back to back, and the median of the per-round ratios is printed beside the
// ratio of the totals. The load generator is raw dgram with a pre-encoded request (no net-snmp on
// the manager side); its CPU time is printed (ms per measured second) so that a manager that
// saturates a core, which would make the ratio meaningless, shows. Each agent's CPU time per
// answered GET (from /proc, Linux) is printed too: on a shared, busy machine it is steadier than
// the rate.
// The walk target (#19): iothinx-sim's time per row for its enterprise subtree at most snmpd's
// per row for its MIB-II walk (how many rows that is depends on the host: hrSWInstalled, tcp
// connections). Per row is printed as the wall time over the rows, and net of the one-row walk
// (the tool's start-up, which a 1360-row walk carries more of per row than a 9000-row one).
// BENCH_SECONDS (default 6): measured seconds per agent and K, split over BENCH_ROUNDS (default
// 8) rounds (many short rounds: the median of their ratios outlasts a neighbour's burst); BENCH_WARMUP (default 0.5): unmeasured seconds before each; BENCH_WALK_ROUNDS
// (default 7).
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PEERS_HINT } from './lib/cc.mjs';
import { children, cleanupOnExit, launch, median, startEmulator, stdoutLine, stop, stopAll, whenReady } from './lib/children.mjs';
import { cpuSeconds } from './lib/proc.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 8)));
const WALK_ROUNDS = Math.max(1, Math.floor(Number(process.env.BENCH_WALK_ROUNDS ?? 7)));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 0.5);
const INFLIGHT = [1, 16];
const TARGET = { 1: 1, 16: 1.5 };
const SNMPD = '/usr/sbin/snmpd';
const SNMPBULKWALK = '/usr/bin/snmpbulkwalk';
const LOADGEN = new URL('./lib/snmp-load.mjs', import.meta.url).pathname;
const ENTERPRISE = '1.3.6.1.4.1.8691';
const MIB2 = '1.3.6.1.2.1';
const ONE_ROW = '1.3.6.1.2.1.1.5';
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

// The request sent back with its PDU tag A0 (GetRequest) turned into A2 (Response): the load
// generator counts it as an answer (a NULL value is no exception). Byte 13 is the PDU tag of the
// generator's request (30 29 02 01 01 04 06 "public" A0 ...).
const FLOOR_SCRIPT = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => {
  const out = Buffer.allocUnsafe(m.length);
  m.copy(out);
  out[13] = 0xa2;
  s.send(out, r.port, r.address, () => {});
});
s.bind(0, '127.0.0.1', () => console.log('listening ' + s.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

async function startFloor() {
  const child = launch(process.execPath, ['-e', FLOOR_SCRIPT]);
  const m = await whenReady(child, 'node-dgram-floor', stdoutLine(child, /listening (\d+)/));
  return { child, host: '127.0.0.1', port: Number(m[1]) };
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
  const cpuBefore = cpuSeconds(agent.child.pid);
  const child = launch(process.execPath, args);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (s) => (out += s));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`snmp-load -k ${inflight} against ${agent.host}:${agent.port} exited ${code}\n${child.stderrTail.trim()}`);
  const result = JSON.parse(out.trim().split('\n').pop());
  const cpuAfter = cpuSeconds(agent.child.pid);
  result.agent_cpu_ms = cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) * 1000;
  return result;
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
    // The agent's CPU per answered GET (warm-up included on both sides), and the manager's CPU per measured second.
    agent_cpu_us: rounds.every((r) => r.agent_cpu_ms != null) ? (1000 * rounds.reduce((n, r) => n + r.agent_cpu_ms, 0)) / rounds.reduce((n, r) => n + r.answered, 0) : null,
    manager_cpu_ms_per_s: rounds.reduce((n, r) => n + r.cpu_ms, 0) / seconds,
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
    ['snmpd', MIB2],
    ['iothinx-sim', ONE_ROW],
    ['snmpd', ONE_ROW],
  ].filter(([name]) => agents[name]);
  const runs = Object.fromEntries(walks.map(([n, oid]) => [`${n} ${oid}`, []]));
  // Unmeasured: snmpd fills its table caches (hrSWInstalled, tcp ...) on the first walk, and
  // iothinx-sim's GETBULK code is not yet compiled hot.
  for (const [name, oid] of walks) await bulkwalk(agents[name], oid);
  for (let r = 0; r < WALK_ROUNDS; r++) {
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

/** Per-round ratios iothinx-sim / snmpd for K (each round ran both back to back). */
function roundRatios(gets, k) {
  const sim = gets['iothinx-sim'][k].rounds;
  const ref = gets.snmpd[k].rounds;
  return sim.map((r, i) => r.rps / ref[i].rps).sort((a, b) => a - b);
}

/** ms per row of a walk, wall time and net of the one-row walk on the same agent. */
function perRow(walks, name, oid) {
  const w = walks[`${name} ${oid}`];
  const one = walks[`${name} ${ONE_ROW}`];
  if (!w) return null;
  return { rows: w.varbinds, ms: w.ms, perRow: w.ms / w.varbinds, netPerRow: one ? (w.ms - one.ms) / Math.max(1, w.varbinds - one.varbinds) : null };
}

function report(gets, walks) {
  const fmt = (x, digits = 1) => (x == null ? '-' : x.toFixed(digits));
  const ref = gets.snmpd;
  const sim = gets['iothinx-sim'];
  const rows = [['agent', 'in flight', 'GETs/s', 'vs snmpd', 'rounds min/med/max', 'p50 us', 'p99 us', 'agent CPU us/GET', 'manager CPU ms/s', 'errors', 'lost']];
  for (const [name, runs] of Object.entries(gets)) {
    for (const k of INFLIGHT) {
      const r = runs[k];
      const ratios = name === 'iothinx-sim' && ref ? roundRatios(gets, k) : null;
      rows.push([
        name,
        String(k),
        fmt(r.rps, 0),
        ref ? `${(r.rps / ref[k].rps).toFixed(2)}x` : '-',
        ratios ? `${ratios[0].toFixed(2)}/${median(ratios).toFixed(2)}/${ratios.at(-1).toFixed(2)}` : '-',
        fmt(r.p50_us),
        fmt(r.p99_us),
        fmt(r.agent_cpu_us),
        fmt(r.manager_cpu_ms_per_s, 0),
        String(r.errors),
        String(r.lost),
      ]);
    }
  }
  console.log('snmp: SNMPv2c GET sysName.0 (one varbind), K requests in flight on one UDP socket (raw dgram manager, pre-encoded request)');
  console.log(`  ${SECONDS} s per agent and K, in ${ROUNDS} interleaved round(s) after ${WARMUP} s warm-up each; p50/p99: median over rounds`);
  console.log(`  target: iothinx-sim >= ${TARGET[1]}x snmpd at 1 in flight, >= ${TARGET[16]}x at 16`);
  table(rows);
  if (sim && ref) {
    for (const k of INFLIGHT) {
      const total = sim[k].rps / ref[k].rps;
      const med = median(roundRatios(gets, k));
      console.log(`  K=${k}: ${total.toFixed(2)}x (totals), ${med.toFixed(2)}x (median of rounds), target ${TARGET[k]}x: ${Math.min(total, med) >= TARGET[k] ? 'met' : 'NOT met'}`);
    }
  }
  console.log(`  snmpbulkwalk -v2c -Cr25 (wall time of the tool run, median of ${WALK_ROUNDS}, after one unmeasured walk each)`);
  const walkRows = [['agent', 'subtree', 'rows', 'ms', 'ms/row', 'net ms/row']];
  for (const key of Object.keys(walks)) {
    const [name, oid] = key.split(' ');
    const w = perRow(walks, name, oid);
    walkRows.push([name, oid, String(w.rows), fmt(w.ms), fmt(w.perRow, 4), oid === ONE_ROW ? '-' : fmt(w.netPerRow, 4)]);
  }
  table(walkRows);
  const mine = perRow(walks, 'iothinx-sim', ENTERPRISE);
  const theirs = perRow(walks, 'snmpd', MIB2);
  if (mine && theirs) {
    const ratio = mine.perRow / theirs.perRow;
    const net = mine.netPerRow / theirs.netPerRow;
    console.log(`  walk per row, iothinx-sim ${ENTERPRISE} / snmpd ${MIB2}: ${ratio.toFixed(2)}x (wall), ${net.toFixed(2)}x (net of the tool's start-up); target <= 1x`);
  }
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
    agents['node-dgram-floor'] = await startFloor();
    const gets = await measureGets(agents);
    const walks = await measureWalks(agents);
    await stopAll();
    report(gets, walks);
    const ratios = sim ? Object.fromEntries(INFLIGHT.map((k) => [k, gets['iothinx-sim'][k].rps / gets.snmpd[k].rps])) : null;
    const mine = sim ? perRow(walks, 'iothinx-sim', ENTERPRISE) : null;
    const theirs = perRow(walks, 'snmpd', MIB2);
    const walkRatio = mine && theirs ? { wall: mine.perRow / theirs.perRow, net: mine.netPerRow / theirs.netPerRow } : null;
    return { seconds: SECONDS, rounds: ROUNDS, warmup: WARMUP, gets, walks, ratios, walkRatio };
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
