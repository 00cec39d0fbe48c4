// Child processes for the benchmarks: every child is tracked so that an error or a signal
// anywhere still stops them all, output is drained (a chatty child cannot stall on a full pipe),
// and the tail of stderr is kept for error messages.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const STARTUP_TIMEOUT_MS = 20_000;
export const cli = new URL('../../dist/cli/iothinx-sim.cjs', import.meta.url).pathname;

export const children = new Set();

export function launch(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => {
    child.stderrTail = (child.stderrTail + s).slice(-2000);
  });
  return child;
}

export const hasExited = (child) => child.exitCode !== null || child.signalCode !== null;

export async function stop(child) {
  // No pid: the spawn itself failed, so there is nothing to stop.
  if (child.pid === undefined || hasExited(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(force);
}

export const stopAll = () => Promise.allSettled([...children].map(stop));

/**
 * Resolves with what `ready` resolves, or rejects (stopping the child) when it dies first or
 * `timeoutMs` runs out.
 */
export async function whenReady(child, what, ready, timeoutMs = STARTUP_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not ready in ${timeoutMs} ms\n${child.stderrTail}`)), timeoutMs);
  });
  const died = new Promise((_, reject) => {
    child.once('error', (err) => reject(new Error(`${what}: ${err.message}`)));
    child.once('exit', (code, signal) => reject(new Error(`${what} exited (${signal ?? code}) before it was ready\n${child.stderrTail.trim()}`)));
  });
  try {
    return await Promise.race([ready, died, timeout]);
  } catch (err) {
    await stop(child);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves with the match of the first line of `stream` (default the child's stdout) matching
 * `pattern`: the reference servers print "listening HOST:PORT" on stdout, mosquitto its start on stderr.
 */
export function stdoutLine(child, pattern, stream = child.stdout) {
  // The interface stays open, so the stream keeps being drained after the line we wait for.
  return new Promise((resolve) => {
    createInterface({ input: stream }).on('line', (line) => {
      const m = pattern.exec(line);
      if (m) resolve(m);
    });
  });
}

/**
 * Resolves with the parsed JSON of `file` once it appears, looking every `intervalMs`. Once the
 * child is gone (exited, or never started: no pid) it stops looking and never settles: wrap it in
 * whenReady, which rejects then with the reason.
 */
export async function readyFile(child, file, intervalMs = 20) {
  while (!existsSync(file)) {
    if (child.pid === undefined || hasExited(child)) return new Promise(() => {});
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Starts the built CLI with `args` and resolves with its ready file once every service listens. */
export async function startEmulator(dir, args) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing; run npm run build first`);
  const file = join(dir, 'ready.json');
  const snmp = args.includes('--snmp') ? [] : ['--snmp', '127.0.0.1:0'];
  const child = launch(process.execPath, [cli, 'start', ...snmp, ...args, '--quiet', '--ready-file', file]);
  child.stdout.resume();
  return { child, info: await whenReady(child, 'iothinx-sim', readyFile(child, file)) };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : null;
}

/** The `q` quantile (0..1) of `xs`, the sample at rank floor(q * n); null when there is none. */
export function quantile(xs, q) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * Stops every child and removes `dir` whatever ends the run: a signal, or process.exit (which
 * skips `finally`). Returns the function that undoes it once the run has cleaned up itself.
 */
export function cleanupOnExit(dir) {
  const onExit = () => {
    children.forEach((c) => c.kill('SIGKILL'));
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal) => {
    stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(dir, { recursive: true, force: true });
  };
}
