/**
 * The built CLI as a browser test runs it: a profile of the test's own, HTTP on a free port and
 * no other listener the page does not need (no HTTPS, Modbus or MQTT), and the manual clock unless
 * the test measures a rate. Stop it with cleanupProcesses() from process.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchJson } from './http.js';
import { startCli, tempDir } from './process.js';

/** Starts the emulator on `profile` (an object: JSON is YAML) and resolves its http://host:port. */
export async function startUiDevice(profile: object, clock: 'manual' | 'real' = 'manual'): Promise<string> {
  const dir = await tempDir();
  const file = join(dir, 'profile.yaml');
  await writeFile(file, JSON.stringify(profile));
  const started = await startCli(['--profile', file, '--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'off', '--clock', clock, '--quiet'], dir);
  return `http://${started.ready.http}`;
}

/** Moves the manual clock of the emulator at `base` by `ms` (POST /sim/v1/clock/advance); resolves the device time after it, in ms. */
export async function advanceClock(base: string, ms: number): Promise<number> {
  const { now } = await fetchJson<{ now: number }>(`${base}/sim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms }) });
  return now;
}
