/** What the two transports for an OS serial device share: the path, the line settings, closing. */
import type { LineSettings } from './rtu-frame.js';
import { TransportEvents } from './transport-events.js';

export abstract class DeviceTransport extends TransportEvents {
  /** close() was asked for: a close event after it is not a lost port. */
  protected closing = false;

  constructor(
    protected readonly path: string,
    protected readonly line: LineSettings,
  ) {
    super();
  }

  get description(): string {
    return this.path;
  }
}
