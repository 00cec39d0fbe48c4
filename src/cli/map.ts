/** `iothinx-sim map`: the Modbus address table of a profile, without starting anything. */
import type { Profile } from '../config/profile.js';
import { mapRows } from '../app/check.js';
import type { MapRow } from '../modbus/address-map.js';

// New columns go at the end, so that a script reading the CSV by position keeps working.
const COLUMNS: (keyof MapRow)[] = ['table', 'address', 'length', 'type', 'slot', 'ioName', 'parameter', 'signed'];

export function printMap(profile: Profile, format: 'table' | 'csv' | 'json'): void {
  const rows = mapRows(profile);
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const cells = rows.map((r) => COLUMNS.map((c) => String(r[c])));
  if (format === 'csv') {
    process.stdout.write([COLUMNS.join(','), ...cells.map((c) => c.join(','))].join('\n') + '\n');
    return;
  }
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${[line(COLUMNS), ...cells.map(line)].join('\n')}\n`);
}
