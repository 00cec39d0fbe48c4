import { pino, type Logger } from 'pino';

/** Structured logs on stderr, quiet by default (warn); `--log-level` or LOG_LEVEL raises them. */
export function createLogger(level: string | undefined): Logger {
  return pino({ level: level ?? process.env.LOG_LEVEL ?? 'warn', base: { app: 'iothinx-sim' } }, pino.destination(2));
}
