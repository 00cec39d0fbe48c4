/**
 * Spawns the built CLI and tracks every child so a test's teardown can kill what it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = new URL('../../dist/cli/iothinx-sim.cjs', import.meta.url).pathname;

export interface Ready {
  pid: number;
  http: string | null;
  https: string | null;
  modbus: string | null;
  mqtt: string | null;
  broker: string | null;
  snmp?: string | null;
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iothinx-test-'));
  dirs.add(dir);
  return dir;
}

/** Runs the CLI to completion. */
export function runCli(args: string[], timeoutMs = 15_000, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`iothinx-sim ${args.join(' ')} did not exit in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface Started {
  child: ChildProcess;
  ready: Ready;
  readyFile: string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the emulator and resolves once its ready file appears (watching the child, not the wall clock). */
export async function startCli(args: string[], dir?: string): Promise<Started> {
  // The default profile runs an SNMP agent; a fixed port would collide between parallel tests.
  const snmp = args.includes('--snmp') ? [] : ['--snmp', '127.0.0.1:0'];
  return startCliWith(['start', ...snmp, ...args], dir);
}

/** Any long-running command (`start`, `fleet`) with `--ready-file` added, and extra environment. */
export async function startCliWith(argv: string[], dir?: string, env: Record<string, string> = {}): Promise<Started> {
  const where = dir ?? (await tempDir());
  const readyFile = join(where, 'ready.json');
  const child = spawn(process.execPath, [CLI, ...argv, '--ready-file', readyFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  // The CLI prints its banner after writing the ready file; poll the file on each output chunk
  // and on a short interval as a fallback for --quiet.
  const ready = await new Promise<Ready>((resolve, reject) => {
    let done = false;
    const check = async () => {
      if (done) return;
      try {
        const parsed = JSON.parse(await readFile(readyFile, 'utf8')) as Ready;
        done = true;
        clearInterval(poll);
        resolve(parsed);
      } catch {
        // not there yet
      }
    };
    const poll = setInterval(() => void check(), 10);
    void exited.then(({ code }) => {
      if (!done) {
        done = true;
        clearInterval(poll);
        reject(new Error(`emulator exited with ${code} before ready: ${stderr}`));
      }
    });
  });
  return { child, ready, readyFile, stderr: () => stderr, exited };
}

export async function cleanupProcesses(): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  if (!process.env.IOTHINX_KEEP_TEMP) for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs.clear();
}
