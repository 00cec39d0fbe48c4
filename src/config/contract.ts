/**
 * The running config as the emulator API shows it (/sim/v1/config, /sim/v1/reset): the answer to
 * a whole-config change and the control the API drives it through. GET returns the profile
 * itself (profile.ts profileSchema). Imports zod and config schemas only (no I/O), so src/http
 * and src/testing may import it.
 */
import * as z from 'zod';
import { profileSchema, type Profile } from './profile.js';

/** PUT/PATCH /sim/v1/config and POST /sim/v1/reset: the config now in force, and the restart to come. */
export const configAppliedBodySchema = z.strictObject({
  applied: z.literal(true),
  persisted: z.boolean().meta({ description: 'Written to the data dir (false without --data-dir).' }),
  restart: z.literal(true).meta({ description: 'The emulator restarts in-process right after this response; SSE streams reconnect.' }),
  config: profileSchema,
});
export type ConfigAppliedBody = z.infer<typeof configAppliedBodySchema>;

/** A whole new config, on disk, and the restart that puts it in force (call it once the response is out). */
export interface ConfigApplied {
  config: Profile;
  apply(): Promise<void>;
}

/**
 * The running config as the emulator API sees it; src/app/runner.ts Runner implements it over one
 * serialized writer (src/config/writer.ts). Every change resolves only once it is on disk (with
 * a data dir) and rejects, changing nothing, on bad input (400 naming the field) or a failed write
 * (CONFIG_WRITE_FAILED). Changes apply in the order they are accepted, each on top of the one before.
 * A whole new config is applied by an in-process restart on the same addresses, as the real
 * device restarts to apply settings; the route calls `apply` once its response is out.
 */
export interface ConfigControl {
  current(): Profile;
  /** Whether changes are written to a data dir and outlive the process. */
  readonly persistent: boolean;
  /**
   * Replaces the whole config with `next(current)` (PUT: the body; PATCH: the current config
   * merged with the patch), checked as a start would check it, then persisted.
   */
  replace(next: (current: Profile) => Profile): Promise<ConfigApplied>;
  /** Forgets the running config and goes back to the profile file. */
  reset(): Promise<ConfigApplied>;
  /**
   * A runtime change (accessible-IP list, base addresses, accounts), in force without a restart:
   * `change` makes the next config from the latest accepted one, or throws a SimError to refuse.
   * Resolves with the config that carries it.
   */
  edit(change: (current: Profile) => Profile): Promise<Profile>;
}
