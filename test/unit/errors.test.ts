import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isSimError, SimError } from '../../src/errors.js';
import { CLIENT_ERROR_CODES } from '../../src/testing/errors.js';

describe('error codes', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const [emulator = '', client = ''] = doc.split(/^## Test client codes$/m);

  it('docs/errors.md lists exactly the codes in src/errors.ts', () => {
    const documented = [...emulator.matchAll(/^\| `([A-Z_]+)` \| (.+?) \|/gm)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(documented)).toEqual(ERROR_CODES);
  });

  it('docs/errors.md "Test client codes" lists exactly CLIENT_ERROR_CODES of src/testing/errors.ts (#18)', () => {
    const documented = [...client.matchAll(/^\| `([A-Z_]+)` \| .+ \|$/gm)].map((m) => m[1]);
    expect(documented).toEqual([...CLIENT_ERROR_CODES]);
  });

  it('SimError carries its code, context and cause', () => {
    const cause = new Error('disk full');
    const error = new SimError('CONFIG_WRITE_FAILED', 'could not write x', { cause, context: { path: 'x' } });
    expect(isSimError(error)).toBe(true);
    expect(isSimError(error, 'CONFIG_WRITE_FAILED')).toBe(true);
    expect(isSimError(error, 'CLI_USAGE')).toBe(false);
    expect(error.context).toEqual({ path: 'x' });
    expect(error.cause).toBe(cause);
    expect(isSimError(new Error('plain'))).toBe(false);
  });
});
