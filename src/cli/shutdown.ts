/**
 * SIGTERM/SIGINT end a long-running command (`start`, `fleet`) within 5 s (DESIGN.md): stop
 * cleanly and exit 0, or exit 1 if stopping fails or passes the deadline.
 */
import type { Logger } from 'pino';

/** SIGTERM/SIGINT must end the process within 5 s; leave margin. */
const SHUTDOWN_DEADLINE_MS = 4500;

export function exitOnSignal(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
