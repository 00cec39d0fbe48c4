/**
 * socat pty pairs for the serial interop tests, and the peers a test runs on their ends. A pair
 * is two symlinks, DIR/a and DIR/b, to the two ptys of one socat process; bytes written to one
 * end come out of the other, as on a null-modem cable. Stopping socat "unplugs" the cable (both
 * links vanish, the ptys hang up); starting it again with the same links "replugs" it.
 *
 * Every socat and every peer started here is tracked; stopPeers() (afterEach / afterAll) stops
 * what is still running. Nothing here waits on the wall clock: readiness is the links existing,
 * a READY line, or a ready file, each with a generous deadline that fails naming what it awaited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const SOCAT = '/usr/bin/socat';
const INSTALL_HINT = 'install the peers with scripts/install-peers.sh';
const WAIT_MS = 10_000;

const children = new Set<ChildProcess>();

export interface Peer {
  child: ChildProcess;
  /** Why it could not be spawned (ENOENT: the peer is not installed). */
  error(): Error | null;
  /** Everything the peer wrote so far. */
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Spawns a peer and tracks it; a missing executable fails with the install hint. */
export function startPeer(file: string, args: string[]): Peer {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  let failed: Error | null = null;
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.on('exit', () => children.delete(child));
  child.on('error', (error) => {
    children.delete(child);
    failed = new Error(`cannot run ${file}: ${error.message} (${INSTALL_HINT})`);
  });
  return { child, error: () => failed, stdout: () => out, stderr: () => err, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL if it has not gone after 3 s; resolves once it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    children.delete(child);
    return;
  }
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/** Stops every tracked peer and socat still running. */
export async function stopPeers(): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child)));
}

/** Resolves once `check` returns true; rejects after `ms` naming `what` and the peer's output. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what: string, peer?: Peer, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    const failed = peer?.error();
    if (failed) throw new Error(`${what}: ${failed.message}`);
    if (peer && (peer.child.exitCode !== null || peer.child.signalCode !== null)) {
      throw new Error(`${what}: the peer exited (${peer.child.exitCode ?? peer.child.signalCode}); stdout: ${peer.stdout()} stderr: ${peer.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${peer ? `; stdout: ${peer.stdout()} stderr: ${peer.stderr()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export interface PtyPair {
  /** DIR/a: usually the master's end. */
  a: string;
  /** DIR/b: usually the slave's end. */
  b: string;
  /** Kills socat (the cable is unplugged) and waits until both links are gone. */
  unplug(): Promise<void>;
  /** Starts socat again with the same links and waits until both exist. */
  replug(): Promise<void>;
  readonly running: boolean;
}

/** Starts `socat pty,raw,echo=0,link=DIR/a pty,raw,echo=0,link=DIR/b` and waits for both links. */
export async function startPtyPair(dir: string): Promise<PtyPair> {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  let socat: Peer | null = null;
  const plug = async () => {
    socat = startPeer(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`]);
    await waitUntil(async () => (await exists(a)) && (await exists(b)), `socat links ${a} and ${b}`, socat);
  };
  await plug();
  return {
    a,
    b,
    get running() {
      return socat !== null;
    },
    unplug: async () => {
      const current = socat;
      socat = null;
      await current?.stop();
      await waitUntil(async () => !(await exists(a)) && !(await exists(b)), `socat links ${a} and ${b} removed`);
    },
    replug: plug,
  };
}

/** Waits for a ready file (JSON) to appear and returns it parsed. */
export async function readyFile<T>(path: string, peer: Peer): Promise<T> {
  let parsed: T | undefined;
  await waitUntil(
    async () => {
      try {
        parsed = JSON.parse(await readFile(path, 'utf8')) as T;
        return true;
      } catch {
        return false;
      }
    },
    `ready file ${path}`,
    peer,
  );
  return parsed!;
}
