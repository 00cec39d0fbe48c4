/**
 * Issue #14 "Done when": kill -9 during mixed config and runtime edits loses nothing
 * acknowledged and never leaves a data dir that does not start. Runs bench/kill9.mjs (the
 * 100-run proof) for a few runs: the same logic, against the built CLI.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../bench/kill9.mjs', import.meta.url).pathname;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kill -9', () => {
  it('#14 done-when: 5 kill -9 runs during PUT/PATCH config, IP-list and base-address edits lose no acknowledged change and always start', async () => {
    const result = await run(['--runs', '5', '--seed', '14']);
    expect(result.stdout, result.stderr).toMatch(/^kill9: 5 runs, \d+ acknowledged changes .*, \d+ checks after restart, 0 losses, 0 failed starts, 0 error answers$/m);
    expect(result.code).toBe(0);
  }, 120_000);
});
