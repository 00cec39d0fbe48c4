// Time from process start to the ready file, and the run time of one `iothinx-sim ctl get`
// against a running device (#19), each against a bare `node -e 0` measured in the same run.
// Prints medians and the ratio; never asserts a time (the machine is shared and noisy).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const cli = new URL('../dist/cli/iothinx-sim.cjs', import.meta.url).pathname;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function emulatorReady(dir, i) {
  const readyFile = join(dir, `ready-${i}.json`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [cli, 'start', '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--snmp', '127.0.0.1:0', '--quiet', '--ready-file', readyFile],
      { stdio: 'ignore' },
    );
    child.on('error', reject);
    const poll = setInterval(() => {
      if (existsSync(readyFile)) {
        const ms = performance.now() - t0;
        clearInterval(poll);
        child.once('exit', () => resolve(ms));
        child.kill('SIGTERM');
      }
    }, 1);
    child.once('exit', (code) => {
      if (!existsSync(readyFile)) {
        clearInterval(poll);
        reject(new Error(`emulator exited with ${code} before it was ready`));
      }
    });
  });
}

export async function benchStartup() {
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-'));
  try {
    const bare = [];
    const ready = [];
    // Interleave so both see the same machine load.
    for (let i = 0; i < RUNS; i++) {
      bare.push(await timed(['-e', '0']));
      ready.push(await emulatorReady(dir, i));
    }
    const b = median(bare);
    const r = median(ready);
    console.log(`startup: node -e 0 median ${b.toFixed(1)} ms; iothinx-sim start -> ready file median ${r.toFixed(1)} ms; ratio ${(r / b).toFixed(2)}x (${RUNS} runs each)`);
    return { bareMs: b, readyMs: r, ratio: r / b };
  } finally {
    rmSync(dir, { recursive: true, force: true });
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

/** `iothinx-sim ctl get 1/0 diStatus` against one running device, interleaved with `node -e 0`. */
export async function benchCtl() {
  const runs = Number(process.env.BENCH_CTL_RUNS ?? 20);
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-'));
  const readyFile = join(dir, 'ready.json');
  const device = spawn(
    process.execPath,
    [cli, 'start', '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--snmp', '127.0.0.1:0', '--quiet', '--ready-file', readyFile],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => device.once('exit', resolve));
  try {
    while (!existsSync(readyFile)) {
      if (device.exitCode !== null) throw new Error(`emulator exited with ${device.exitCode} before it was ready`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const { http } = JSON.parse(readFileSync(readyFile, 'utf8'));
    const get = [cli, 'ctl', '--url', `http://${http}`, 'get', '1/0', 'diStatus'];
    const bare = [];
    const ctl = [];
    for (let i = 0; i < runs; i++) {
      bare.push(await timed(['-e', '0']));
      ctl.push(await timed(get));
    }
    const b = median(bare);
    const c = median(ctl);
    console.log(`ctl: node -e 0 median ${b.toFixed(1)} ms; iothinx-sim ctl get 1/0 diStatus median ${c.toFixed(1)} ms; ratio ${(c / b).toFixed(2)}x (${runs} runs each)`);
    return { bareMs: b, ctlMs: c, ratio: c / b };
  } finally {
    device.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node bench/startup.mjs [start|ctl]`: both, or one of them.
if (import.meta.url === `file://${process.argv[1]}`) {
  const only = process.argv[2];
  if (only !== 'ctl') await benchStartup();
  if (only !== 'start') await benchCtl();
}
