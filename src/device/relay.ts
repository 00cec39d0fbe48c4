/**
 * Relay output (45MR-2404). relayTotalCount is the lifetime count and relayCurrentCount the
 * resettable one (M-38 REST list). ASSUMPTION: a "switching" is one off→on closure of the
 * contact; both counts wrap at 2^32.
 */
import { attr, Channel, type ChannelHost, type FieldInput, type ModuleRef } from './channel.js';

const ATTRIBUTES = [
  attr('relayStatus', 'rw', 'bit', 'value'),
  attr('relayTotalCount', 'r', 'uint32'),
  attr('relayCurrentCount', 'r', 'uint32', 'value'),
  attr('relayCurrentCountReset', 'rw', 'bit', 'attribute', { action: true }),
];

export interface RelayOptions {
  status?: 0 | 1;
  totalCount?: number;
  safeValue?: 0 | 1;
}

export class RelayChannel extends Channel {
  readonly type = 'relay' as const;
  readonly attributes = ATTRIBUTES;
  readonly safeValue: 0 | 1 | undefined;
  private status: 0 | 1;
  private totalCount: number;
  private currentCount = 0;

  constructor(host: ChannelHost, module: ModuleRef, index: number, name: string, options: RelayOptions) {
    super(host, module, index, name);
    this.status = options.status ?? 0;
    this.totalCount = options.totalCount ?? 0;
    this.safeValue = options.safeValue;
  }

  get mode(): number {
    return 0;
  }

  applySafeValue(source: 'modbus' | 'sim'): void {
    if (this.safeValue === undefined) return;
    const safe = this.safeValue;
    this.track(source, () => this.switchTo(safe));
  }

  protected readValue(attribute: string): number {
    switch (attribute) {
      case 'relayStatus':
        return this.status;
      case 'relayTotalCount':
        return this.totalCount;
      case 'relayCurrentCount':
        return this.currentCount;
      default:
        return 0;
    }
  }

  protected applyWrite(attribute: string, value: number): void {
    if (attribute === 'relayStatus') this.switchTo(value as 0 | 1);
    else if (attribute === 'relayCurrentCountReset' && value === 1) this.currentCount = 0;
  }

  protected applyFieldInput(_input: FieldInput): void {
    throw this.notApplicable('a relay has no field-side input; write relayStatus through a protocol');
  }

  private switchTo(status: 0 | 1): void {
    if (status === 1 && this.status === 0) {
      this.totalCount = (this.totalCount + 1) % 0x1_0000_0000;
      this.currentCount = (this.currentCount + 1) % 0x1_0000_0000;
    }
    this.status = status;
  }
}
