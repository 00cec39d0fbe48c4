/**
 * DO→DI wiring: a loop-back cable from an output (DO or relay) to a DI on the same rail, so a
 * test can see its own outputs come back as inputs. Applied through the DI's field input.
 */
import type { Channel } from '../device/channel.js';
import type { Device } from '../device/device.js';

export interface Wire {
  from: Channel;
  to: Channel;
  invert: boolean;
}

const OUTPUT_ATTRIBUTE: Record<string, string> = { do: 'doStatus', relay: 'relayStatus' };

/** Connects the wires and copies each output's current state; returns the disconnect function. */
export function connectWiring(device: Device, wires: readonly Wire[]): () => void {
  const apply = (wire: Wire, value: number) => {
    const on = value === 1 ? !wire.invert : wire.invert;
    wire.to.applyField({ level: on ? 1 : 0 }, 'wiring');
  };
  for (const wire of wires) apply(wire, wire.from.read(OUTPUT_ATTRIBUTE[wire.from.type] ?? ''));
  return device.onChange((change) => {
    for (const wire of wires) {
      if (wire.from.ioName === change.ioName && change.attribute === OUTPUT_ATTRIBUTE[wire.from.type]) apply(wire, change.value);
    }
  });
}
