/**
 * The built CLI as a child process for the fixtures (startDevice, startFleet): spawned with
 * `--ready-file` in a temp dir, resolved once the file appears, rejected with its stderr if it
 * exits first or does not get ready in time; killed when this process exits, whatever the test
 * runner does, and ending by itself when this process is killed outright (SIGKILL): it watches a
 * pipe only this process holds (IOTHINX_SIM_PARENT_FD) and removes its run dir as it exits
 * (IOTHINX_SIM_REMOVE_ON_EXIT).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { rmSync, watch } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KEEP_TEMP_ENV, PARENT_FD_ENV, REMOVE_ON_EXIT_ENV } from '../config/fixture-env.js';
import { resolveProfile } from '../config/profile-name.js';
import { SimClientError } from './errors.js';

/** From dist/testing or src/testing alike: the package root's dist/. */
const CLI = fileURLToPath(new URL('../../dist/cli/iothinx-sim.cjs', import.meta.url));
const STOP_DEADLINE_MS = 5000;

export interface HostPort {
  host: string;
  port: number;
}

/** "host:port" or "[v6]:port" as the ready file gives it. */
export function hostPort(address: string | null): HostPort | null {
  if (!address) return null;
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}

export const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? (Symbol.for('nodejs.asyncDispose') as typeof Symbol.asyncDispose);

/** Runs `task` the first time, and hands every later caller the same promise. */
export function once(task: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= task());
}

/**
 * A profile option as a file: a shipped profile's name (`tank-station`), a path, or the default
 * (src/config/profile-name.ts); an unknown name rejects with CLIENT_START_FAILED listing the shipped names.
 */
function profileFile(profile: string | undefined): string {
  try {
    return resolveProfile(profile);
  } catch (error) {
    throw new SimClientError((error as Error).message, { status: null, code: 'CLIENT_START_FAILED', path: 'profile', request: null, cause: error });
  }
}

/** A run's temp dir (kept with IOTHINX_KEEP_TEMP=1) and its profile file: the one named, the default, or the document written there. */
export async function runDir(prefix: string, profile: string | object | undefined): Promise<{ dir: string; profile: string; remove(): Promise<void> }> {
  // Before the temp dir: an unknown name leaves nothing behind.
  const file = typeof profile === 'object' ? undefined : profileFile(profile);
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const keep = keepTemp();
  // Removed by stop(), else as this process exits (onExit), else by the child as it exits (IOTHINX_SIM_REMOVE_ON_EXIT).
  if (!keep) liveDirs.add(dir);
  installExitHook();
  const remove = async () => {
    if (keep) return;
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };
  if (file !== undefined) return { dir, profile: file, remove };
  try {
    // JSON is YAML: the loader reads it and reports problems against this file.
    const written = join(dir, 'profile.yaml');
    await writeFile(written, `${JSON.stringify(profile, null, 2)}\n`);
    return { dir, profile: written, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * Children still running when this process exits are killed, and run dirs not yet removed are,
 * whatever the test runner does (a test that never called stop(), process.exit()). Past what an
 * 'exit' hook sees (SIGKILL of this process) each child notices the end of its parent pipe and
 * stops, removing its run dir itself (src/cli/parent.ts).
 */
const children = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHook = false;
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  installExitHook();
}

/**
 * What the child watches (src/cli/parent.ts): fd 3 is a pipe only this process holds the other
 * end of, and the run dir goes with the child.
 */
const PARENT_FD = 3;
function parentEnv(dir: string): Record<string, string> {
  return { [PARENT_FD_ENV]: String(PARENT_FD), ...(keepTemp() ? {} : { [REMOVE_ON_EXIT_ENV]: dir }) };
}

const keepTemp = () => Boolean(process.env[KEEP_TEMP_ENV]);


/** Runs `iothinx-sim ARGV --quiet --ready-file DIR/ready.json`; stop() is SIGTERM, then SIGKILL after 5 s. */
export async function spawnUntilReady<T>(argv: string[], dir: string, options: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<{ ready: T; stop(): Promise<void> }> {
  const readyFile = join(dir, 'ready.json');
  const timeoutMs = options.timeoutMs ?? 20_000;
  const child = spawn(process.execPath, [CLI, ...argv, '--quiet', '--ready-file', readyFile], {
    // fd 3 (PARENT_FD): closed by the kernel whenever this process ends, SIGKILL included.
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env, ...parentEnv(dir) },
  });
  track(child);
  // Held (child.stdio keeps the reference while the child is tracked) but never read, and it keeps nothing alive.
  (child.stdio[PARENT_FD] as Socket | null)?.unref();
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-64_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const ready = await new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: T) => {
      if (settled) return;
      settled = true;
      watcher.close();
      clearInterval(poll);
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(value!);
    };
    const check = () =>
      void readFile(readyFile, 'utf8').then(
        (text) => finish(null, JSON.parse(text) as T),
        () => undefined, // not written yet (it appears atomically, whole)
      );
    // The ready file is renamed into place: the watch sees it; the poll covers file systems where watching fails.
    const watcher = watch(dir, check);
    watcher.on('error', () => undefined);
    const poll = setInterval(check, 50);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new SimClientError(`iothinx-sim did not write its ready file in ${timeoutMs} ms; stderr: ${stderr.trim() || '(empty)'}`, { status: null, code: 'CLIENT_TIMEOUT', path: null, request: null }));
    }, timeoutMs);
    void exited.then(({ code, signal }) =>
      finish(new SimClientError(`iothinx-sim exited (${signal ?? `code ${code}`}) before it was ready: ${stderr.trim() || '(no output)'}`, { status: null, code: 'CLIENT_START_FAILED', path: null, request: null })),
    );
    check();
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    // The CLI exits within 5 s of SIGTERM (README); past that it is killed.
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
    await exited;
    clearTimeout(timer);
  };
  return { ready, stop };
}

