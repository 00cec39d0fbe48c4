// Regenerates the generated parts of docs/ from the code (run after `npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { moduleTablesMarkdown } from '../dist/modbus/doc-table.js';

const file = 'docs/modbus-map.md';
const doc = readFileSync(file, 'utf8');
const begin = '<!-- module-tables:begin -->';
const end = '<!-- module-tables:end -->';
const updated = doc.replace(new RegExp(`${begin}[\\s\\S]*${end}`), `${begin}\n${moduleTablesMarkdown()}${end}`);
writeFileSync(file, updated);
console.log(updated === doc ? `${file}: up to date` : `${file}: updated`);
