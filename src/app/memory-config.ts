import type { Profile } from '../config/profile.js';
import type { ConfigControl } from '../config/contract.js';

/**
 * The ConfigControl of a device built without a Runner (tests, a library user's device): no
 * data dir and no restart. A runtime edit (IP list, base addresses, accounts) is handed to
 * `putInForce` at once, as the Runner does once it is on disk; a whole new config (PUT, PATCH,
 * reset) becomes current() but is not run. It counts what it was asked to do.
 */
export function memoryConfig(profile: Profile, putInForce: (next: Profile) => void = () => {}): ConfigControl & { changes: number; applied: number } {
  let current = profile;
  const control = {
    changes: 0,
    applied: 0,
    persistent: false,
    current: () => current,
    replace: async (next: (current: Profile) => Profile) => {
      const config = next(current);
      return {
        config,
        apply: async () => {
          current = config;
          control.applied += 1;
        },
      };
    },
    reset: async () => ({
      config: profile,
      apply: async () => {
        current = profile;
        control.applied += 1;
      },
    }),
    edit: async (change: (current: Profile) => Profile) => {
      const next = change(current);
      current = next;
      putInForce(next);
      control.changes += 1;
      return next;
    },
  };
  return control;
}
