/**
 * The `fleet:` section checked as `iothinx-sim fleet` would use it, without starting anything:
 * every device's identity from the templates (valid, and distinct on the wire) and its addresses.
 * `validate` reports these with the file and path, as it does the other sections.
 */
import { GATEWAY_UNIT_IDS, type Fleet } from '../config/fleet.js';
import type { Profile } from '../config/profile.js';
import { isSimError } from '../errors.js';
import { listenAt } from './addressing.js';
import { identityAt } from './identity.js';

export interface FleetIssue {
  path: string;
  message: string;
}

/** The first problem of each kind; [] when every device of the section would start with its own identity. */
export function fleetIssues(profile: Profile, fleet: Fleet): FleetIssue[] {
  const issues: FleetIssue[] = [];
  const seen = { name: new Map<string, number>(), serialNumber: new Map<string, number>(), mac: new Map<string, number>() };
  const caught = (error: unknown) => {
    if (!isSimError(error, 'PROFILE_INVALID')) throw error;
    const path = typeof error.context.path === 'string' ? error.context.path : 'fleet';
    // The message starts with the path already (identityAt, listenAt): keep the rest.
    issues.push({ path, message: error.message.startsWith(`${path}: `) ? error.message.slice(path.length + 2) : error.message });
  };
  for (let index = fleet.first; index < fleet.first + fleet.count && issues.length === 0; index++) {
    try {
      const { device } = identityAt(profile, fleet, index);
      for (const field of ['name', 'serialNumber', 'mac'] as const) {
        const other = seen[field].get(device[field]);
        if (other !== undefined) issues.push({ path: `fleet.identity.${field}`, message: `devices ${other} and ${index} would both be "${device[field]}": give a template with {index}` });
        seen[field].set(device[field], index);
      }
    } catch (error) {
      caught(error);
    }
  }
  const unitIds = GATEWAY_UNIT_IDS.last - GATEWAY_UNIT_IDS.first + 1;
  if (fleet.gateway && fleet.count > unitIds) {
    issues.push({
      path: 'fleet.gateway',
      message: `the gateway selects a device by unit id ${GATEWAY_UNIT_IDS.first}..${GATEWAY_UNIT_IDS.last}, so it reaches ${unitIds} devices; count ${fleet.count} would leave devices ${fleet.first + unitIds}.. without one (lower fleet.count, or turn the gateway off)`,
    });
  }
  try {
    // The last device needs the highest port or address.
    listenAt(fleet.addressing, fleet.count - 1, true);
  } catch (error) {
    caught(error);
  }
  return issues;
}
