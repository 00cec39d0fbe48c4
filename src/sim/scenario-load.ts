/**
 * Reads a scenario and checks it against a device. Every problem comes back at once, each as
 * `file: path: message` like a profile's (src/config/load.ts), so `iothinx-sim run-scenario`
 * prints one line per problem and POST /sim/v1/scenarios names the path.
 *
 *   text ─► YAML/JSON ─► scenarioSchema (zod) ─► checkScenario(device): targets, attributes, fault names
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { zodProblems, type ProfileProblem } from '../config/load.js';
import { resolveChannelRef } from '../config/profile.js';
import type { Device } from '../device/device.js';
import { faultTargetProblem } from '../device/faults.js';
import { actionOf, scenarioSchema, type Scenario } from './scenario-schema.js';

export type ScenarioProblem = ProfileProblem;

/** `inputs`: the steps as written (before defaults), which results show. */
export type ScenarioParse = { ok: true; scenario: Scenario; inputs: unknown[] } | { ok: false; problems: ScenarioProblem[] };

const rawSteps = z.object({ steps: z.array(z.unknown()) });

/** Validates a document already parsed (a JSON body, a YAML file's contents). */
export function validateScenario(file: string, input: unknown): ScenarioParse {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) return { ok: false, problems: zodProblems(file, result.error) };
  return { ok: true, scenario: result.data, inputs: rawSteps.safeParse(input).data?.steps ?? [] };
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseScenario(file: string, text: string): ScenarioParse {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => ({ file, path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] ?? e.message })) };
  }
  return validateScenario(file, doc.toJS() ?? {});
}

export async function loadScenario(file: string): Promise<ScenarioParse> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, problems: [{ file, path: '(file)', message: code === 'ENOENT' ? 'no such file' : (error as Error).message }] };
  }
  return parseScenario(file, text);
}

/**
 * What the schema cannot know: that targets and attributes exist on this device and that a
 * clearFault names a fault an earlier step gave that name. Checked before a run starts, so a
 * typo is a 400 (or exit 2), not a failed run half-way through.
 */
export function checkScenario(file: string, scenario: Scenario, device: Device): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const named = new Set<string>();
  const problem = (path: string, message: string) => problems.push({ file, path, message });
  const channelAt = (path: string, ref: string, attribute?: string) => {
    const channel = resolveChannelRef(device, ref);
    if (!channel) {
      problem(`${path}.target`, `no channel ${ref} (slot/index or an ioName)`);
      return;
    }
    if (attribute !== undefined && !channel.attributes.some((a) => a.name === attribute)) {
      problem(`${path}.attribute`, `${channel.ioName} has no attribute ${attribute}; it has ${channel.attributes.map((a) => a.name).join(', ')}`);
    }
  };
  scenario.steps.forEach((step, i) => {
    const action = actionOf(step);
    const path = `steps.${i}.${action.type}`;
    switch (action.type) {
      case 'set':
      case 'signal':
        channelAt(path, action.spec.target);
        break;
      case 'write':
        channelAt(path, action.spec.target, action.spec.attribute);
        break;
      case 'waitFor':
      case 'assert': {
        const c = action.spec;
        if (c.target !== undefined) channelAt(path, c.target, c.attribute);
        if (c.journal?.ioName !== undefined && !resolveChannelRef(device, c.journal.ioName)) problem(`${path}.journal.ioName`, `no channel or register ${c.journal.ioName}`);
        break;
      }
      case 'fault': {
        const spec = action.spec.spec;
        const missing = spec.kind === 'serial' ? undefined : faultTargetProblem(device, spec);
        if (missing) problem(`${path}.${missing.path}`, missing.message);
        if (action.spec.as !== undefined) named.add(action.spec.as);
        break;
      }
      case 'clearFault':
        if (action.name !== 'all' && !named.has(action.name)) problem(path, `no earlier fault step is named ${action.name} (fault: {as: ${action.name}}), and it is not "all"`);
        break;
      default:
        break;
    }
  });
  return problems;
}
