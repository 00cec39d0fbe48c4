/**
 * Scenario runs and signal generators as the emulator API shows them (/sim/v1/scenarios...):
 * one zod schema per document and the types inferred from them. The scenario runner's own
 * StepResult, RunResult and RunSummary come from here (declared once); the routes,
 * /sim/v1/openapi.json and the typed client use the same. Imports zod, device schemas and the
 * scenario document's own schema module (no I/O), so src/http and src/testing may import it
 * where they may not import src/sim.
 */
import * as z from 'zod';
import type { ProfileProblem } from '../config/load.js';
import type { Channel } from '../device/channel.js';
import type { SignalSpec } from '../device/schema.js';
import { scenarioSchema } from './scenario-schema.js';

const time = () => z.number().nullable().meta({ description: 'Device clock, ms since the epoch; null until then.' });

export const stepStatusSchema = z.enum(['pending', 'running', 'passed', 'failed', 'skipped']);
export type StepStatus = z.infer<typeof stepStatusSchema>;
/** A run waits in the queue (`queued`) until the one before it ends; runs go one at a time. */
export const runStatusSchema = z.enum(['queued', 'running', 'passed', 'failed', 'aborted']);
export type RunStatus = z.infer<typeof runStatusSchema>;

export const stepResultSchema = z.strictObject({
  index: z.number().int(),
  step: z.unknown().meta({ description: 'The step as the document gave it.' }),
  description: z.string(),
  status: stepStatusSchema,
  startedAt: time(),
  endedAt: time(),
  detail: z.string().nullable(),
});
export type StepResult = z.infer<typeof stepResultSchema>;

const runHead = {
  id: z.string().meta({ description: 'Run id: s1, s2 ...' }),
  name: z.string(),
  description: z.string().nullable(),
  status: runStatusSchema,
  startedAt: time(),
  endedAt: time(),
};

/** One run with every step (GET /sim/v1/scenarios/{id}, POST and DELETE answers, the stream's `end`). */
export const runResultSchema = z.strictObject({ ...runHead, steps: z.array(stepResultSchema) });
export type RunResult = z.infer<typeof runResultSchema>;

/** How many steps of a run are in each status, and in all. */
export const stepCountsSchema = z.strictObject({ total: z.number().int(), pending: z.number().int(), running: z.number().int(), passed: z.number().int(), failed: z.number().int(), skipped: z.number().int() });
export type StepCounts = z.infer<typeof stepCountsSchema>;

/** A run as GET /sim/v1/scenarios lists it: everything but the steps, which it counts (#14 point 8). */
export const runSummarySchema = z.strictObject({ ...runHead, stepCounts: stepCountsSchema });
export type RunSummary = z.infer<typeof runSummarySchema>;

export type RunEvent = { type: 'step'; step: StepResult } | { type: 'end'; run: RunResult };

/** The data of GET /sim/v1/scenarios/{id}/events: a step result (`event: step`), then the final run (`event: end`). */
export const runEventDataSchema = z.union([stepResultSchema, runResultSchema]).meta({ description: '`event: step`: a step result; `event: end`: the final run.' });

/** POST /sim/v1/scenarios, as documented (the controller validates it, reporting every problem at once). */
export const scenarioDocumentSchema = scenarioSchema.meta({
  description: 'A scenario document: {name, description?, steps: [...]}; each step has one of set, write, signal, wait, waitFor, fault, clearFault, assert, log (docs/scenarios.md).',
});
export type ScenarioDocument = z.input<typeof scenarioSchema>;

/** A problem with a submitted document, at a path in it (as a profile's problems are reported). */
export type ScenarioProblem = ProfileProblem;

export type ScenarioSubmit =
  | { ok: true; run: RunResult }
  | { ok: false; problems: ScenarioProblem[] }
  /** The queue is full (limits.scenarios.maxQueued): nothing was queued. */
  | { ok: false; full: { queued: number; maxQueued: number } };

/**
 * Scenario runs as the emulator API sees them; src/sim/scenario-control.ts ScenarioController
 * implements it. Runs queue and run one at a time.
 */
export interface ScenarioControl {
  /** Validates the document (schema, then against the device) and queues it, or returns every problem with its path. */
  start(document: unknown): ScenarioSubmit;
  /** Oldest first, bounded (limits.scenarios), summaries without steps. */
  list(): RunSummary[];
  get(id: string): RunResult | undefined;
  /** Aborts a queued or running run; undefined for an unknown id. */
  abort(id: string): RunResult | undefined;
  /** Calls `listener` with each step result and the end; returns the unsubscribe, or undefined for an unknown id. */
  subscribe(id: string, listener: (event: RunEvent) => void): (() => void) | undefined;
}

/**
 * The signal generators as the emulator API sees them; src/sim/signals.ts SignalRunner
 * implements it (http depends on this contract, not on the runner).
 */
export interface SignalControl {
  /** Attaches (or replaces) a channel's generator; throws a SimError and changes nothing if it does not fit. */
  attach(channel: Channel, spec: SignalSpec): void;
  /** Returns whether a signal was attached. */
  detach(channel: Channel): boolean;
  get(channel: Channel): SignalSpec | undefined;
}
