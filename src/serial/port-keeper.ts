/**
 * Keeps a transport open: a port that cannot be opened, or that disappears (USB unplugged, the
 * pty's socat gone, the TCP peer closed), is reported and retried with capped backoff on the
 * device clock, and work resumes when it is back, without a restart.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../device/clock.js';
import type { PortState, PortStatus } from './contract.js';
import type { Transport } from './transport.js';

/** Reopen delays: 0.5 s doubling to 10 s (ASSUMPTION, docs/serial.md). */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

// What GET /sim/v1/serial shows of a port: declared in the contract.
export type { PortState, PortStatus };


export class PortKeeper {
  private state: PortState = 'closed';
  private lastError: string | null = null;
  private failures = 0;
  private openedAt: number | null = null;
  private retryMs = FIRST_RETRY_MS;
  private timer: TimerHandle | undefined;

  constructor(
    readonly transport: Transport,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly onChange: (open: boolean) => void = () => {},
  ) {
    transport.onLost((error) => {
      if (this.state === 'stopped') return;
      this.fail(error);
    });
  }

  start(): Promise<void> {
    return this.open();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.clock.clear(this.timer);
    await this.transport.close();
  }

  status(): PortStatus {
    return { port: this.transport.description, state: this.state, lastError: this.lastError, failures: this.failures, openedAt: this.openedAt };
  }

  private async open(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'opening';
    try {
      await this.transport.open();
    } catch (error) {
      if ((this.state as PortState) === 'stopped') return;
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if ((this.state as PortState) === 'stopped') {
      await this.transport.close();
      return;
    }
    this.state = 'open';
    this.retryMs = FIRST_RETRY_MS;
    this.openedAt = this.clock.now();
    // A port back after a failure is news; the first open of every start is not.
    if (this.failures > 0) this.logger.info({ port: this.transport.description, failures: this.failures }, 'serial port open again');
    else this.logger.debug({ port: this.transport.description }, 'serial port open');
    this.onChange(true);
  }

  private fail(error: Error): void {
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.failures++;
    this.lastError = error.message;
    this.logger.warn({ port: this.transport.description, err: error.message, retryInMs: this.retryMs }, 'serial port unavailable; retrying');
    if (wasOpen) this.onChange(false);
    this.clock.clear(this.timer);
    this.timer = this.clock.setTimeout(() => void this.open(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
