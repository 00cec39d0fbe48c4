// Time from process start to the ready file, and the run time of one `iothinx-sim ctl get`
// against a running device (#19), each against a bare `node -e 0` measured in the same run.
// Prints medians and ratios next to the targets; never asserts a time (the machine is shared
// and noisy).
//
//   for each of RUNS rounds, in an order that rotates every round:
//     node -e 0                                   to its exit
//     start, MQTT and SNMP off                    to the ready file   (target <= 2.5x)
//     start, embedded broker and SNMP (npm start) to the ready file   (target <= 4x)
//   then: one device; RUNS_CTL x (node -e 0, ctl get 1/0 diStatus)    (target <= 2x)
//
// The ready file is polled every millisecond, so a figure is at most ~1 ms late. HTTP on a free
// port in every variant (the full start serves the web UI, as `npm start` does).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupOnExit, cli, launch, median, readyFile, startEmulator, stop, whenReady } from './lib/children.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const VARIANTS = {
  'start, MQTT and SNMP off': { args: ['--mqtt', 'off', '--snmp', 'off'], target: 2.5 },
  'start, embedded broker and SNMP': { args: ['--mqtt', 'embedded', '--broker', '127.0.0.1:0', '--snmp', '127.0.0.1:0'], target: 4 },
};

/** ms from spawn to the ready file of one start (`id` names the file), then SIGTERM and wait for its exit. */
async function toReady(dir, id, args) {
  const file = join(dir, `ready-${id}.json`);
  const t0 = performance.now();
  const child = launch(process.execPath, [cli, 'start', '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', ...args, '--quiet', '--ready-file', file]);
  child.stdout.resume();
  try {
    await whenReady(child, 'iothinx-sim start', readyFile(child, file, 1));
    return performance.now() - t0;
  } finally {
    await stop(child);
  }
}

/** One command to its exit, timed; a non-zero exit fails the benchmark (it measured an error path). */
function timed(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${args.join(' ')} exited with ${code}`))));
  });
}

const verdict = (ratio, target) => `${ratio.toFixed(2)}x (target <= ${target}x: ${ratio <= target ? 'met' : 'NOT met'})`;

export async function benchStartup() {
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-'));
  const release = cleanupOnExit(dir);
  try {
    const jobs = [['node -e 0', () => timed(['-e', '0'])], ...Object.entries(VARIANTS).map(([name, { args }], j) => [name, (i) => toReady(dir, `${i}-${j}`, args)])];
    const times = new Map(jobs.map(([name]) => [name, []]));
    // Interleaved, the order rotating each round: all see the same machine load.
    for (let i = 0; i < RUNS; i++) {
      for (let k = 0; k < jobs.length; k++) {
        const [name, run] = jobs[(i + k) % jobs.length];
        times.get(name).push(await run(i));
      }
    }
    const bare = median(times.get('node -e 0'));
    console.log(`startup (${RUNS} interleaved runs each, medians): node -e 0 ${bare.toFixed(1)} ms`);
    const result = { bareMs: bare };
    for (const [name, { target }] of Object.entries(VARIANTS)) {
      const ms = median(times.get(name));
      result[name] = { ms, ratio: ms / bare };
      console.log(`  ${name} -> ready file: ${ms.toFixed(1)} ms, ${verdict(ms / bare, target)}`);
    }
    return result;
  } finally {
    release();
  }
}

/** `iothinx-sim ctl get 1/0 diStatus` against one running device, interleaved with `node -e 0`. */
export async function benchCtl() {
  const runs = Number(process.env.BENCH_CTL_RUNS ?? 20);
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-'));
  const release = cleanupOnExit(dir);
  const { child, info } = await startEmulator(dir, ['--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off']);
  try {
    const get = [cli, 'ctl', '--url', `http://${info.http}`, 'get', '1/0', 'diStatus'];
    const bare = [];
    const ctl = [];
    for (let i = 0; i < runs; i++) {
      bare.push(await timed(['-e', '0']));
      ctl.push(await timed(get));
    }
    const b = median(bare);
    const c = median(ctl);
    console.log(`ctl: node -e 0 median ${b.toFixed(1)} ms; iothinx-sim ctl get 1/0 diStatus median ${c.toFixed(1)} ms; ${verdict(c / b, 2)} (${runs} runs each)`);
    return { bareMs: b, ctlMs: c, ratio: c / b };
  } finally {
    await stop(child);
    release();
  }
}

// `node bench/startup.mjs [start|ctl]`: both, or one of them.
if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv[2];
  if (only !== 'ctl') await benchStartup();
  if (only !== 'start') await benchCtl();
}
