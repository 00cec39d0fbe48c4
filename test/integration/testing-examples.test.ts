/**
 * The examples in examples/ (copied into the README, "Use it in CI") run as part of `npm test`:
 * the node:test suite and the shell smoke test must exit 0. The vitest example runs through
 * vitest.config.ts's include.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function run(file: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: `${stdout}\n${stderr}` });
    });
  });
}

describe('examples', () => {
  it('examples/node-test passes under node --test', { timeout: 60_000 }, async () => {
    const result = await run(process.execPath, ['--test', 'examples/node-test/device.test.mjs']);
    expect(result.code, result.output).toBe(0);
  });

  it('examples/shell/smoke.sh exits 0', { timeout: 60_000 }, async () => {
    const result = await run('bash', ['examples/shell/smoke.sh']);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('smoke: ok');
  });
});
