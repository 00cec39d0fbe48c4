/**
 * Scenarios over /sim/v1 (docs/scenarios.md): submit a document, list runs, follow one, abort it.
 * Runs queue and run one at a time; a bad document is a 400 naming the path of the first problem
 * (the message lists every problem); past limits.scenarios.maxQueued waiting runs a submission is
 * 429 SCENARIO_QUEUE_FULL. The list carries step counts, not steps (#14 point 8).
 *
 *   GET /scenarios/:id/events   ": greeting" ─► "event: step" per step already settled ─► live
 *                               "event: step" ... ─► "event: end" (the final run) ─► stream ends
 */
import type { Request, Response } from 'express';
import * as z from 'zod';
import { SimError } from '../errors.js';
import { HEARTBEAT_MS } from './events.js';
import {
  runEventDataSchema,
  runResultSchema,
  runSummarySchema,
  scenarioDocumentSchema,
  type RunEvent,
  type RunResult,
  type ScenarioControl,
} from '../sim/contract.js';
import { beginEventStream } from './events.js';
import { route, type Route } from './route.js';

const idParams = z.strictObject({ id: z.string().min(1).meta({ description: 'The run id POST /scenarios returned (s1, s2 ...)', examples: ['s1'] }) });
/**
 * What the route itself checks: a JSON object. The controller validates the rest (schema, then
 * the device) so that a 400 lists every problem and a full queue is refused before any of it;
 * the OpenAPI document shows the whole scenario schema (documentedBody).
 */
const documentObject = z.looseObject({});

function control(scenarios: ScenarioControl | undefined): ScenarioControl {
  if (!scenarios) throw new SimError('SCENARIO_UNKNOWN', 'scenarios are not wired into this emulator');
  return scenarios;
}

function unknownRun(id: string, prefix: string): SimError {
  return new SimError('SCENARIO_UNKNOWN', `no scenario run ${id}; GET ${prefix}/scenarios lists them`, { context: { path: 'id' } });
}

function runOf(scenarios: ScenarioControl | undefined, id: string, prefix: string): RunResult {
  const run = control(scenarios).get(id);
  if (!run) throw unknownRun(id, prefix);
  return run;
}

const settled = (status: string) => status === 'passed' || status === 'failed' || status === 'skipped';

/** Streams one run's step results and its end; ends the response after `end`. */
function streamRun(scenarios: ScenarioControl, run: RunResult, req: Request, res: Response): void {
  if (!beginEventStream(req, res, `iothinx-sim scenario run ${run.id}`)) return;
  const send = (event: RunEvent) => {
    if (res.writableEnded || res.destroyed) return;
    res.write(event.type === 'step' ? `event: step\ndata: ${JSON.stringify(event.step)}\n\n` : `event: end\ndata: ${JSON.stringify(event.run)}\n\n`);
    if (event.type === 'end') res.end();
  };
  // Replay what already happened; the snapshot and the subscription are taken in the same turn, so nothing falls between.
  for (const step of run.steps) if (settled(step.status)) send({ type: 'step', step });
  if (run.status !== 'queued' && run.status !== 'running') {
    send({ type: 'end', run });
    return;
  }
  const unsubscribe = scenarios.subscribe(run.id, send);
  // Transport keepalive: a real, unref'd timer, not the device clock (as src/http/events.ts).
  const heartbeat = setInterval(() => {
    if (!res.writableEnded && !res.destroyed) res.write(': heartbeat\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  res.on('close', () => {
    unsubscribe?.();
    clearInterval(heartbeat);
  });
}

/**
 * The routes under `prefix` (where they are mounted: /sim/v1 on a device, /fleet/v1 for the
 * fleet's runs, whose steps name their devices); the same bodies and errors in both places.
 */
export function scenarioRoutes({ scenarios, prefix = '/sim/v1' }: { scenarios?: ScenarioControl | undefined; prefix?: string }): Route[] {
  return [
    route({
      method: 'post',
      path: '/scenarios',
      summary: 'Submits a scenario document and starts it (202); runs queue and run one at a time, in order.',
      description:
        'The document is checked against the schema and the device(s) (device names, targets, attributes, fault names) first; any problem is a 400 naming its path. Past limits.scenarios.maxQueued waiting runs (default 16) the answer is 429 SCENARIO_QUEUE_FULL. Format: docs/scenarios.md.',
      body: documentObject,
      documentedBody: scenarioDocumentSchema,
      response: runResultSchema,
      handle: ({ body, res }) => {
        const submitted = control(scenarios).start(body);
        if (!submitted.ok && 'full' in submitted) {
          const { queued, maxQueued } = submitted.full;
          res.setHeader('Retry-After', '1');
          throw new SimError('SCENARIO_QUEUE_FULL', `${queued} scenario runs already wait (limits.scenarios.maxQueued ${maxQueued}); submit again once one has started, or abort one`);
        }
        if (!submitted.ok) {
          const [first] = submitted.problems;
          throw new SimError('HTTP_BAD_REQUEST', submitted.problems.map((p) => `${p.path}: ${p.message}`).join('; '), { context: { path: first?.path ?? null, part: 'body' } });
        }
        res.status(202);
        return submitted.run;
      },
    }),
    route({
      method: 'get',
      path: '/scenarios',
      summary: 'The kept scenario runs, oldest first: the waiting and running ones and the last limits.scenarios.maxKept finished ones (default 32), each with its status and step counts (GET /scenarios/{id} has the steps).',
      response: z.array(runSummarySchema),
      handle: () => control(scenarios).list(),
    }),
    route({
      method: 'get',
      path: '/scenarios/:id',
      summary: 'One run: status (queued, running, passed, failed, aborted) and every step with status, device-clock times and detail.',
      params: idParams,
      response: runResultSchema,
      handle: ({ params }) => runOf(scenarios, params.id, prefix),
    }),
    route({
      method: 'delete',
      path: '/scenarios/:id',
      summary: 'Aborts a queued or running run (its remaining steps are skipped); a finished run is returned as it is.',
      params: idParams,
      response: runResultSchema,
      handle: ({ params }) => {
        const run = control(scenarios).abort(params.id);
        if (!run) throw unknownRun(params.id, prefix);
        return run;
      },
    }),
    route({
      method: 'get',
      path: '/scenarios/:id/events',
      summary: 'Server-Sent Events of one run: `event: step` per step result (those already settled first), then `event: end` with the final run; the stream then ends.',
      description: 'Heartbeat comments every 15 s while the run lasts.',
      params: idParams,
      response: runEventDataSchema,
      stream: true,
      handle: ({ params, req, res }) => {
        const run = runOf(scenarios, params.id, prefix);
        streamRun(control(scenarios), run, req, res);
        return undefined;
      },
    }),
  ];
}
