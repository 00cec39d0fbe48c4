/**
 * The built CLI as a browser test runs it: the default profile or one of the test's own, HTTP on
 * a free port and no other listener the page does not need (no HTTPS, Modbus or MQTT; SNMP on a
 * free port as startCli gives it), and the manual clock unless the test needs time to run by
 * itself (it measures a rate, or an RTU master polls). Stop it with cleanupProcesses() from process.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fetchJson } from './http.js';
import { startCli, tempDir, type Ready } from './process.js';

/**
 * Starts the emulator on `profile`: a file, an object (written to the test's temp dir: JSON is
 * YAML), or none for the default profile. Resolves the page's http://host:port and the ready file.
 */
export async function startUiDevice(profile?: string | object, clock: 'manual' | 'real' = 'manual'): Promise<{ base: string; ready: Ready }> {
  const dir = await tempDir();
  let file = typeof profile === 'string' ? profile : undefined;
  if (typeof profile === 'object') {
    file = join(dir, 'profile.yaml');
    await writeFile(file, JSON.stringify(profile));
  }
  const { ready } = await startCli([...(file ? ['--profile', file] : []), '--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'off', '--clock', clock, '--quiet'], dir);
  return { base: `http://${ready.http}`, ready };
}

/** Moves the manual clock of the emulator at `base` by `ms` (POST /sim/v1/clock/advance); resolves the device time after it, in ms. */
export async function advanceClock(base: string, ms: number): Promise<number> {
  const { now } = await fetchJson<{ now: number }>(`${base}/sim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms }) });
  return now;
}
