import type { Profile } from '../../src/config/profile.js';
import type { ConfigControl } from '../../src/http/options.js';

/**
 * A ConfigControl for tests that build the HTTP app alone: no data dir and no restart. A runtime
 * edit is put in force at once on the profile object the app was built with (its top-level
 * sections replaced, as the runner puts a change in force); it counts what it was asked to do.
 */
export function memoryConfig(profile: Profile): ConfigControl & { changes: number; applied: number } {
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
      Object.assign(current, next);
      control.changes += 1;
      return current;
    },
  };
  return control;
}
