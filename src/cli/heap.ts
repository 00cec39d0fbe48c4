/**
 * How far V8 lets the old generation grow past what the last full collection kept, for the
 * long-running `start` process. Under fast allocation V8 allows up to 4x: in the #14 soak that
 * was ~125 MiB of old space committed for ~30 MiB live, RSS 115-122 MiB above its start.
 * A device is small, runs for days, and often many run per machine: 1.3x keeps that growth at
 * ~35 MiB with no loss of Modbus throughput or probe latency measured (bench/soak.mjs,
 * docs/performance.md "Soak"). V8 reads the flag each time it sets a new limit, so setting it
 * once the code cache is consumed works (a flag set before would make V8 reject the cache); `start`
 * sets it once the device is up (src/cli/main.ts).
 * IOTHINX_SIM_HEAP_GROWING_PERCENT=0 leaves V8's own heuristic.
 */
import { createRequire } from 'node:module';
import type * as V8 from 'node:v8';
import { SimError } from '../errors.js';

export const HEAP_GROWING_ENV = 'IOTHINX_SIM_HEAP_GROWING_PERCENT';
export const DEFAULT_HEAP_GROWING_PERCENT = 30;
/**
 * A fleet's while its devices start: the heap grows by ~1.5 MiB a device for as long as they
 * start, and at 1.3x a full collection came every few MiB of growth: 1,000 devices with MQTT took
 * 17 s to start at 1.3x, 13 s at 2x (bench/fleet.mjs, issue #16). Once they run the fleet goes
 * back to 1.3x: at 2x, RSS went on growing to 2.5 GiB (2.4 MiB a device, past the 2 MiB the
 * fleet is held to) as journal and MQTT-log entries aged out.
 */
export const DEFAULT_FLEET_HEAP_GROWING_PERCENT = 100;

/** The percent to use: the environment's if set (0..400), else `fallback`; a bad value is a usage error (exit 2). */
export function heapGrowingPercent(env: NodeJS.ProcessEnv = process.env, fallback = DEFAULT_HEAP_GROWING_PERCENT): number {
  const text = env[HEAP_GROWING_ENV];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 400) {
    throw new SimError('CLI_USAGE', `${HEAP_GROWING_ENV}: expected an integer 0..400 (percent; 0 = V8's own heuristic), got "${text}"`);
  }
  return value;
}

export function limitHeapGrowth(percent: number): void {
  // node:v8 loads here, after `start`'s ready file, not with the bundle: 1-3 ms of start-up (#19).
  if (percent > 0) (createRequire(import.meta.url)('node:v8') as typeof V8).setFlagsFromString(`--heap-growing-percent=${percent}`);
}
