#!/usr/bin/env node
// Checks mibs/MOXA-IOTHINX4510-MIB.txt against the object list in the
// reference markdown (default /work/shared/reference/snmp-mib.md, or argv[2]),
// using net-snmp's snmptranslate (Debian package `snmp`).
//
// For every row of the reference table: OID (-On), and for scalars/columns
// SYNTAX (base type, enumerations, ranges, DisplayString TC) and MAX-ACCESS
// (-Td); tables/rows: not-accessible, rows: INDEX { <prefix>Index }.
// trapInform01..64: OID event.N, NOTIFICATION-TYPE, OBJECTS { eventTriggerType }.
// Also: the MIB defines nothing under moxa that the reference doesn't list
// (besides the module identity), and snmptranslate prints nothing on stderr
// for the module even at -Pww.
//
// SNMPv2-SMI / SNMPv2-TC are non-free in Debian (not in libsnmp-base); the
// net-snmp npm package ships copies, so they are taken from node_modules.
// Override with SMI_MIBS_DIR=/path/to/dir-with-SNMPv2-SMI.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const refPath = process.argv[2] ?? '/work/shared/reference/snmp-mib.md';
const smiDir = process.env.SMI_MIBS_DIR ?? join(here, '..', 'node_modules', 'net-snmp', 'lib', 'mibs');
const MOD = 'MOXA-IOTHINX4510-MIB';
const baseArgs = ['-M', `+${here}${existsSync(smiDir) ? ':' + smiDir : ''}`, '-m', MOD];

const st = (args) => spawnSync('snmptranslate', [...baseArgs, ...args], { encoding: 'utf8' });

let failures = 0;
let checked = 0;
const fail = (msg) => { failures++; console.log(`FAIL ${msg}`); };

// 1. parse the reference table
const rows = readFileSync(refPath, 'utf8').split('\n')
  .filter((l) => l.startsWith('| ') && !l.startsWith('| name') && !l.startsWith('|---'))
  .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
  .map(([name, kind, oid, syntax, access, values]) => ({ name, kind, oid, syntax, access, values }));

const expectedSyntax = (r) => {
  const v = r.values;
  if (r.syntax === 'DisplayString') return 'DisplayString';
  if (/^range /.test(v)) return `${r.syntax} (${v.slice(6)})`;
  if (v && /=/.test(v)) {
    return 'INTEGER {' + v.split(/,\s*/).map((p) => { const [n, x] = p.split('='); return `${n}(${x})`; }).join(', ') + '}';
  }
  return r.syntax;
};

const refNames = new Set(['ioThinx4510']);
for (const r of rows) {
  if (r.kind === 'NotificationType') continue; // trapInform01..64 row: below
  refNames.add(r.name);
  checked++;
  const on = st(['-On', `${MOD}::${r.name}`]);
  const got = on.stdout.trim();
  if (got !== '.' + r.oid) fail(`${r.name}: OID ${got || on.stderr.trim()} != .${r.oid}`);
  if (on.stderr.trim()) fail(`${r.name}: stderr ${on.stderr.trim()}`);
  if (r.kind === 'MibIdentifier') continue;
  const td = st(['-Td', `${MOD}::${r.name}`]).stdout;
  const field = (f) => (td.match(new RegExp(`^  ${f}\\t+(.*)$`, 'm')) ?? [])[1]?.trim();
  if (r.kind === 'MibTable' || r.kind === 'MibTableRow') {
    if (field('MAX-ACCESS') !== 'not-accessible') fail(`${r.name}: MAX-ACCESS ${field('MAX-ACCESS')}`);
    if (r.kind === 'MibTableRow') {
      const idx = r.name.replace(/Entry$/, 'Index');
      if (field('INDEX') !== `{ ${idx} }`) fail(`${r.name}: INDEX ${field('INDEX')} != { ${idx} }`);
    }
    continue;
  }
  const wantAccess = { readonly: 'read-only', readwrite: 'read-write' }[r.access];
  if (field('MAX-ACCESS') !== wantAccess) fail(`${r.name}: MAX-ACCESS ${field('MAX-ACCESS')} != ${wantAccess}`);
  if (field('STATUS') !== 'current') fail(`${r.name}: STATUS ${field('STATUS')}`);
  const want = expectedSyntax(r);
  if (want === 'DisplayString') {
    if (!/-- TEXTUAL CONVENTION DisplayString/.test(td)) fail(`${r.name}: not a DisplayString`);
  } else if (field('SYNTAX') !== want) fail(`${r.name}: SYNTAX ${field('SYNTAX')} != ${want}`);
}

// 2. the 64 notifications
let notifs = 0;
for (let n = 1; n <= 64; n++) {
  const name = `trapInform${String(n).padStart(2, '0')}`;
  refNames.add(name);
  notifs++;
  const on = st(['-On', `${MOD}::${name}`]).stdout.trim();
  if (on !== `.1.3.6.1.4.1.8691.10.4510.91.${n}`) fail(`${name}: OID ${on}`);
  const td = st(['-Td', `${MOD}::${name}`]).stdout;
  if (!/NOTIFICATION-TYPE/.test(td) || !/OBJECTS\t+\{ eventTriggerType \}/.test(td)) fail(`${name}: not NOTIFICATION-TYPE with OBJECTS { eventTriggerType }`);
}

// 3. nothing extra under moxa
const tz = st(['-Tz']).stdout.split('\n').map((l) => l.match(/^"([^"]+)"\s+"([^"]+)"/)).filter(Boolean)
  .filter(([, , oid]) => oid === '1.3.6.1.4.1.8691' || oid.startsWith('1.3.6.1.4.1.8691.'));
const defined = tz.map(([, name]) => name);
for (const name of defined) if (!refNames.has(name)) fail(`extra object in MIB: ${name}`);
for (const name of refNames) if (!defined.includes(name)) fail(`object missing from -Tz: ${name}`);

// 4. no diagnostics for the module, even at the highest warning level
const noisy = st(['-Pww', '-Tp', '-IR', 'ioThinx4510']);
const diag = noisy.stderr.split('\n').filter((l) => l.trim() && !/MACRO \(lines \d+\.\.\d+ parsed and ignored\)/.test(l));
if (diag.length) fail(`stderr at -Pww:\n${diag.join('\n')}`);
try { execFileSync('snmptranslate', [...baseArgs, '-Pww', '-On', `${MOD}::doStatus`], { stdio: 'pipe' }); } catch (e) { fail(`snmptranslate exited ${e.status}`); }

console.log(`reference rows checked: ${checked} (+ ${notifs} notifications); objects under moxa in MIB: ${defined.length}`);
console.log(failures ? `${failures} check(s) FAILED` : "all checks OK");
process.exit(failures ? 1 : 0);
