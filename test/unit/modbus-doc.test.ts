import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { moduleTablesMarkdown } from '../../src/modbus/doc-table.js';

describe('docs/modbus-map.md', () => {
  it('shows the module tables exactly as src/modbus/tables.ts defines them (npm run build && node scripts/update-docs.mjs)', () => {
    const doc = readFileSync(new URL('../../docs/modbus-map.md', import.meta.url), 'utf8');
    const section = /<!-- module-tables:begin -->\n([\s\S]*)<!-- module-tables:end -->/.exec(doc)?.[1];
    expect(section).toBe(moduleTablesMarkdown());
  });
});
