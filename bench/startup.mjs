// Time from process start to the ready file, against a bare `node -e 0` measured in the same run.
// Prints medians and the ratio; never asserts a time (the machine is shared and noisy).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const cli = new URL('../dist/cli/iothinx-sim.cjs', import.meta.url).pathname;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function bareNode() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(performance.now() - t0));
  });
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
      bare.push(await bareNode());
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

if (import.meta.url === `file://${process.argv[1]}`) await benchStartup();
