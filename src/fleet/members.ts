/**
 * The fleet's members as the rest of src/fleet sees them: what the ready file lists of a device,
 * a device joining or leaving, and what the fleet API's control needs of the `Fleet` (so
 * control.ts and fleet.ts do not import each other).
 */
import type { Emulator } from '../app/emulator.js';
import type { EmulatorAddresses } from '../app/service.js';
import type { Clock } from '../device/clock.js';
import type { FleetGatewayStatus } from './contract.js';
import type { Refusals } from '../device/refusals.js';
import type { ScenarioControl } from '../sim/contract.js';

/** One device of the fleet as the ready file and the fleet API list it. */
export interface FleetMember {
  index: number;
  name: string;
  serialNumber: string;
  mac: string;
  ip: string;
  addresses: EmulatorAddresses;
  /** The unit id that selects it on the fleet's Modbus gateway; null with the gateway off or outside 1..247. */
  unitId: number | null;
}

/** A device that joined or left the fleet. */
export interface FleetMembership {
  kind: 'added' | 'removed';
  index: number;
  name: string;
}

/** What the fleet API drives of a `Fleet` (src/fleet/fleet.ts). */
export interface FleetMembers {
  readonly clock: Clock;
  /** What the fleet's own limits refused (iothinx_fleet_limit_refusals_total). */
  readonly refusals: Refusals;
  /** The fleet's scenario runs (steps name their devices). */
  readonly scenarios: ScenarioControl;
  list(): FleetMember[];
  /** How many devices run (without listing them). */
  readonly size: number;
  device(index: number): Emulator | undefined;
  add(index: number): Promise<FleetMember>;
  remove(index: number): Promise<boolean>;
  starting(): number[];
  gateway(): FleetGatewayStatus;
  onMembership(listener: (event: FleetMembership) => void): () => void;
}
