/**
 * Applies a field-side input to a channel, the same way for every caller (#15 item 3): the HTTP
 * route, a scenario's `set` step, a `channel` fault and, through the route, the web UI.
 *
 *   input ─► fits the channel type? ─no─► DEVICE_NOT_APPLICABLE naming the key
 *         └► channel.applyField(input, source) ─► changes journaled with source and peer
 *         └► a running signal detached (it would overwrite the input at its next step)
 *
 * The device imports nothing of sim/, so the signals come in as the small FieldSignals interface.
 */
import { SimError } from '../errors.js';
import type { ChangeSource, Channel, IoType } from './channel.js';
import { FIELD_KEYS, fieldInputSchema, type FieldInput, type FieldKey } from './field-input.js';

/** Which field inputs each channel type takes; anything else is refused rather than ignored. */
export const FIELD_INPUTS: Record<IoType, readonly FieldKey[]> = {
  di: ['level'],
  ai: ['physical', 'burnout'],
  rtd: ['temperature', 'burnout'],
  tc: ['temperature', 'burnout'],
  sp: ['voltage', 'fieldPower'],
  ao: ['fault'],
  do: [],
  relay: [],
  ir: [],
  sys: [],
};

/** The signal generators as a field write needs them; src/sim/signals.ts SignalRunner fits. */
export interface FieldSignals {
  detach(channel: Channel): boolean;
}

export interface FieldWriteOptions {
  /** Who writes, as the journal and change events show it ('sim' for /sim/v1, 'scenario' ...). */
  source: ChangeSource;
  /** Given: a signal running on the channel is detached once the input is applied. */
  signals?: FieldSignals;
  /** The path a refusal names; default the refused key (a fault names its `input`). */
  path?: string;
}

/** The input's keys that are set, in FIELD_KEYS order. */
function keysOf(input: FieldInput): FieldKey[] {
  return FIELD_KEYS.filter((k) => input[k] !== undefined);
}

/** Throws DEVICE_NOT_APPLICABLE, naming the first key the channel's type does not take; `path` as in FieldWriteOptions. */
export function checkFieldInput(channel: Channel, input: FieldInput, path?: string): void {
  const allowed = FIELD_INPUTS[channel.type];
  const stray = keysOf(input).find((key) => !allowed.includes(key));
  if (stray === undefined) return;
  const takes = allowed.length > 0 ? `it takes ${allowed.join(', ')}` : 'it has no field-side input';
  throw new SimError('DEVICE_NOT_APPLICABLE', `${channel.ioName} is a ${channel.type.toUpperCase()} channel: ${stray} does not apply (${takes})`, {
    context: { ioName: channel.ioName, path: path ?? stray },
  });
}

/**
 * Checks and applies a field input; a running signal is detached only once the channel took the
 * input (a value it refuses leaves the signal running, as it leaves the channel unchanged).
 */
export function writeField(channel: Channel, input: FieldInput, options: FieldWriteOptions): void {
  checkFieldInput(channel, input, options.path);
  channel.applyField(input, options.source);
  options.signals?.detach(channel);
}

/** The channel's field state now, as the input that puts it back (a channel fault restores it on clear). */
export function currentFieldInput(channel: Channel): FieldInput {
  const field = channel.field();
  const own = FIELD_INPUTS[channel.type].filter((key) => field[key] !== undefined).map((key) => [key, field[key]]);
  return fieldInputSchema.parse(Object.fromEntries(own));
}
