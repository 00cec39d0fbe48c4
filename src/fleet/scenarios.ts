/**
 * The fleet's scenarios (issue #16 item 6): one ScenarioController (src/sim/scenario-control.ts,
 * the runner every device uses) whose steps name the devices they act on, so one scenario drives
 * a whole line. Its runs queue and run one at a time, on the clock every device shares.
 *
 *   POST /fleet/v1/scenarios, fleet --scenario ─► check: names known, every step on a device
 *       names one, targets on each named device ─► queued ─► run: step.device ?? scenario.device
 *       ─► by name, now (a device removed since submit fails its step) ─► that device's parts
 *
 * The name lookup follows the fleet's membership, so a step finds a device added at run time
 * and misses one removed.
 */
import type { Logger } from 'pino';
import type { Limits } from '../config/limits.js';
import type { Refusals } from '../device/refusals.js';
import { ScenarioController } from '../sim/scenario-control.js';
import type { DeviceLookup, ScenarioHost, ScenarioTarget } from '../sim/scenario-devices.js';
import { checkSteps, forEachDeviceName, type CheckedDevice, type ScenarioProblem } from '../sim/scenario-load.js';
import { touchesDevice, type Scenario, type StepDevices } from '../sim/scenario-schema.js';
import type { FleetMembers } from './members.js';

/** What the fleet's scenarios need of the fleet: its clock, members and their comings and goings. */
export type ScenarioFleet = Pick<FleetMembers, 'clock' | 'list' | 'device' | 'onMembership'>;

function fleetLookup(fleet: ScenarioFleet, byName: ReadonlyMap<string, number>): DeviceLookup {
  const targetOf = (index: number): ScenarioTarget | undefined => fleet.device(index)?.scenarios.target;
  const everyDevice = (): ScenarioTarget[] => fleet.list().flatMap((m) => targetOf(m.index) ?? []);
  const byNames = (names: readonly string[]): ScenarioTarget[] => {
    const out: ScenarioTarget[] = [];
    for (const name of new Set(names)) {
      const index = byName.get(name);
      const target = index === undefined ? undefined : targetOf(index);
      if (!target) throw new Error(`no device ${name} in the fleet: it was removed after the scenario was submitted`);
      out.push(target);
    }
    return out;
  };
  return {
    resolve: (selection: StepDevices | undefined) => {
      if (selection === undefined) return [];
      if (selection === 'all') {
        const all = everyDevice();
        if (all.length === 0) throw new Error('the fleet runs no device');
        return all;
      }
      return byNames(typeof selection === 'string' ? [selection] : selection);
    },
    involved: (scenario: Scenario) => {
      if (scenario.steps.some((s) => s.device === 'all')) return everyDevice();
      const names: string[] = [];
      forEachDeviceName(scenario, (_path, name) => names.push(name));
      return [...new Set(names)].flatMap((name) => {
        const index = byName.get(name);
        return (index === undefined ? undefined : targetOf(index)) ?? [];
      }).sort((a, b) => (byName.get(a.name) ?? 0) - (byName.get(b.name) ?? 0));
    },
  };
}

/**
 * Before a run is queued: every name is a running device, every step that acts on or reads a
 * device names one (or the scenario names a default), and each step's targets, attributes and
 * faults exist on each device it names.
 */
function checkOnFleet(fleet: ScenarioFleet, byName: ReadonlyMap<string, number>, file: string, scenario: Scenario): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  forEachDeviceName(scenario, (path, name) => {
    if (!byName.has(name)) problems.push({ file, path, message: `no device ${name} in the fleet; GET /fleet/v1/devices lists them` });
  });
  scenario.steps.forEach((step, i) => {
    if (touchesDevice(step) && step.device === undefined && scenario.device === undefined) {
      problems.push({ file, path: `steps.${i}.device`, message: 'in a fleet, a step that acts on or reads a device names it (device: NAME, a list of names, or all), or the scenario names a default device' });
    }
  });
  const checked = (index: number | undefined, name: string): CheckedDevice[] => {
    const device = index === undefined ? undefined : fleet.device(index)?.device;
    return device ? [{ name, device }] : [];
  };
  const devicesOf = (i: number): CheckedDevice[] => {
    const selection = scenario.steps[i]?.device ?? scenario.device;
    if (selection === undefined) return [];
    if (selection === 'all') return fleet.list().flatMap((m) => checked(m.index, m.name));
    return [...new Set(typeof selection === 'string' ? [selection] : selection)].flatMap((name) => checked(byName.get(name), name));
  };
  return [...problems, ...checkSteps(file, scenario, devicesOf)];
}

/** The fleet's one ScenarioController; runs past `limits.maxQueued` are refused and counted in `refusals`. */
export function fleetScenarios(fleet: ScenarioFleet, refusals: Refusals, limits: Limits['scenarios'], logger: Logger): ScenarioController {
  // Names as devices join and leave (a device added at run time can be named by the next submit).
  const byName = new Map<string, number>();
  for (const m of fleet.list()) byName.set(m.name, m.index);
  fleet.onMembership((event) => {
    if (event.kind === 'added') byName.set(event.name, event.index);
    else if (byName.get(event.name) === event.index) byName.delete(event.name);
  });
  const host: ScenarioHost = {
    clock: fleet.clock,
    refusals,
    lookup: fleetLookup(fleet, byName),
    check: (file, scenario) => checkOnFleet(fleet, byName, file, scenario),
  };
  return new ScenarioController(host, logger, limits);
}
