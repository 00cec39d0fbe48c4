/**
 * SIGTERM/SIGINT end a long-running command (`start`, `fleet`) within 5 s (DESIGN.md): stop
 * cleanly and exit 0, or exit 1 if stopping fails or passes the deadline.
 *
 * The handlers go in before anything starts. In a container the emulator is PID 1, and a signal
 * a PID 1 has no handler for is dropped: a `docker stop` during start-up used to be ignored until
 * the runtime's SIGKILL (10 s later). A signal that comes while the command starts is kept and
 * acted on as soon as there is something to stop; the deadline runs from the signal. The end of
 * the parent's pipe (IOTHINX_SIM_PARENT_FD, src/cli/parent.ts) is handled as a SIGTERM.
 */
import type { Logger } from 'pino';
import { removeOnExit, watchParent } from './parent.js';

/** SIGTERM/SIGINT must end the process within 5 s; leave margin. */
const SHUTDOWN_DEADLINE_MS = 4500;

export interface SignalShutdown {
  /** Aborted on the first signal: a start that can stop part-way (a fleet's) watches it. */
  readonly abort: AbortSignal;
  /**
   * The command is up: a signal stops it with `stop`. One that came while it started stops it now,
   * and ready() says false: the command must not announce itself (no ready file, no banner).
   */
  ready(stop: () => Promise<void>): boolean;
}

export function onShutdownSignal(logger: Logger): SignalShutdown {
  let stop: (() => Promise<void>) | null = null;
  let requested = false;
  const controller = new AbortController();
  const run = (how: () => Promise<void>) =>
    how().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  const shutdown = (signal: string) => {
    if (requested) return;
    requested = true;
    logger.info({ signal, starting: stop === null }, 'shutting down');
    controller.abort();
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    if (stop) void run(stop);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // IOTHINX_SIM_PARENT_FD: the fixture that started this process is gone (src/cli/parent.ts).
  watchParent(() => shutdown('parent gone'));
  // IOTHINX_SIM_REMOVE_ON_EXIT: the fixture's run dir goes with this process.
  removeOnExit();
  return {
    abort: controller.signal,
    ready(how) {
      stop = how;
      if (!requested) return true;
      void run(how);
      return false;
    },
  };
}
