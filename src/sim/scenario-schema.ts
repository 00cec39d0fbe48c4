/**
 * The scenario document (docs/scenarios.md): a name and timed steps that script the field side
 * and check what a system under test did. Each step is an object with exactly one action key
 * (set, write, signal, wait, waitFor, fault, clearFault, assert, log) plus the options every
 * step takes, so a problem is reported at its path (`steps.3.waitFor.timeoutMs`) rather than as
 * "no union member matched".
 */
import * as z from 'zod';
import { faultSpecSchema, type FaultSpec } from '../device/faults.js';
import { FIELD_KEYS, fieldInputSchema } from '../device/field-input.js';
import { JOURNAL_KINDS, type JournalSource } from '../device/journal.js';
import { signalSchema } from '../device/schema.js';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/**
 * Every string has a bound, as has the step count, so that one document (and so one kept run)
 * has a bounded size whatever the body limit (#14 point 8).
 */
const name = z.string().min(1).max(128);
/** A channel as `slot/index` or an ioName, as in profiles and /sim/v1/faults. */
const target = name;
const timeoutMs = z.number().int().min(0).max(86_400_000).default(5000);
/** A device name as a fleet names its devices (src/fleet/contract.ts): 1..64 characters. */
export const scenarioDeviceName = z.string().min(1).max(64);
/** The most names one step's `device:` list holds: a fleet runs at most 10 000 devices (src/config/fleet.ts). */
export const MAX_STEP_DEVICES = 10_000;
/**
 * Which devices a step acts on and reads (docs/scenarios.md, "Devices"): one name, a list of
 * names (each acted on in turn; a condition must hold on every one), or `all` (every device
 * running when the step runs). On a lone device the only name it takes is its own.
 */
export const deviceSelectionSchema = z.union([z.literal('all'), scenarioDeviceName, z.array(scenarioDeviceName).min(1).max(MAX_STEP_DEVICES)]);
export type StepDevices = z.infer<typeof deviceSelectionSchema>;
const count = z.number().int().min(0);

/** The field side, as PUT /sim/v1/slots/{slot}/channels/{index} takes it (src/device/field-input.ts). */
const setSchema = z
  .strictObject({ target, ...fieldInputSchema.shape })
  .refine((s) => Object.keys(s).length > 1, `name at least one field input: ${FIELD_KEYS.join(', ')}`);

const writeSchema = z.strictObject({ target, attribute: name, value: finite });

const signalStepSchema = z.strictObject({ target, signal: signalSchema.nullable() });

/** Who wrote, as GET /sim/v1/journal's `source`; `satisfies` keeps the list in step with the journal's type. */
const JOURNAL_SOURCES = ['field', 'signal', 'wiring', 'clock', 'modbus', 'rest', 'mqtt', 'snmp', 'rtu', 'sim', 'config', 'http', 'scenario'] as const satisfies readonly JournalSource[];

/** The journal filter of GET /sim/v1/journal, plus `value` and `result`, which the API does not filter on. */
const journalFilterSchema = z.strictObject({
  kind: z.enum(JOURNAL_KINDS).optional(),
  source: z.enum(JOURNAL_SOURCES).optional(),
  ioName: name.optional(),
  attribute: name.optional(),
  peer: name.optional(),
  value: finite.optional(),
  result: z.string().min(1).max(1000).optional(),
});

const mqttFilterSchema = z.strictObject({
  /** An MQTT topic filter: `+` matches one level, `#` the rest. */
  topic: z.string().min(1).max(1024),
  direction: z.enum(['out', 'in']).optional(),
  /** Matches a payload `{"value": n}` with this n. */
  value: finite.optional(),
});

/**
 * What a waitFor waits for and an assert checks: a channel attribute compared with a value, a
 * number of journal entries, or a number of MQTT messages. Which one is decided by the key present.
 */
const conditionShape = {
  target: target.optional(),
  attribute: name.optional(),
  equals: finite.optional(),
  above: finite.optional(),
  below: finite.optional(),
  approx: finite.optional(),
  tolerance: z.number().min(0).optional(),
  journal: journalFilterSchema.optional(),
  mqtt: mqttFilterSchema.optional(),
  count: count.optional(),
  min: count.optional(),
  max: count.optional(),
  /** Count journal entries or MQTT messages since the run started (default) or since this step started. */
  window: z.enum(['run', 'step']).default('run'),
};

type ConditionInput = { [K in keyof typeof conditionShape]?: z.infer<(typeof conditionShape)[K]> };

function checkCondition(c: ConditionInput, ctx: z.RefinementCtx): void {
  const subjects = (['target', 'journal', 'mqtt'] as const).filter((k) => c[k] !== undefined);
  if (subjects.length !== 1) {
    ctx.addIssue({ code: 'custom', message: 'name exactly one of target (with attribute), journal or mqtt', path: subjects.length > 1 ? [subjects[1]!] : [] });
    return;
  }
  if (c.target !== undefined) {
    if (c.attribute === undefined) ctx.addIssue({ code: 'custom', message: 'a channel condition needs the attribute to compare', path: ['attribute'] });
    if (c.equals === undefined && c.above === undefined && c.below === undefined && c.approx === undefined) {
      ctx.addIssue({ code: 'custom', message: 'name a comparison: equals, above, below or approx (with tolerance)', path: [] });
    }
    for (const k of ['count', 'min', 'max'] as const) if (c[k] !== undefined) ctx.addIssue({ code: 'custom', message: `${k} applies to journal and mqtt conditions`, path: [k] });
  } else {
    for (const k of ['attribute', 'equals', 'above', 'below', 'approx', 'tolerance'] as const) {
      if (c[k] !== undefined) ctx.addIssue({ code: 'custom', message: `${k} applies to a channel condition (target)`, path: [k] });
    }
  }
  if (c.tolerance !== undefined && c.approx === undefined) ctx.addIssue({ code: 'custom', message: 'tolerance goes with approx', path: ['tolerance'] });
}

const waitForSchema = z.strictObject({ ...conditionShape, timeoutMs }).superRefine(checkCondition);
const assertSchema = z.strictObject(conditionShape).superRefine(checkCondition);

/** A fault as POST /sim/v1/faults takes it, plus `as: name` so that a later clearFault can name it. */
const faultStepSchema = z.looseObject({ as: z.string().min(1).max(64).optional() }).transform((input, ctx): { as: string | undefined; spec: FaultSpec } => {
  const { as, ...rest } = input;
  const parsed = faultSpecSchema.safeParse(rest);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)) });
    return z.NEVER;
  }
  return { as, spec: parsed.data };
});

export const ACTIONS = ['set', 'write', 'signal', 'wait', 'waitFor', 'fault', 'clearFault', 'assert', 'log'] as const;
export type ActionName = (typeof ACTIONS)[number];

export const stepSchema = z
  .strictObject({
    set: setSchema.optional(),
    write: writeSchema.optional(),
    signal: signalStepSchema.optional(),
    /** Milliseconds on the device clock. */
    wait: z.number().int().min(0).max(86_400_000).optional(),
    waitFor: waitForSchema.optional(),
    fault: faultStepSchema.optional(),
    /** A name given with `fault: {as}`, or `all`. */
    clearFault: z.string().min(1).max(64).optional(),
    assert: assertSchema.optional(),
    log: z.string().max(1000).optional(),
    /** A failed step does not stop (or fail) the run. */
    continueOnFailure: z.boolean().default(false),
    /** Replaces the generated description in results and the journal. */
    description: z.string().min(1).max(200).optional(),
    /** The device(s) the step acts on and reads; default: the scenario's `device`. */
    device: deviceSelectionSchema.optional(),
  })
  .superRefine((step, ctx) => {
    const present = ACTIONS.filter((a) => step[a] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({ code: 'custom', message: present.length === 0 ? `a step needs one action: ${ACTIONS.join(', ')}` : `a step has one action; this one has ${present.join(' and ')}`, path: [] });
    }
    // Time passes on the one clock every device of a fleet shares: a device on a wait would suggest otherwise.
    if (step.wait !== undefined && step.device !== undefined) ctx.addIssue({ code: 'custom', message: 'a wait lets time pass on the clock every device shares; it takes no device', path: ['device'] });
  });

/** Whether a step acts on or reads a device (so in a fleet it must name one, or the scenario must). */
export function touchesDevice(step: ScenarioStep): boolean {
  return step.wait === undefined && step.log === undefined;
}

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).max(100),
  description: z.string().max(2000).optional(),
  /** The device every step acts on unless it names its own (`device:` on the step); a fleet device name. */
  device: scenarioDeviceName.optional(),
  steps: z.array(stepSchema).min(1).max(10_000),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioStep = z.infer<typeof stepSchema>;
export type SetSpec = z.infer<typeof setSchema>;
export type WriteSpec = z.infer<typeof writeSchema>;
export type SignalStepSpec = z.infer<typeof signalStepSchema>;
export type WaitForSpec = z.infer<typeof waitForSchema>;
export type AssertSpec = z.infer<typeof assertSchema>;
export type Condition = AssertSpec;
export type FaultStepSpec = z.infer<typeof faultStepSchema>;
export type JournalFilterSpec = z.infer<typeof journalFilterSchema>;
export type MqttFilterSpec = z.infer<typeof mqttFilterSchema>;

/** A step's one action, as a discriminated union the runner switches on. */
export type StepAction =
  | { type: 'set'; spec: SetSpec }
  | { type: 'write'; spec: WriteSpec }
  | { type: 'signal'; spec: SignalStepSpec }
  | { type: 'wait'; ms: number }
  | { type: 'waitFor'; spec: WaitForSpec }
  | { type: 'fault'; spec: FaultStepSpec }
  | { type: 'clearFault'; name: string }
  | { type: 'assert'; spec: AssertSpec }
  | { type: 'log'; text: string };

export function actionOf(step: ScenarioStep): StepAction {
  if (step.set) return { type: 'set', spec: step.set };
  if (step.write) return { type: 'write', spec: step.write };
  if (step.signal) return { type: 'signal', spec: step.signal };
  if (step.wait !== undefined) return { type: 'wait', ms: step.wait };
  if (step.waitFor) return { type: 'waitFor', spec: step.waitFor };
  if (step.fault) return { type: 'fault', spec: step.fault };
  if (step.clearFault !== undefined) return { type: 'clearFault', name: step.clearFault };
  if (step.assert) return { type: 'assert', spec: step.assert };
  return { type: 'log', text: step.log ?? '' };
}
