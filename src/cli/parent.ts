/**
 * An emulator started by a test fixture ends with the process that started it, however that one
 * ends (#18): a test runner killed with SIGKILL leaves no emulator behind, and no temp folder.
 *
 *   test process ─ pipe ─► fd N of iothinx-sim   (IOTHINX_SIM_PARENT_FD=N; only the parent holds the other end)
 *     exits, crashes or is killed ─► the kernel closes its end ─► 'end' on fd N
 *       ─► the emulator stops as on SIGTERM (src/cli/shutdown.ts) and exits
 *   IOTHINX_SIM_REMOVE_ON_EXIT=DIR ─► DIR removed as `start` or `fleet` exits (the fixture's run
 *     dir: only a folder `iothinx-*` right under the temp dir, so a stray variable cannot remove data)
 *
 * The pipe is watched by the event loop (no polling, no CPU while idle) and unref'd, so it never
 * keeps the process alive by itself. `startDevice` and `startFleet` (src/testing/child.ts) pass
 * both. A supervisor can too, passing a pipe whose write end only it holds (not one a child of
 * its own holds, such as a shell's process substitution: that child outlives a killed shell).
 */
import { rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { SimError } from '../errors.js';

import { PARENT_FD_ENV, REMOVE_ON_EXIT_ENV } from '../config/fixture-env.js';

export { PARENT_FD_ENV, REMOVE_ON_EXIT_ENV };

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
  // 'end' and 'error' are each followed by 'close' (no half-open socket here).
  socket.once('close', onGone);
  socket.on('error', () => undefined);
  // Whatever the parent writes is dropped; reading is what notices the end.
  socket.resume();
  socket.unref();
}

/**
 * IOTHINX_SIM_REMOVE_ON_EXIT=DIR: removes DIR when the process exits, however it exits short of
 * SIGKILL. For the fixture's run dirs only: DIR must be a folder named `iothinx-*` right under the
 * temp dir (os.tmpdir()), so the variable set by mistake (in an image, say) removes nothing else.
 */
export function removeOnExit(env: NodeJS.ProcessEnv = process.env, temp = tmpdir()): void {
  const dir = env[REMOVE_ON_EXIT_ENV];
  if (dir === undefined || dir === '') return;
  if (!isAbsolute(dir) || dirname(resolve(dir)) !== resolve(temp) || !basename(dir).startsWith('iothinx-')) {
    throw usage(`${REMOVE_ON_EXIT_ENV}: expected a folder iothinx-* right under ${temp} (a test fixture's run dir), got "${dir}"`);
  }
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}
