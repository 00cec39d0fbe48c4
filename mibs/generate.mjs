#!/usr/bin/env node
// Generates mibs/MOXA-IOTHINX4510-MIB.txt (SMIv2) for iothinx-sim.
//
// The object list (names, OIDs, syntax, access, enumerations, ranges) is the one
// compiled from Moxa's IOTHINX4510.mib; this generator writes our own MIB text
// from it. The committed .txt is the deliverable; run `node mibs/generate.mjs`
// to rewrite it after changing the tables below. No dependencies.

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'MOXA-IOTHINX4510-MIB.txt');

// ---- syntax helpers --------------------------------------------------------
const I32 = (lo, hi) => ({ base: 'Integer32', range: lo === undefined ? null : [lo, hi] });
const G32 = () => ({ base: 'Gauge32' });
const STR = () => ({ base: 'DisplayString' });
const ENUM = (...pairs) => ({ base: 'INTEGER', enums: pairs });

const RO = 'read-only';
const RW = 'read-write';

function syntaxText(s) {
  if (s.enums) return `INTEGER { ${s.enums.map(([n, v]) => `${n}(${v})`).join(', ')} }`;
  if (s.range) return `${s.base} (${s.range[0]}..${s.range[1]})`;
  return s.base;
}

// ---- the I/O channel tables -----------------------------------------------
// Columns 1..4 of every channel table: index, slot, channel number, alias name.
function channelCols(p, what, indexMax, chMax) {
  return [
    [`${p}Index`, I32(0, indexMax), RO,
      `Running index of the ${what} channel over the whole I/O rail; also the table index.`],
    [`${p}SlotNum`, STR(), RO,
      `Slot of the I/O module that carries this ${what} channel, as text.`],
    [`${p}ChannelNum`, I32(0, chMax), RO,
      `Channel number of this ${what} channel within its I/O module.`],
    [`${p}ChannelAliasName`, STR(), RO,
      `Alias name configured for this ${what} channel.`],
  ];
}

const tables = [
  {
    group: 'sp', groupOid: 2, groupDescr: 'System power (SP) monitoring',
    prefix: 'sp', sub: 1, typeName: 'SpEntry',
    tableDescr: 'System power (SP) channels of the I/O modules: system power status and lower limit.',
    cols: [
      ...channelCols('sp', 'system power', 511, 15),
      ['spStatus', ENUM(['normal', 0], ['undervalue', 1]), RO,
        'System power status: normal(0), or undervalue(1) when the system power is below its lower limit.'],
      ['spLowerLimitValue', STR(), RO,
        'Lower limit of the system power, as text.'],
    ],
  },
  {
    group: 'fp', groupOid: 3, groupDescr: 'Field power (FP) monitoring',
    prefix: 'fp', sub: 1, typeName: 'FpEntry',
    tableDescr: 'Field power (FP) channels of the I/O modules: field power status.',
    cols: [
      ...channelCols('fp', 'field power', 511, 15),
      ['fpStatus', ENUM(['normal', 0], ['na', 1], ['overvalue', 2]), RO,
        'Field power status: normal(0), na(1) not available, overvalue(2).'],
    ],
  },
  {
    group: 'di', groupOid: 11, groupDescr: 'Digital inputs',
    prefix: 'di', sub: 1, typeName: 'DiEntry',
    tableDescr: 'Digital input (DI) channels of the whole I/O rail.',
    cols: [
      ...channelCols('di', 'digital input', 511, 15),
      ['diMode', ENUM(['di', 0], ['counter', 1]), RO,
        'Operating mode of the channel: plain digital input (di) or counter.'],
      ['diStatus', ENUM(['off', 0], ['on', 1]), RO,
        'Current state of the digital input.'],
      ['diCounterStatus', ENUM(['pause', 0], ['run', 1]), RW,
        'Counter state in counter mode; set run(1) to start counting, pause(0) to stop.'],
      ['diCounterValue', G32(), RW,
        'Counter value in counter mode; may be set (e.g. to 0) by a manager.'],
      ['diCounterOverflowFlag', ENUM(['normal', 0], ['overflow', 1]), RO,
        'Counter overflow flag: overflow(1) once the counter has overflowed.'],
      ['diCounterOverflowFlagClear', ENUM(['clear', 1]), RW,
        'Write clear(1) to clear the counter overflow flag.'],
    ],
  },
  {
    group: 'do', groupOid: 12, groupDescr: 'Digital outputs',
    prefix: 'do', sub: 1, typeName: 'DoEntry',
    tableDescr: 'Digital output (DO) channels of the whole I/O rail.',
    cols: [
      ...channelCols('do', 'digital output', 511, 15),
      ['doMode', ENUM(['do', 0], ['pulse', 1]), RO,
        'Operating mode of the channel: plain digital output (do) or pulse output.'],
      ['doStatus', ENUM(['off', 0], ['on', 1]), RW,
        'State of the digital output in DO mode; set to switch the output.'],
      ['doPulseStatus', ENUM(['pause', 0], ['run', 1]), RW,
        'Pulse output state in pulse mode; set run(1) to start, pause(0) to stop.'],
      ['doPulseCount', G32(), RW,
        'Number of pulses to output in pulse mode.'],
      ['doPulseOnWidth', I32(0, 65535), RW,
        'Pulse on (high) width in pulse mode.'],
      ['doPulseOffWidth', I32(0, 65535), RW,
        'Pulse off (low) width in pulse mode.'],
    ],
  },
  {
    group: 'relay', groupOid: 13, groupDescr: 'Relay outputs',
    prefix: 'relay', sub: 1, typeName: 'RelayEntry',
    tableDescr: 'Relay output channels of the whole I/O rail.',
    cols: [
      ...channelCols('relay', 'relay', 127, 3),
      ['relayStatus', ENUM(['off', 0], ['on', 1]), RW,
        'State of the relay; set to switch the relay.'],
      ['relayTotalCount', I32(), RO,
        'Total number of relay switching operations over the relay lifetime.'],
      ['relayCurrentCount', I32(), RO,
        'Number of relay switching operations since the last reset.'],
      ['relayCurrentCountReset', ENUM(['reset', 1]), RW,
        'Write reset(1) to reset relayCurrentCount.'],
    ],
  },
  {
    group: 'ai', groupOid: 21, groupDescr: 'Analog inputs',
    prefix: 'ai', sub: 1, typeName: 'AiEntry',
    tableDescr: 'Analog input (AI) channels of the whole I/O rail.',
    cols: [
      ...channelCols('ai', 'analog input', 255, 7),
      ['aiMode', I32(0, 5), RO,
        'Input range (mode) code of the analog input channel.'],
      ['aiStatus', ENUM(['normal', 0], ['burnout', 1], ['overRange', 2], ['underRange', 3]), RO,
        'Status of the analog input: normal, burnout, overRange or underRange.'],
      ['aiValueRaw', G32(), RO,
        'Raw value of the analog input.'],
      ['aiValueRawMin', G32(), RO,
        'Minimum raw value since the last minimum reset.'],
      ['aiValueRawMax', G32(), RO,
        'Maximum raw value since the last maximum reset.'],
      ['aiValueScaled', STR(), RO,
        'Scaled (engineering unit) value of the analog input, as text.'],
      ['aiValueScaledMin', STR(), RO,
        'Minimum scaled value since the last minimum reset, as text.'],
      ['aiValueScaledMax', STR(), RO,
        'Maximum scaled value since the last maximum reset, as text.'],
      ['aiBurnoutValueScaled', STR(), RO,
        'Scaled burnout threshold value of the channel, as text.'],
      ['aiResetMinValue', ENUM(['reset', 1]), RW,
        'Write reset(1) to reset the recorded minimum values.'],
      ['aiResetMaxValue', ENUM(['reset', 1]), RW,
        'Write reset(1) to reset the recorded maximum values.'],
    ],
  },
  {
    group: 'ao', groupOid: 22, groupDescr: 'Analog outputs',
    prefix: 'ao', sub: 1, typeName: 'AoEntry',
    tableDescr: 'Analog output (AO) channels of the whole I/O rail.',
    cols: [
      ...channelCols('ao', 'analog output', 127, 7),
      ['aoMode', I32(0, 3), RO,
        'Output range (mode) code of the analog output channel.'],
      ['aoStatus', I32(0, 1), RO,
        'Status code of the analog output channel.'],
      ['aoValueRaw', G32(), RW,
        'Raw value of the analog output; set to change the output.'],
      ['aoValueScaled', STR(), RW,
        'Scaled (engineering unit) value of the analog output, as text; set to change the output.'],
    ],
  },
  {
    group: 'rtd', groupOid: 23, groupDescr: 'RTD inputs',
    prefix: 'rtd', sub: 1, typeName: 'RtdEntry',
    tableDescr: 'Resistance temperature detector (RTD) input channels of the whole I/O rail.',
    cols: [
      ...channelCols('rtd', 'RTD input', 191, 15),
      ['rtdType', I32(0, 4), RO,
        'Sensor type code of the RTD channel.'],
      ['rtdStatus', ENUM(['normal', 0], ['burnout', 1]), RO,
        'Status of the RTD input: normal or burnout.'],
      ['rtdValueScaled', STR(), RO,
        'Scaled (engineering unit) value of the RTD input, as text.'],
      ['rtdValueScaledMin', STR(), RO,
        'Minimum scaled value since the last minimum reset, as text.'],
      ['rtdValueScaledMax', STR(), RO,
        'Maximum scaled value since the last maximum reset, as text.'],
      ['rtdResetMinValue', ENUM(['reset', 1]), RW,
        'Write reset(1) to reset the recorded minimum value.'],
      ['rtdResetMaxValue', ENUM(['reset', 1]), RW,
        'Write reset(1) to reset the recorded maximum value.'],
    ],
  },
  {
    group: 'tc', groupOid: 24, groupDescr: 'Thermocouple inputs',
    prefix: 'tc', sub: 1, typeName: 'TcEntry',
    tableDescr: 'Thermocouple (TC) input channels of the whole I/O rail.',
    cols: [
      ...channelCols('tc', 'thermocouple input', 255, 7),
      ['tcType', I32(0, 7), RO,
        'Sensor type code of the thermocouple channel.'],
      ['tcStatus', ENUM(['normal', 0], ['burnout', 1]), RO,
        'Status of the thermocouple input: normal or burnout.'],
      ['tcValueScaled', STR(), RO,
        'Scaled (engineering unit) value of the thermocouple input, as text.'],
      ['tcValueScaledMin', STR(), RO,
        'Minimum scaled value since the last minimum reset, as text.'],
      ['tcValueScaledMax', STR(), RO,
        'Maximum scaled value since the last maximum reset, as text.'],
      ['tcResetMinValue', ENUM(['reset', 1]), RW,
        'Write reset(1) to reset the recorded minimum value.'],
      ['tcResetMaxValue', ENUM(['reset', 1]), RW,
        'Write reset(1) to reset the recorded maximum value.'],
    ],
  },
  // Internal registers: four tables under one group `ir`.
  ...[
    ['bir', 1, 'Bit (boolean) internal registers.', I32(0, 1), 'Value of the bit internal register (0 or 1).'],
    ['wir', 2, 'Word (16-bit signed) internal registers.', I32(-32768, 32767), 'Value of the word internal register.'],
    ['dir', 3, 'Double-word (32-bit signed) internal registers.', I32(-2147483648, 2147483647), 'Value of the double-word internal register.'],
    ['fir', 4, 'Floating-point internal registers; the value is carried as text.', STR(), 'Value of the floating-point internal register, as text (a decimal number).'],
  ].map(([p, sub, tableDescr, valSyntax, valDescr]) => ({
    group: 'ir', groupOid: 41, groupDescr: 'Internal registers',
    prefix: p, sub, typeName: p[0].toUpperCase() + p.slice(1) + 'Entry',
    tableDescr,
    cols: [
      [`${p}Index`, I32(0, 255), RO, 'Index of the internal register; also the table index.'],
      [`${p}Name`, STR(), RO, 'Name of the internal register.'],
      [`${p}Value`, valSyntax, RW, valDescr],
    ],
  })),
];

// ---- text output -----------------------------------------------------------
const L = [];
const out = (s = '') => L.push(s);
const q = (text, indent) => {
  // DESCRIPTION "..." wrapped at ~72 columns.
  const words = text.split(/\s+/);
  const lines = [];
  let cur = '';
  for (const w of words) {
    if (cur && (cur + ' ' + w).length > 64) { lines.push(cur); cur = w; } else cur = cur ? cur + ' ' + w : w;
  }
  lines.push(cur);
  return lines.map((l, i) => indent + (i === 0 ? '"' : ' ') + l + (i === lines.length - 1 ? '"' : '')).join('\n');
};

function objectType(name, syntax, access, descr, parent, sub, extra = []) {
  out(`${name} OBJECT-TYPE`);
  out(`    SYNTAX      ${syntax}`);
  out(`    MAX-ACCESS  ${access}`);
  out(`    STATUS      current`);
  out(`    DESCRIPTION`);
  out(q(descr, '        '));
  for (const e of extra) out(`    ${e}`);
  out(`    ::= { ${parent} ${sub} }`);
  out();
}

out(`MOXA-IOTHINX4510-MIB DEFINITIONS ::= BEGIN

-- MIB module of the Moxa ioThinx 4510 remote I/O controller, as served by the
-- iothinx-sim emulator. Generated by mibs/generate.mjs: edit the generator,
-- not this file.

IMPORTS
    MODULE-IDENTITY, OBJECT-TYPE, NOTIFICATION-TYPE,
    Integer32, Gauge32, enterprises
        FROM SNMPv2-SMI
    DisplayString
        FROM SNMPv2-TC;

ioThinx4510 MODULE-IDENTITY
    LAST-UPDATED "201908070000Z"
    ORGANIZATION "Moxa Automation,Inc."
    CONTACT-INFO
        "Moxa Automation,Inc. (device vendor).
        This MIB text: the iothinx-sim project."
    DESCRIPTION
        "Private MIB of the Moxa ioThinx 4510 remote I/O controller:
        system information, system/field power, DI, DO, relay, AI, AO,
        RTD and TC channel tables, internal registers, and the
        trap/inform notifications.

        This text was written for iothinx-sim (an emulator of the
        ioThinx 4510) from the object list compiled from Moxa's MIB
        (IOTHINX4510.mib): the object names, OIDs, syntaxes, accesses
        and enumerations follow Moxa's MIB, but this is not Moxa's
        original file; descriptions are our own."
    REVISION     "201908070000Z"
    DESCRIPTION
        "Trap/inform trigger item (eventTriggerType)."
    REVISION     "201903050000Z"
    DESCRIPTION
        "SP/FP tables (system power and field power)."
    REVISION     "201803050000Z"
    DESCRIPTION
        "First version."
    ::= { dataAcquisitionAndControl 4510 }

moxa                      OBJECT IDENTIFIER ::= { enterprises 8691 }
dataAcquisitionAndControl OBJECT IDENTIFIER ::= { moxa 10 }
`);

// Group identifiers, in OID order.
const groups = [
  ['systemInfo', 1, 'System information'],
  ...[...new Map(tables.map((t) => [t.group, [t.group, t.groupOid, t.groupDescr]])).values()],
  ['event', 91, 'Notifications (trapInform01..trapInform64)'],
].sort((a, b) => a[1] - b[1]);
for (const [g, n, d] of groups) out(`${g.padEnd(11)} OBJECT IDENTIFIER ::= { ioThinx4510 ${n} }  -- ${d}`);
out();

out('-- ' + '='.repeat(72));
out('-- System information');
out('-- ' + '='.repeat(72));
out();
const sysScalars = [
  ['deviceName', STR(), 'Device (server) name.'],
  ['firmwareVersion', STR(), 'Firmware version of the device.'],
  ['serialNumber', STR(), 'Serial number of the device.'],
  ['deviceLocalDateTime', STR(), 'Local date and time of the device, as text.'],
  ['systemError', I32(), 'System error code of the device (0 when there is no error).'],
];
sysScalars.forEach(([n, s, d], i) => objectType(n, syntaxText(s), RO, d, 'systemInfo', i + 1));

for (const t of tables) {
  const p = t.prefix;
  out('-- ' + '='.repeat(72));
  out(`-- ${p}Table: ${t.tableDescr}`);
  out('-- ' + '='.repeat(72));
  out();
  objectType(`${p}Table`, `SEQUENCE OF ${t.typeName}`, 'not-accessible', t.tableDescr, t.group, t.sub);
  objectType(`${p}Entry`, t.typeName, 'not-accessible',
    `One row of ${p}Table, indexed by ${p}Index.`, `${p}Table`, 1, [`INDEX       { ${p}Index }`]);
  const w = Math.max(...t.cols.map((c) => c[0].length)) + 1;
  out(`${t.typeName} ::= SEQUENCE {`);
  t.cols.forEach(([n, s], i) =>
    out(`    ${n.padEnd(w)}${s.base}${i === t.cols.length - 1 ? '' : ','}`));
  out('}');
  out();
  t.cols.forEach(([n, s, a, d], i) => objectType(n, syntaxText(s), a, d, `${p}Entry`, i + 1));
}

out('-- ' + '='.repeat(72));
out('-- Notifications');
out('-- ' + '='.repeat(72));
out();
objectType('eventTriggerType',
  syntaxText(ENUM(['onChange', 1], ['onToOff', 2], ['offToOn', 3], ['greater', 4], ['less', 5])),
  RO,
  'Trigger condition that fired a trap/inform notification: onChange, onToOff, offToOn, greater (value above the threshold) or less (value below the threshold). Sent as a varbind of the notifications.',
  'ioThinx4510', 92);
for (let n = 1; n <= 64; n++) {
  const name = `trapInform${String(n).padStart(2, '0')}`;
  out(`${name} NOTIFICATION-TYPE`);
  out('    OBJECTS     { eventTriggerType }');
  out('    STATUS      current');
  out('    DESCRIPTION');
  out(q(`Sent when trap/inform entry ${n} of the device's SNMP trap/inform configuration fires. Besides eventTriggerType the notification carries the value object of the channel that the entry monitors.`, '        '));
  out(`    ::= { event ${n} }`);
  out();
}

out('END');
writeFileSync(OUT, L.join('\n') + '\n');
console.log(`wrote ${OUT}`);
