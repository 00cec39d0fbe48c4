/**
 * The fleet's first device index, from a flag or the environment (docs/fleet.md, docs/kubernetes.md):
 *
 *   --first K ─────────────────────────────► K
 *   IOTHINX_SIM_FLEET_FIRST=K ─────────────► K
 *   IOTHINX_SIM_FLEET_ORDINAL=O ───────────► O × count + 1   (pod O of a StatefulSet runs
 *   IOTHINX_SIM_FLEET_ORDINAL=name-O ──────► O × count + 1    devices O·count+1 .. (O+1)·count)
 *   none ──────────────────────────────────► the profile's fleet.first
 *
 * The ordinal is what a Kubernetes StatefulSet gives each pod: the label
 * `apps.kubernetes.io/pod-index` (Kubernetes 1.28 and later) or the pod's name, `NAME-O`, on any
 * version; both come through the downward API, so a pod's devices keep their names when it is
 * rescheduled. An index is 0..999 999 as `fleet.first` is.
 */
import type { SimError } from '../errors.js';
import { FIRST_INDEX_ENV, ORDINAL_ENV, parseInteger } from './args.js';

/** fleet.first's range (src/config/fleet.ts). */
export const MAX_FIRST_INDEX = 999_999;

export interface FirstIndexSource {
  /** `--first`, as typed. */
  flag: string | undefined;
  env: NodeJS.ProcessEnv;
  /** The fleet's device count (flag or profile): the ordinal's stride. */
  count: number;
  fail: (message: string) => SimError;
}

/** The first index the flag or the environment asks for, or undefined: the profile's then. */
export function firstIndexFrom({ flag, env, count, fail }: FirstIndexSource): number | undefined {
  const first = env[FIRST_INDEX_ENV] === '' ? undefined : env[FIRST_INDEX_ENV];
  const ordinal = env[ORDINAL_ENV] === '' ? undefined : env[ORDINAL_ENV];
  if (flag !== undefined) return parseInteger('--first', flag, 0, MAX_FIRST_INDEX, fail);
  if (first !== undefined && ordinal !== undefined) {
    throw fail(`${FIRST_INDEX_ENV} and ${ORDINAL_ENV} are both set ("${first}", "${ordinal}"): set one`);
  }
  if (first !== undefined) return parseInteger(FIRST_INDEX_ENV, first, 0, MAX_FIRST_INDEX, fail);
  if (ordinal === undefined) return undefined;
  // A bare ordinal (the pod-index label) or a StatefulSet pod's name, whose last "-N" is the ordinal.
  const m = /^(?:.+-)?(\d{1,7})$/.exec(ordinal);
  const last = Math.floor((MAX_FIRST_INDEX - 1) / count);
  if (!m || Number(m[1]) > last) {
    throw fail(`${ORDINAL_ENV}: expected a pod ordinal 0..${last} (first index = ordinal × ${count} + 1 ≤ ${MAX_FIRST_INDEX}) or a pod name ending in -ORDINAL, got "${ordinal}"`);
  }
  return Number(m[1]) * count + 1;
}
