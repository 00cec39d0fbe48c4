// Fleet benchmark (issue #16, "Done when"): N devices of the default profile in one
// `iothinx-sim fleet` process, against a fleet of 1 and against one `iothinx-sim start` process
// per device, all measured in the same run. Prints figures and ratios; never asserts a time (the
// 2-core machine is shared, so every figure here moves from run to run).
//
//   reference: fleet of 1, --mqtt off and --mqtt embedded, REF_RUNS starts each (median)
//   for N in --counts:
//     fleet N --mqtt off       ──► start time, RSS after IDLE_S idle
//     fleet N --mqtt embedded  ──► start time (every device listening, its MQTT client connected),
//                                  time until its first publications are out ("1st pub s"),
//                                  then RSS after IDLE_S idle, CPU over CPU_S idle,
//                                  then every device polled over Modbus/TCP once a second for POLL_S
//   PROCS x `iothinx-sim start` (--mqtt off), spawned at once ──► start time, summed RSS
//
// Per-device figures are marginal: (fleet N - fleet 1) / (N - 1), so the process's fixed cost
// (Node itself, the code, the broker) is not spread over the devices. The one-process-per-device
// figure is the plain RSS sum / PROCS, as that is what each extra device costs that way.
//
// The MQTT-on fleet is the default profile as it is: every value topic enabled, OnChange where
// the device allows it (profiles/default.yaml mqtt.defaults.trigger), and signals on channels
// (a square wave, a random walk, a sine). The bench checks that and, should the default profile
// ever lose them, runs a temp copy that puts them back, so the CPU figure keeps meaning "idle
// with traffic". It is also the fleet that gets polled: the issue's condition is all of it at once.
//
// The poller is a small Node client here, not bench/c/loadgen.c: loadgen drives one address with
// requests back to back, while this needs one connection per device at its own port, one FC3
// (10 holding registers at 0, unit 1) per second each, spread evenly over the second, as a SCADA
// polling a plant would. At 1,000 requests/s it costs the bench a few % of a core.
//
//   node bench/fleet.mjs [--count N | --counts 100,300,1000] [--procs 20] [--idle 5] [--cpu 10] [--poll 10]
//   npm run bench:fleet -- --count 200
//
// Not in bench/run.mjs: with the default 1,000 devices one run takes about two minutes (two
// fleets of 1,000 start one device after another, plus the idle, CPU and polling windows).
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { cleanupOnExit, cli, hasExited, launch, median, readyFile, stopAll, whenReady } from './lib/children.mjs';
import { cpuSeconds } from './lib/proc.mjs';

const { values: opts } = parseArgs({
  options: {
    count: { type: 'string' },
    counts: { type: 'string' },
    procs: { type: 'string', default: '20' },
    idle: { type: 'string', default: '5' },
    cpu: { type: 'string', default: '10' },
    poll: { type: 'string', default: '10' },
  },
});
const COUNTS = (opts.counts ?? opts.count ?? '1000').split(',').map((s) => Number(s.trim()));
if (COUNTS.some((n) => !Number.isInteger(n) || n < 2)) throw new Error(`--count/--counts: integers >= 2, got "${opts.counts ?? opts.count}"`);
const PROCS = Math.max(2, Number(opts.procs));
const IDLE_S = Number(opts.idle);
const CPU_S = Number(opts.cpu);
const POLL_S = Number(opts.poll);
const REF_RUNS = 3;
// A fleet of 1,000 starts its devices one after another; at ~30 ms each that is half a minute.
const FLEET_TIMEOUT_MS = (n) => 30_000 + n * 200;
// SIGTERM stops every device in turn; children.mjs's 2 s before SIGKILL is for one device.
const STOP_GRACE_MS = 60_000;
const POLL_TIMEOUT_MS = 2000;
// Targets from the issue; printed beside the figures, not enforced.
const TARGET = { mibPerDevice: 2, msPerDevice: 5, cpuPercent: 100 };

const benchDir = new URL('.', import.meta.url).pathname;
const defaultProfile = join(benchDir, '..', 'profiles', 'default.yaml');
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- /proc readings --------------------------------------------------------------------------

function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

/** Percent of one core that `pid` used over `ms`. */
async function cpuPercent(pid, ms) {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(ms);
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

function openFilesLimit() {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

// Descriptors a fleet of n needs, per device: HTTP and Modbus listeners, the SNMP socket, the
// device's MQTT client and the broker's end of it, the poller's connection as accepted; plus
// Node's own. The bench holds the poller's end (n) itself. Both inherit the same soft limit.
const fdsNeeded = (n) => 6 * n + 200;

// --- children --------------------------------------------------------------------------------

/** Spawns `args` of the CLI and resolves once `file`, its ready file, exists: { child, ms (spawn to file), info }. */
async function startUntilReady(args, file, timeoutMs) {
  const t0 = performance.now();
  const child = launch(process.execPath, [cli, ...args, '--quiet', '--ready-file', file]);
  child.stdout.resume();
  // Warnings the fleet logs (JSON lines, pino level 40+) by code: a device whose MQTT client got
  // no CONNACK still counts as started, so without this an overloaded broker would go unseen.
  child.warnings = new Map();
  createInterface({ input: child.stderr }).on('line', (line) => {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      return; // not a log line (a crash's stack trace is in stderrTail)
    }
    if (entry.level >= 40) child.warnings.set(entry.code ?? entry.msg, (child.warnings.get(entry.code ?? entry.msg) ?? 0) + 1);
  });
  // 5 ms polls: the start time of a fleet of 1 is a few hundred ms, and it is the reference.
  const info = await whenReady(child, `iothinx-sim ${args[0]}`, readyFile(child, file, 5), timeoutMs);
  return { child, ms: performance.now() - t0, info };
}

/** SIGTERM, SIGKILL after `graceMs`; resolves { ms, code } so a slow or unclean stop shows. */
async function stopChild(child, graceMs = STOP_GRACE_MS) {
  if (child.pid === undefined || hasExited(child)) return { ms: 0, code: child.exitCode ?? child.signalCode, stderr: child.stderrTail.trim() };
  const exited = once(child, 'exit');
  const t0 = performance.now();
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const [code, signal] = await exited;
  clearTimeout(force);
  return { ms: performance.now() - t0, code: signal ?? code, stderr: child.stderrTail.trim() };
}

let runNo = 0;
function fleetArgs(n, mqtt, profile) {
  return ['fleet', '--profile', profile, '--count', String(n), '--addressing', 'ports:0', '--mqtt', mqtt, '--broker', '127.0.0.1:0'];
}

/**
 * Seconds from ready until the fleet's first publications are out (~160 retained QoS 1 messages a
 * device, sent once every device has started): until 10 devices spread over the fleet have each
 * published more than 100 messages and have fewer than 10 waiting, on two polls in a row. (Not
 * "none waiting": signals keep a few on their way at any moment.) Their own /sim/v1/mqtt, not
 * /fleet/v1/metrics: a scrape of 1,000 devices is 3.5 MB of text and ~0.5 s of the fleet's CPU,
 * and scraping every second grew the fleet's RSS by half. null without MQTT or fleet API.
 */
async function firstPublicationsDone(info, t0, timeoutMs) {
  if (!info.http) return null;
  const step = Math.max(1, Math.floor(info.devices.length / 10));
  const sample = info.devices.filter((_, i) => i % step === 0).slice(0, 10);
  let drained = 0;
  while (performance.now() - t0 < timeoutMs) {
    const states = await Promise.all(
      sample.map((d) => fetch(`http://${info.http}/fleet/v1/devices/${encodeURIComponent(d.name)}/sim/v1/mqtt`).then((r) => (r.ok ? r.json() : null))),
    );
    if (states.some((s) => s === null)) return null;
    drained = states.every((s) => s.published > 100 && s.queued < 10) ? drained + 1 : 0;
    if (drained === 2) return (performance.now() - t0) / 1000;
    await sleep(500);
  }
  return NaN;
}

/** One fleet: start time, RSS after the idle window (and the CPU over that window). Leaves it running. */
async function startFleet(dir, n, mqtt, profile) {
  const file = join(dir, `fleet-${++runNo}.json`);
  const { child, ms, info } = await startUntilReady(fleetArgs(n, mqtt, profile), file, FLEET_TIMEOUT_MS(n));
  if (info.devices.length !== n) console.log(`  ! fleet of ${n}: the ready file lists ${info.devices.length} devices`);
  // The idle window starts once the first publications are out, so it measures steady traffic.
  const publishedS = mqtt === 'off' ? null : await firstPublicationsDone(info, performance.now(), FLEET_TIMEOUT_MS(n));
  const rssAtReady = rssBytes(child.pid);
  const idleCpu = await cpuPercent(child.pid, IDLE_S * 1000);
  return { child, info, startMs: ms, publishedS, rssAtReady, rss: rssBytes(child.pid), idleCpu };
}

/** The reference: a fleet of 1, REF_RUNS times; medians. */
async function referenceFleet(dir, mqtt, profile) {
  const runs = [];
  for (let i = 0; i < REF_RUNS; i++) {
    const f = await startFleet(dir, 1, mqtt, profile);
    f.stop = await stopChild(f.child);
    runs.push(f);
  }
  return {
    startMs: median(runs.map((r) => r.startMs)),
    rss: median(runs.map((r) => r.rss)),
    idleCpu: median(runs.map((r) => r.idleCpu)),
    stopMs: median(runs.map((r) => r.stop.ms)),
  };
}

// --- the Modbus poller -----------------------------------------------------------------------

const hostPort = (a) => {
  const m = /^(.*):(\d+)$/.exec(a);
  return { host: m[1], port: Number(m[2]) };
};

// FC3, 10 holding registers at 0, unit 1 (MBAP: tid, protocol 0, length 6, unit).
function request(tid) {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(6, 4);
  b.writeUInt8(1, 6);
  b.writeUInt8(3, 7);
  b.writeUInt16BE(0, 8);
  b.writeUInt16BE(10, 10);
  return b;
}
const REPLY_LEN = 7 + 2 + 2 * 10;

/**
 * Every address in `modbus` gets one connection and one request a second, device i at offset
 * i/n of the second, for `seconds`. A request counts as an error when it gets an exception or a
 * malformed reply, no reply within POLL_TIMEOUT_MS, or its connection fails; replies may
 * overlap the next request (matched by transaction id), as a slow device would make them.
 */
async function poll(modbus, seconds, pid) {
  const n = modbus.length;
  const stats = { sent: 0, answered: 0, errors: 0, connectFailed: 0, latencies: [], why: new Map() };
  const fail = (why) => {
    stats.errors++;
    stats.why.set(why, (stats.why.get(why) ?? 0) + 1);
  };
  // Connect everything first, 50 at a time, so the window measures polling, not connecting.
  const conns = new Array(n);
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      modbus.slice(i, i + 50).map(async (addr, k) => {
        const s = net.connect(hostPort(addr));
        s.setNoDelay(true);
        const c = { socket: s, pending: new Map(), buf: Buffer.alloc(0), tid: 0, up: false };
        conns[i + k] = c;
        s.on('error', () => {});
        s.on('close', () => {
          c.up = false;
          for (const [tid, p] of c.pending) {
            clearTimeout(p.timer);
            c.pending.delete(tid);
            fail('connection closed');
          }
        });
        s.on('data', (d) => {
          c.buf = c.buf.length ? Buffer.concat([c.buf, d]) : d;
          while (c.buf.length >= 7) {
            const len = 6 + c.buf.readUInt16BE(4);
            if (c.buf.length < len) break;
            const frame = c.buf.subarray(0, len);
            c.buf = c.buf.subarray(len);
            const p = c.pending.get(frame.readUInt16BE(0));
            if (!p) continue;
            c.pending.delete(frame.readUInt16BE(0));
            clearTimeout(p.timer);
            if (frame[7] === 3 && frame.length === REPLY_LEN && frame[8] === 20) {
              stats.answered++;
              stats.latencies.push(performance.now() - p.t0);
            } else fail(frame[7] & 0x80 ? `exception ${frame[8]}` : 'malformed reply');
          }
        });
        try {
          await once(s, 'connect');
          c.up = true;
        } catch {
          stats.connectFailed++;
        }
      }),
    );
  }
  const send = (c) => {
    stats.sent++;
    if (!c.up) return fail('not connected');
    const tid = (c.tid = (c.tid + 1) & 0xffff);
    const p = { t0: performance.now(), timer: setTimeout(() => c.pending.delete(tid) && fail('no reply in 2 s'), POLL_TIMEOUT_MS) };
    c.pending.set(tid, p);
    c.socket.write(request(tid));
  };
  // One timer per device, each first fired at its offset in the second and then every second.
  const t0 = performance.now();
  const c0 = cpuSeconds(pid);
  const timers = conns.map((c, i) => {
    const timer = { interval: null };
    timer.first = setTimeout(() => {
      send(c);
      timer.interval = setInterval(() => send(c), 1000);
    }, (i * 1000) / n);
    return timer;
  });
  await sleep(seconds * 1000);
  for (const t of timers) {
    clearTimeout(t.first);
    clearInterval(t.interval);
  }
  const windowS = (performance.now() - t0) / 1000;
  const fleetCpu = ((cpuSeconds(pid) - c0) / windowS) * 100;
  // Let the last replies in (or time out) before counting.
  await sleep(POLL_TIMEOUT_MS + 100);
  for (const c of conns) c.socket.destroy();
  const pct = (q) => {
    const s = [...stats.latencies].sort((a, b) => a - b);
    return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : null;
  };
  return { ...stats, windowS, fleetCpu, p50: pct(0.5), p99: pct(0.99), max: pct(1) };
}

// --- one process per device ------------------------------------------------------------------

/** PROCS `iothinx-sim start` processes spawned at once, flags as bench/startup.mjs. */
async function processes(dir, count) {
  // No --data-dir: like a fleet device, nothing is persisted.
  const args = ['start', '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--snmp', '127.0.0.1:0'];
  // Reference: one process alone, REF_RUNS times.
  const one = [];
  for (let i = 0; i < REF_RUNS; i++) {
    const p = await startUntilReady(args, join(dir, `proc-ref-${++runNo}.json`), 20_000);
    one.push(p.ms);
    await stopChild(p.child, 5000);
  }
  const t0 = performance.now();
  const started = await Promise.all(
    Array.from({ length: count }, (_, i) => startUntilReady(args, join(dir, `proc-${++runNo}-${i}.json`), 60_000)),
  );
  const allMs = performance.now() - t0;
  await sleep(IDLE_S * 1000);
  const rss = started.reduce((sum, p) => sum + rssBytes(p.child.pid), 0);
  await Promise.all(started.map((p) => stopChild(p.child, 5000)));
  return { oneMs: median(one), allMs, rss };
}

// --- the profile -----------------------------------------------------------------------------

/** The default profile when it has OnChange value topics and signals, else a temp copy that does. */
function mqttProfile(dir) {
  const p = parseYaml(readFileSync(defaultProfile, 'utf8'));
  const valueTopics = (p.mqtt?.topics ?? []).some((t) => t.class === 'value' && t.enabled);
  const onChange = p.mqtt?.defaults?.trigger === 'onChangeWhereAllowed';
  const signals = (p.slots ?? []).some((s) => (s.channels ?? []).some((c) => c.signal));
  if (p.mqtt?.enabled && valueTopics && onChange && signals) return { file: defaultProfile, note: 'profiles/default.yaml as is' };
  p.mqtt = { ...p.mqtt, enabled: true, url: 'embedded', defaults: { ...p.mqtt?.defaults, trigger: 'onChangeWhereAllowed' }, topics: [{ class: 'value', enabled: true }] };
  if (!signals) {
    const slot1 = p.slots.find((s) => s.slot === 1);
    slot1.channels = [...(slot1.channels ?? []).filter((c) => c.index !== 2 && c.index !== 3), { index: 2, signal: { kind: 'square', periodMs: 1000 } }, { index: 3, signal: { kind: 'square', periodMs: 500 } }];
  }
  const file = join(dir, 'mqtt-profile.yaml');
  writeFileSync(file, JSON.stringify(p)); // JSON is YAML
  return { file, note: 'a copy of profiles/default.yaml with value topics OnChange and signals added' };
}

// --- main ------------------------------------------------------------------------------------

const f1 = (x) => (x == null ? '-' : x.toFixed(1));
const f2 = (x) => (x == null ? '-' : x.toFixed(2));
const mib = (b) => b / MiB;

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  '));
}

export async function benchFleet() {
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run npm run build first`);
  const limit = openFilesLimit();
  const counts = COUNTS.filter((n) => fdsNeeded(n) <= limit);
  for (const n of COUNTS.filter((n) => fdsNeeded(n) > limit)) {
    console.log(`fleet: skipping N=${n}: it needs about ${fdsNeeded(n)} open files and \`ulimit -n\` is ${limit}; raise it in the shell first (ulimit -n ${fdsNeeded(Math.max(...COUNTS))}, up to the hard limit \`ulimit -Hn\`; beyond it, /etc/security/limits.conf or LimitNOFILE= of the service)`);
  }
  if (!counts.length) return null;

  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-fleet-'));
  const cleanup = cleanupOnExit(dir);
  const t0 = performance.now();
  try {
    const profile = mqttProfile(dir);
    console.log(`fleet: N devices in one \`iothinx-sim fleet\` (--addressing ports:0: Modbus and SNMP per device, HTTP through the one fleet API) vs a fleet of 1 vs one process per device`);
    console.log(`  MQTT-on fleet: --mqtt embedded, ${profile.note}; MQTT-off fleet: --mqtt off`);
    console.log(`  per device = (fleet N - fleet 1) / (N - 1); RSS after ${IDLE_S} s idle; fleet of 1: median of ${REF_RUNS}; ulimit -n ${limit}`);
    console.log(`  note: 2-core machine shared with other work: every figure is noisy, compare ratios within a run`);

    const ref = { off: await referenceFleet(dir, 'off', profile.file), on: await referenceFleet(dir, 'embedded', profile.file) };
    const rows = [];
    const polls = [];
    for (const n of counts) {
      for (const mqtt of ['off', 'on']) {
        const f = await startFleet(dir, n, mqtt === 'on' ? 'embedded' : 'off', profile.file);
        const r = ref[mqtt];
        const row = { n, mqtt, startMs: f.startMs, publishedS: f.publishedS, rss: f.rss, rssAtReady: f.rssAtReady, idleCpu: f.idleCpu };
        row.msPerDevice = (f.startMs - r.startMs) / (n - 1);
        row.mibPerDevice = mib(f.rss - r.rss) / (n - 1);
        if (mqtt === 'on') {
          row.cpu = await cpuPercent(f.child.pid, CPU_S * 1000);
          const modbus = f.info.devices.map((d) => d.modbus).filter(Boolean);
          if (modbus.length !== n) console.log(`  ! ${n - modbus.length} device(s) of ${n} list no Modbus address`);
          const p = await poll(modbus, POLL_S, f.child.pid);
          p.n = n;
          polls.push(p);
        }
        row.stop = await stopChild(f.child);
        row.warnings = f.child.warnings;
        rows.push(row);
      }
    }

    const procN = Math.min(PROCS, Math.max(...counts));
    const procs = await processes(dir, procN);
    const procMibPerDevice = mib(procs.rss) / procN;
    const procMsPerDevice = (procs.allMs - procs.oneMs) / (procN - 1);

    console.log(`  reference fleet of 1: MQTT off start ${f1(ref.off.startMs)} ms, RSS ${f1(mib(ref.off.rss))} MiB; MQTT on start ${f1(ref.on.startMs)} ms, RSS ${f1(mib(ref.on.rss))} MiB, idle CPU ${f1(ref.on.idleCpu)} %`);
    table([
      ['N', 'mqtt', 'start s', 'ms/device', '1st pub s', 'RSS MiB', 'MiB/device', 'devices/GiB', 'idle CPU %', 'SIGTERM s', 'exit'],
      ...rows.map((r) => [
        r.n,
        r.mqtt,
        f2(r.startMs / 1000),
        f2(r.msPerDevice),
        r.publishedS == null ? '-' : f1(r.publishedS),
        f1(mib(r.rss)),
        f2(r.mibPerDevice),
        (1024 / r.mibPerDevice).toFixed(0),
        r.cpu != null ? `${f1(r.cpu)} (${CPU_S} s)` : `${f1(r.idleCpu)} (${IDLE_S} s)`,
        f2(r.stop.ms / 1000),
        String(r.stop.code),
      ]),
    ]);
    console.log(`  targets (issue #16, 1,000 devices): <= ${TARGET.mibPerDevice} MiB/device (>= ${1024 / TARGET.mibPerDevice} devices/GiB), <= ${TARGET.msPerDevice} ms/device, idle CPU with MQTT on < ${TARGET.cpuPercent} % (one core)`);
    for (const r of rows) {
      // The CLI exits 1 when stopping passes its 5 s deadline (src/cli/shutdown.ts): say so, with its last words.
      if (r.stop.code !== 0) console.log(`    ! N=${r.n} mqtt ${r.mqtt}: exit ${r.stop.code} ${f2(r.stop.ms / 1000)} s after SIGTERM: ${r.stop.stderr.split('\n').slice(-2).join(' | ') || '(no stderr)'}`);
      if (r.warnings.size) console.log(`    ! N=${r.n} mqtt ${r.mqtt}: warnings logged by the fleet: ${[...r.warnings].map(([code, k]) => `${k} ${code}`).join(', ')}`);
      console.log(`    N=${r.n} mqtt ${r.mqtt}: RSS ${f2(r.mibPerDevice / TARGET.mibPerDevice)}x the target, start ${f2(r.msPerDevice / TARGET.msPerDevice)}x${r.cpu != null ? `, CPU ${f2(r.cpu / TARGET.cpuPercent)}x` : ''}; RSS at ready ${f1(mib(r.rssAtReady))} MiB, +${f1(mib(r.rss - r.rssAtReady))} MiB over the idle ${IDLE_S} s`);
    }

    console.log(`  Modbus polling of the MQTT-on fleet: FC3 x 10 at 0, one connection per device, one request a second each (spread over the second), ${POLL_S} s; error = exception, bad reply, no reply in ${POLL_TIMEOUT_MS / 1000} s, or lost link`);
    table([
      ['N', 'sent', 'answered', 'errors', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'fleet CPU %'],
      ...polls.map((p) => [p.n, p.sent, p.answered, p.errors, (p.sent / p.windowS).toFixed(0), f2(p.p50), f2(p.p99), f1(p.max), f1(p.fleetCpu)]),
    ]);
    for (const p of polls) {
      if (p.connectFailed) console.log(`    N=${p.n}: ${p.connectFailed} connection(s) failed`);
      if (p.why.size) console.log(`    N=${p.n} errors: ${[...p.why].map(([w, k]) => `${k} ${w}`).join(', ')}`);
    }

    const fleetOff = rows.filter((r) => r.mqtt === 'off').at(-1);
    console.log(`  one process per device (${procN} x iothinx-sim start, --mqtt off, spawned at once; RSS after ${IDLE_S} s idle):`);
    console.log(`    1 alone: ${f1(procs.oneMs)} ms to ready (median of ${REF_RUNS}); ${procN} at once: ${f1(procs.allMs)} ms, ${f2(procMsPerDevice)} ms/device; RSS ${f1(mib(procs.rss))} MiB in all, ${f2(procMibPerDevice)} MiB/device (${(1024 / procMibPerDevice).toFixed(0)} devices/GiB)`);
    console.log(`    fleet (N=${fleetOff.n}, mqtt off) / one process per device: RSS ${f2(fleetOff.mibPerDevice)} / ${f2(procMibPerDevice)} MiB = ${f2(fleetOff.mibPerDevice / procMibPerDevice)}x (fleet total / N: ${f2(mib(fleetOff.rss) / fleetOff.n)} MiB = ${f2(mib(fleetOff.rss) / fleetOff.n / procMibPerDevice)}x); start ${f2(fleetOff.msPerDevice)} / ${f2(procMsPerDevice)} ms/device = ${f2(fleetOff.msPerDevice / procMsPerDevice)}x`);
    console.log(`  (bench took ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    return { ref, rows, polls, procs };
  } finally {
    await stopAll();
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFleet();
