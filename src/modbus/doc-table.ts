/**
 * The per-module register tables as Markdown, for docs/modbus-map.md (scripts/update-docs.mjs
 * writes them; test/unit/modbus-doc.test.ts fails when the doc and tables.ts differ).
 */
import { MODULE_TABLES, registersOf, type PointTable } from './tables.js';

const TABLE_NAMES: Record<PointTable, string> = { coil: '01 coil', discrete: '02 discrete input', holding: '03 holding', input: '04 input' };
const ORDER: PointTable[] = ['coil', 'discrete', 'holding', 'input'];

export function moduleTablesMarkdown(): string {
  const out: string[] = [];
  const seen = new Map<string, string>();
  for (const [model, rows] of Object.entries(MODULE_TABLES)) {
    const key = JSON.stringify(rows);
    out.push(`### ${model}`, '');
    const same = seen.get(key);
    if (same) {
      out.push(`Same as ${same}.`, '');
      continue;
    }
    seen.set(key, model);
    if (rows.length === 0) {
      out.push('No data points.', '');
      continue;
    }
    out.push('| table | offset | length | type | parameter | attribute |', '|---|---|---|---|---|---|');
    for (const table of ORDER) {
      let offset = 0;
      for (const row of rows.filter((r) => r.table === table)) {
        const length = registersOf(row);
        const end = offset + (table === 'coil' || table === 'discrete' ? row.count : length) - 1;
        const type = row.all ? 'word (bitmap)' : row.type;
        out.push(`| ${TABLE_NAMES[table]} | ${offset === end ? offset : `${offset}-${end}`} | ${table === 'coil' || table === 'discrete' ? row.count : length} | ${type} | ${row.parameter} | ${row.all ? `bit n = ${row.attribute} of channel n` : row.attribute} |`);
        offset = end + 1;
      }
    }
    out.push('');
  }
  return out.join('\n');
}
