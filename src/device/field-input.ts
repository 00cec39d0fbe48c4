/**
 * What the field side may set on a channel: the one schema behind PUT
 * /sim/v1/slots/{slot}/channels/{index}, a scenario's `set` step and a `channel` fault's `input`
 * (#15 item 3). Which keys a channel type takes is field-write.ts's table; the channel itself
 * checks the values against its mode and sensor range.
 */
import * as z from 'zod';

/** The field-side inputs, each applying to some channel types (field-write.ts FIELD_INPUTS). */
export const FIELD_KEYS = ['level', 'physical', 'burnout', 'temperature', 'voltage', 'fieldPower', 'fault'] as const;
export type FieldKey = (typeof FIELD_KEYS)[number];

const bit = z.literal([0, 1]);

export const fieldInputSchema = z.strictObject({
  level: bit.optional().meta({ description: 'DI: the field level.' }),
  physical: z.number().optional().meta({ description: 'AI: the input in mA or V, per aiMode.' }),
  burnout: z.boolean().optional().meta({ description: 'AI, RTD, TC: a broken wire or sensor.' }),
  temperature: z.number().optional().meta({ description: 'RTD, TC: °C (Ω or mV in the resistance and voltage modes).' }),
  voltage: z.number().optional().meta({ description: 'Power module: the system supply voltage.' }),
  fieldPower: bit.optional().meta({ description: 'Power module: 1 = field power present, 0 = lost.' }),
  fault: z.boolean().optional().meta({ description: 'AO: an output fault (open loop).' }),
});

/** A field-side stimulus: what the world outside the device does to a channel. */
export type FieldInput = z.output<typeof fieldInputSchema>;
