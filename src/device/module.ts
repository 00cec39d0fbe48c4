import type { Channel, ModuleRef } from './channel.js';
import type { ChannelType, ModuleModel } from './catalog.js';

/** One I/O module on the rail. Channel indexes are module-wide (a 2606 has DI 0-7, DO 8-15). */
export class IoModule implements ModuleRef {
  readonly channels: Channel[] = [];

  constructor(
    readonly slot: number,
    /** The model as the profile spells it, -T included. */
    readonly model: string,
    readonly catalog: ModuleModel,
    public name: string,
  ) {}

  channel(index: number): Channel | undefined {
    return this.channels[index];
  }

  /** Channels of one type, in order: the n-th DO of a module is `channelsOf('do')[n]`. */
  channelsOf(type: ChannelType): Channel[] {
    return this.channels.filter((c) => c.type === type);
  }
}
