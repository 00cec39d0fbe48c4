/**
 * An emulator started by a test fixture ends with the process that started it, however that one
 * ends (#18): a test runner killed with SIGKILL leaves no emulator behind, and no temp folder.
 *
 *   test process ─ pipe ─► fd N of iothinx-sim   (IOTHINX_SIM_PARENT_FD=N; only the parent holds the other end)
 *     exits, crashes or is killed ─► the kernel closes its end ─► 'end' on fd N
 *       ─► the emulator stops as on SIGTERM (src/cli/shutdown.ts) and exits
 *   IOTHINX_SIM_REMOVE_ON_EXIT=DIR ─► DIR removed as the process exits (the fixture's run dir)
 *
 * The pipe is watched by the event loop (no polling, no CPU while idle) and unref'd, so it never
 * keeps the process alive by itself. `startDevice` and `startFleet` (src/testing/child.ts) pass
 * both; a shell script can too: `IOTHINX_SIM_PARENT_FD=3 iothinx-sim start ... 3< <(sleep infinity)`.
 */
import { rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { isAbsolute } from 'node:path';
import { SimError } from '../errors.js';

export const PARENT_FD_ENV = 'IOTHINX_SIM_PARENT_FD';
export const REMOVE_ON_EXIT_ENV = 'IOTHINX_SIM_REMOVE_ON_EXIT';

function usage(message: string): SimError {
  return new SimError('CLI_USAGE', message);
}

/** Calls `onGone` once the parent's end of the pipe named by IOTHINX_SIM_PARENT_FD closes; nothing when it is unset. */
export function watchParent(onGone: () => void, env: NodeJS.ProcessEnv = process.env): void {
  const text = env[PARENT_FD_ENV];
  if (text === undefined || text === '') return;
  if (!/^\d+$/.test(text) || Number(text) < 3) throw usage(`${PARENT_FD_ENV}: expected a file descriptor, 3 or more, got "${text}"`);
  let socket: Socket;
  try {
    socket = new Socket({ fd: Number(text), readable: true, writable: false });
  } catch (error) {
    // EBADF (not open) or ERR_INVALID_FD_TYPE (a file, not a pipe or socket).
    throw new SimError('CLI_USAGE', `${PARENT_FD_ENV}=${text}: not an open pipe or socket (${(error as Error).message})`, { cause: error });
  }
  let gone = false;
  const done = () => {
    if (gone) return;
    gone = true;
    socket.destroy();
    onGone();
  };
  socket.on('end', done);
  socket.on('close', done);
  socket.on('error', done);
  // Whatever the parent writes is dropped; reading is what notices the end.
  socket.resume();
  socket.unref();
}

/** IOTHINX_SIM_REMOVE_ON_EXIT=DIR: removes DIR (an absolute path) when the process exits, however it exits short of SIGKILL. */
export function removeOnExit(env: NodeJS.ProcessEnv = process.env): void {
  const dir = env[REMOVE_ON_EXIT_ENV];
  if (dir === undefined || dir === '') return;
  if (!isAbsolute(dir)) throw usage(`${REMOVE_ON_EXIT_ENV}: expected an absolute path, got "${dir}"`);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}
