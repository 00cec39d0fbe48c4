import type { Profile } from '../../src/config/profile.js';
import type { ConfigControl } from '../../src/http/options.js';

/**
 * A ConfigControl for tests that build the HTTP app alone: no data dir and no restart, it just
 * swaps the config it hands out and counts what it was asked to do.
 */
export function memoryConfig(profile: Profile): ConfigControl & { changes: number; applied: number } {
  let current = profile;
  const control = {
    changes: 0,
    applied: 0,
    persistent: false,
    current: () => current,
    replace: async (next: Profile) => async () => {
      current = next;
      control.applied += 1;
    },
    reset: async () => async () => {
      current = profile;
      control.applied += 1;
    },
    changed: () => {
      control.changes += 1;
    },
  };
  return control;
}
