import { SimError } from '../errors.js';
import type { Channel, ModuleRef } from './channel.js';
import type { ChannelType, ModuleModel } from './catalog.js';

/** A module pulled from the rail, or one that reports a failure (src/device/faults.ts). */
export type ModuleFault = 'removed' | 'failed';

/** One I/O module on the rail. Channel indexes are module-wide (a 2606 has DI 0-7, DO 8-15). */
export class IoModule implements ModuleRef {
  readonly channels: Channel[] = [];
  fault: ModuleFault | null = null;

  constructor(
    readonly slot: number,
    /** The model as the profile spells it, -T included. */
    readonly model: string,
    readonly catalog: ModuleModel,
    public name: string,
  ) {}

  /** Why its points do not answer (removed or failed), or null. */
  refusal(ioName?: string): SimError | null {
    if (!this.fault) return null;
    const context = { slot: this.slot, ...(ioName ? { ioName } : {}) };
    return this.fault === 'removed'
      ? new SimError('DEVICE_MODULE_REMOVED', `slot ${this.slot} (${this.name}) is removed from the rail`, { context })
      : new SimError('DEVICE_MODULE_FAILED', `slot ${this.slot} (${this.name}) reports a module failure`, { context });
  }

  channel(index: number): Channel | undefined {
    return this.channels[index];
  }

  /** Channels of one type, in order: the n-th DO of a module is `channelsOf('do')[n]`. */
  channelsOf(type: ChannelType): Channel[] {
    return this.channels.filter((c) => c.type === type);
  }
}
