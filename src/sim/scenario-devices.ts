/**
 * Which device a scenario step acts on. The runner asks a `DeviceLookup`, so one runner serves a
 * lone device (every step acts on it) and a fleet, where steps name their devices (issue #16
 * item 6, docs/scenarios.md "Devices").
 *
 *   step.device ?? scenario.device ─► DeviceLookup.resolve ─► ScenarioTarget[] ─► act on / evaluate each
 *
 * A `ScenarioHost` is what a ScenarioController runs on: the lookup, the one clock, the check of a
 * document against the devices, and where a full queue is counted. `loneDevice` makes the host of
 * one emulator; src/fleet/scenarios.ts makes the fleet's.
 */
import type { Channel } from '../device/channel.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import type { Refusals } from '../device/refusals.js';
import type { SignalSpec } from '../device/schema.js';
import { checkScenario, type ScenarioProblem } from './scenario-load.js';
import type { Scenario, StepDevices } from './scenario-schema.js';

/** The signal generators as the runner needs them; src/sim/signals.ts SignalRunner fits. */
export interface ScenarioSignals {
  attach(channel: Channel, spec: SignalSpec): void;
  detach(channel: Channel): boolean;
}

/** Calls the listener with each MQTT message published or received; returns the unsubscribe. */
export type MqttTap = (listener: (message: object) => void) => () => void;

/** What a run acts on for one device. */
export interface ScenarioRig {
  device: Device;
  clock: Clock;
  signals: ScenarioSignals;
  /** Absent when MQTT is off. */
  onMqttMessage?: MqttTap;
}

/** One device a step acts on and reads, by the name steps give it. */
export interface ScenarioTarget {
  readonly name: string;
  readonly device: Device;
  readonly signals: ScenarioSignals;
  readonly onMqttMessage?: MqttTap | undefined;
}

export interface DeviceLookup {
  /**
   * The devices a step names (`undefined`: the step names none and the scenario's default is
   * taken), each once, as they run now. Throws an Error naming a device that is no longer there
   * (removed from a fleet while the run ran): the step fails with that message.
   */
  resolve(selection: StepDevices | undefined): ScenarioTarget[];
  /** Every device the scenario names, as they run when it starts: its start and end go to their journals, and their MQTT messages are heard. */
  involved(scenario: Scenario): ScenarioTarget[];
}

export interface ScenarioHost {
  readonly clock: Clock;
  readonly lookup: DeviceLookup;
  /** What the schema cannot know, checked against the devices before a run is queued; every problem with its path. */
  check(file: string, scenario: Scenario): ScenarioProblem[];
  /** Where a submission refused by a full queue is counted (`scenario_queue`). */
  readonly refusals: Refusals;
}

/** Whether `x` is a host already rather than one device's rig. */
export function isScenarioHost(x: ScenarioRig | ScenarioHost): x is ScenarioHost {
  return 'lookup' in x;
}

/**
 * The host of one emulator: every step acts on its one device. A step or scenario may name a
 * device only by the device's own name (checkScenario refuses any other), so that a scenario
 * written for one fleet device also runs on that device's own /sim/v1/scenarios.
 */
export function loneDevice(rig: ScenarioRig): ScenarioHost & { readonly target: ScenarioTarget } {
  const target: ScenarioTarget = {
    get name() {
      return rig.device.identity.name;
    },
    device: rig.device,
    signals: rig.signals,
    onMqttMessage: rig.onMqttMessage,
  };
  return {
    clock: rig.clock,
    target,
    refusals: rig.device.refusals,
    lookup: { resolve: () => [target], involved: () => [target] },
    check: (file, scenario) => checkScenario(file, scenario, rig.device),
  };
}
