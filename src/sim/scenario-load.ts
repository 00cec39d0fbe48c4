/**
 * Reads a scenario and checks it against a device. Every problem comes back at once, each as
 * `file: path: message` like a profile's (src/config/load.ts), so `iothinx-sim run-scenario`
 * prints one line per problem and POST /sim/v1/scenarios names the path.
 *
 *   text ─► YAML/JSON ─► scenarioSchema (zod) ─► checkScenario(device): targets, attributes, fault names
 */
import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { readYaml, zodProblems, type ProfileProblem } from '../config/load.js';
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
  // jitless: a scenario is checked once; compiling zod's per-schema parsers would cost more (config/load.ts).
  const result = scenarioSchema.safeParse(input, { jitless: true });
  if (!result.success) return { ok: false, problems: zodProblems(file, result.error) };
  return { ok: true, scenario: result.data, inputs: rawSteps.safeParse(input).data?.steps ?? [] };
}

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export function parseScenario(file: string, text: string): ScenarioParse {
  const doc = readYaml(file, text);
  return doc.ok ? validateScenario(file, doc.value) : { ok: false, problems: [doc.problem] };
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

/** Calls `visit` with each device name the scenario gives and its path: `device`, `steps.3.device`, `steps.3.device.1`. */
export function forEachDeviceName(scenario: Scenario, visit: (path: string, name: string) => void): void {
  if (scenario.device !== undefined) visit('device', scenario.device);
  scenario.steps.forEach((step, i) => {
    const devices = step.device;
    if (devices === undefined || devices === 'all') return;
    if (typeof devices === 'string') visit(`steps.${i}.device`, devices);
    else devices.forEach((name, k) => visit(`steps.${i}.device.${k}`, name));
  });
}

/**
 * What the schema cannot know: that targets and attributes exist on this device, that a
 * clearFault names a fault an earlier step gave that name, and that a `device:` names this
 * device (a lone device runs no step meant for another). Checked before a run starts, so a typo
 * is a 400 (or exit 2), not a failed run half-way through.
 */
export function checkScenario(file: string, scenario: Scenario, device: Device): ScenarioProblem[] {
  const own = device.identity.name;
  const problems: ScenarioProblem[] = [];
  forEachDeviceName(scenario, (path, name) => {
    if (name !== own) problems.push({ file, path, message: `this device is ${own}: on a lone device, device: may name only the device itself (other names are fleet devices: run the scenario on the fleet, /fleet/v1/scenarios)` });
  });
  return [...problems, ...checkSteps(file, scenario, () => [{ device }])];
}

/** A device a step is checked against; `name` prefixes its problems when a step names several. */
export interface CheckedDevice {
  name?: string;
  device: Device;
}

/**
 * The targets, attributes and fault names of every step, each step against the devices it will
 * act on (`devicesOf(i)`); a path is reported once, for the first device that has the problem.
 */
export function checkSteps(file: string, scenario: Scenario, devicesOf: (stepIndex: number) => readonly CheckedDevice[]): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const seen = new Set<string>();
  const named = new Set<string>();
  let on = '';
  const problem = (path: string, message: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    problems.push({ file, path, message: `${on}${message}` });
  };
  const channelAt = (device: Device, path: string, ref: string, attribute?: string) => {
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
    if (action.type === 'fault' && action.spec.as !== undefined) named.add(action.spec.as);
    if (action.type === 'clearFault' && action.name !== 'all' && !named.has(action.name)) {
      on = '';
      problem(path, `no earlier fault step is named ${action.name} (fault: {as: ${action.name}}), and it is not "all"`);
    }
    for (const { name, device } of devicesOf(i)) {
      on = name === undefined ? '' : `on ${name}: `;
      switch (action.type) {
        case 'set':
        case 'signal':
          channelAt(device, path, action.spec.target);
          break;
        case 'write':
          channelAt(device, path, action.spec.target, action.spec.attribute);
          break;
        case 'waitFor':
        case 'assert': {
          const c = action.spec;
          if (c.target !== undefined) channelAt(device, path, c.target, c.attribute);
          if (c.journal?.ioName !== undefined && !resolveChannelRef(device, c.journal.ioName)) problem(`${path}.journal.ioName`, `no channel or register ${c.journal.ioName}`);
          break;
        }
        case 'fault': {
          const spec = action.spec.spec;
          const missing = spec.kind === 'serial' ? undefined : faultTargetProblem(device, spec);
          if (missing) problem(`${path}.${missing.path}`, missing.message);
          break;
        }
        default:
          break;
      }
    }
  });
  return problems;
}
