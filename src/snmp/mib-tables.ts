/**
 * The ioThinx 4510 private MIB (MOXA-IOTHINX4510-MIB, reference snmp-mib.md) as data: which
 * objects exist, their OIDs, syntax and access, and how each reads from and writes to the Device
 * at request time. The agent (agent.ts) registers them with net-snmp; traps (traps.ts) name the
 * same objects in their varbinds; mibs/MOXA-IOTHINX4510-MIB.txt is the same tree as ASN.1 text.
 *
 * Tables are indexed by a running index over the rail (diIndex 0.. in slot order), as on the
 * device; `...SlotNum` is the slot as text, `...ChannelNum` the channel's number among the
 * module's channels of that type. Scaled analog values are DisplayString (the value as text).
 */
import type { ChannelType } from '../device/catalog.js';
import type { Channel } from '../device/channel.js';
import type { Device } from '../device/device.js';
import type { IrChannel } from '../device/internal-registers.js';
import type { IrType } from '../device/schema.js';
import { formatLocalTime } from '../device/time-format.js';

export const IOTHINX_4510 = '1.3.6.1.4.1.8691.10.4510';
export const EVENT_TRIGGER_TYPE = `${IOTHINX_4510}.92`;
export const trapInformOid = (n: number) => `${IOTHINX_4510}.91.${n}`;

export type Syntax = 'integer' | 'gauge' | 'text';
export type Value = number | string;

/** One row: a channel or internal register and its running index. */
export interface Row {
  index: number;
  channel: Channel;
  slot: number;
  channelNum: number;
}

export interface Column {
  number: number;
  name: string;
  syntax: Syntax;
  access: 'read-only' | 'read-write';
  /** Integer range (or enumeration bounds) the MIB declares, for SET checks. */
  range?: [number, number];
  read(row: Row): Value;
  /** Applies a SET value (already of the column's syntax); throws a SimError to refuse. */
  write?(row: Row, value: Value): void;
  /** Throws what write() would, changing nothing (SNMP SETs are tested before they commit). */
  check?(row: Row, value: Value): void;
}

export interface MibTable {
  /** Provider name, e.g. diTable. */
  name: string;
  /** The Entry OID: instances are entry.column.index. */
  entryOid: string;
  columns: Column[];
  rows(device: Device): Row[];
}

/** Scaled values as the device prints them: up to 3 decimals, no trailing zeros. */
export function formatScaled(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Math.round(value * 1000) / 1000);
}

/** A DisplayString SET of a scaled value: a decimal number as text. */
function parseScaled(value: Value): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (String(value).trim() === '' || !Number.isFinite(n)) throw new RangeError(`"${value}" is not a number`);
  return n;
}

const common = (prefix: string): Column[] => [
  { number: 1, name: `${prefix}Index`, syntax: 'integer', access: 'read-only', read: (r) => r.index },
  { number: 2, name: `${prefix}SlotNum`, syntax: 'text', access: 'read-only', read: (r) => String(r.slot) },
  { number: 3, name: `${prefix}ChannelNum`, syntax: 'integer', access: 'read-only', read: (r) => r.channelNum },
  { number: 4, name: `${prefix}ChannelAliasName`, syntax: 'text', access: 'read-only', read: (r) => r.channel.name },
];

/** A column over a device attribute of the same name (or `attribute`). */
function attr(number: number, name: string, syntax: Syntax, access: Column['access'], attribute = name, range?: [number, number]): Column {
  const column: Column = {
    number,
    name,
    syntax,
    access,
    ...(range ? { range } : {}),
    read: (r) => {
      if (!r.channel.hasAttribute(attribute)) return syntax === 'text' ? '' : 0;
      const v = r.channel.read(attribute);
      return syntax === 'text' ? formatScaled(v) : syntax === 'gauge' ? Math.max(0, Math.min(0xffffffff, Math.round(v))) : Math.round(v);
    },
  };
  if (access === 'read-write') {
    const number = (value: Value) => (syntax === 'text' ? parseScaled(value) : Number(value));
    column.write = (r, value) => r.channel.write(attribute, number(value), 'snmp');
    column.check = (r, value) => r.channel.checkWrite(attribute, number(value));
  }
  return column;
}

/** The channel's mode code (diMode, aiMode, rtdType, ...). */
const mode = (number: number, name: string): Column => ({ number, name, syntax: 'integer', access: 'read-only', read: (r) => r.channel.mode });

function channelRows(type: ChannelType): (device: Device) => Row[] {
  return (device) => {
    const rows: Row[] = [];
    for (const module of device.modules) {
      module.channelsOf(type).forEach((channel, channelNum) => rows.push({ index: rows.length, channel, slot: module.slot, channelNum }));
    }
    return rows;
  };
}

function irRows(type: IrType): (device: Device) => Row[] {
  return (device) => device.internalRegisters[type].map((channel: IrChannel) => ({ index: channel.index, channel, slot: 0, channelNum: channel.index }));
}

const table = (n: string, branch: string, type: ChannelType, columns: Column[]): MibTable => ({ name: `${n}Table`, entryOid: `${IOTHINX_4510}.${branch}.1.1`, columns, rows: channelRows(type) });

const irTable = (type: IrType, branch: number, syntax: Syntax, range?: [number, number]): MibTable => {
  const p = { bool: 'bir', word: 'wir', dword: 'dir', float: 'fir' }[type];
  return {
    name: `${p}Table`,
    entryOid: `${IOTHINX_4510}.41.${branch}.1`,
    rows: irRows(type),
    columns: [
      { number: 1, name: `${p}Index`, syntax: 'integer', access: 'read-only', read: (r) => r.index },
      { number: 2, name: `${p}Name`, syntax: 'text', access: 'read-only', read: (r) => r.channel.ioName },
      attr(3, `${p}Value`, syntax, 'read-write', 'irValue', range),
    ],
  };
};

/** rtdTable and tcTable share their layout; only the prefix, the branch and the type column differ. */
function temperatureTable(prefix: 'rtd' | 'tc', branch: string, typeColumn: string): MibTable {
  return table(prefix, branch, prefix, [
    ...common(prefix),
    mode(5, typeColumn),
    attr(6, `${prefix}Status`, 'integer', 'read-only'),
    attr(7, `${prefix}ValueScaled`, 'text', 'read-only'),
    attr(8, `${prefix}ValueScaledMin`, 'text', 'read-only'),
    attr(9, `${prefix}ValueScaledMax`, 'text', 'read-only'),
    attr(10, `${prefix}ResetMinValue`, 'integer', 'read-write', `${prefix}ResetMinValue`, [1, 1]),
    attr(11, `${prefix}ResetMaxValue`, 'integer', 'read-write', `${prefix}ResetMaxValue`, [1, 1]),
  ]);
}

export const MIB_TABLES: readonly MibTable[] = [
  table('sp', '2', 'sp', [...common('sp'), attr(5, 'spStatus', 'integer', 'read-only', 'spStatus', [0, 1]), attr(6, 'spLowerLimitValue', 'text', 'read-only')]),
  table('fp', '3', 'sp', [...common('fp'), attr(5, 'fpStatus', 'integer', 'read-only', 'fpStatus', [0, 2])]),
  table('di', '11', 'di', [
    ...common('di'),
    mode(5, 'diMode'),
    attr(6, 'diStatus', 'integer', 'read-only'),
    attr(7, 'diCounterStatus', 'integer', 'read-write', 'diCounterStatus', [0, 1]),
    attr(8, 'diCounterValue', 'gauge', 'read-write'),
    attr(9, 'diCounterOverflowFlag', 'integer', 'read-only'),
    attr(10, 'diCounterOverflowFlagClear', 'integer', 'read-write', 'diCounterOverflowFlagClear', [1, 1]),
  ]),
  table('do', '12', 'do', [
    ...common('do'),
    mode(5, 'doMode'),
    attr(6, 'doStatus', 'integer', 'read-write', 'doStatus', [0, 1]),
    attr(7, 'doPulseStatus', 'integer', 'read-write', 'doPulseStatus', [0, 1]),
    attr(8, 'doPulseCount', 'gauge', 'read-write'),
    attr(9, 'doPulseOnWidth', 'integer', 'read-write', 'doPulseOnWidth', [0, 65_535]),
    attr(10, 'doPulseOffWidth', 'integer', 'read-write', 'doPulseOffWidth', [0, 65_535]),
  ]),
  table('relay', '13', 'relay', [
    ...common('relay'),
    attr(5, 'relayStatus', 'integer', 'read-write', 'relayStatus', [0, 1]),
    attr(6, 'relayTotalCount', 'integer', 'read-only'),
    attr(7, 'relayCurrentCount', 'integer', 'read-only'),
    attr(8, 'relayCurrentCountReset', 'integer', 'read-write', 'relayCurrentCountReset', [1, 1]),
  ]),
  table('ai', '21', 'ai', [
    ...common('ai'),
    mode(5, 'aiMode'),
    attr(6, 'aiStatus', 'integer', 'read-only'),
    attr(7, 'aiValueRaw', 'gauge', 'read-only'),
    attr(8, 'aiValueRawMin', 'gauge', 'read-only'),
    attr(9, 'aiValueRawMax', 'gauge', 'read-only'),
    attr(10, 'aiValueScaled', 'text', 'read-only'),
    attr(11, 'aiValueScaledMin', 'text', 'read-only'),
    attr(12, 'aiValueScaledMax', 'text', 'read-only'),
    attr(13, 'aiBurnoutValueScaled', 'text', 'read-only'),
    attr(14, 'aiResetMinValue', 'integer', 'read-write', 'aiResetMinValue', [1, 1]),
    attr(15, 'aiResetMaxValue', 'integer', 'read-write', 'aiResetMaxValue', [1, 1]),
  ]),
  table('ao', '22', 'ao', [
    ...common('ao'),
    mode(5, 'aoMode'),
    attr(6, 'aoStatus', 'integer', 'read-only'),
    attr(7, 'aoValueRaw', 'gauge', 'read-write'),
    attr(8, 'aoValueScaled', 'text', 'read-write'),
  ]),
  temperatureTable('rtd', '23', 'rtdType'),
  temperatureTable('tc', '24', 'tcType'),
  irTable('bool', 1, 'integer', [0, 1]),
  irTable('word', 2, 'integer', [-32_768, 32_767]),
  irTable('dword', 3, 'integer', [-2_147_483_648, 2_147_483_647]),
  irTable('float', 4, 'text'),
];

export interface MibScalar {
  name: string;
  /** The object OID (the instance is .0). */
  oid: string;
  syntax: Syntax | 'oid' | 'timeticks';
  access: 'read-only' | 'read-write';
  read(device: Device): Value;
}

/** systemInfo (…4510.1) and MIB-II `system` (sysName = device name, sysObjectID = the 4510). */
export function mibScalars(extra: { contact: () => string; location: () => string; lastTrigger: () => number }): MibScalar[] {
  return [
    { name: 'sysDescr', oid: '1.3.6.1.2.1.1.1', syntax: 'text', access: 'read-only', read: (d) => `Moxa ioThinx 4510 remote I/O (iothinx-sim), firmware ${d.identity.firmwareVersion}, serial ${d.identity.serialNumber}` },
    { name: 'sysObjectID', oid: '1.3.6.1.2.1.1.2', syntax: 'oid', access: 'read-only', read: () => IOTHINX_4510 },
    { name: 'sysUpTime', oid: '1.3.6.1.2.1.1.3', syntax: 'timeticks', access: 'read-only', read: (d) => Math.floor(d.uptimeMs() / 10) },
    { name: 'sysContact', oid: '1.3.6.1.2.1.1.4', syntax: 'text', access: 'read-only', read: () => extra.contact() },
    { name: 'sysName', oid: '1.3.6.1.2.1.1.5', syntax: 'text', access: 'read-only', read: (d) => d.identity.name },
    { name: 'sysLocation', oid: '1.3.6.1.2.1.1.6', syntax: 'text', access: 'read-only', read: () => extra.location() },
    // Physical, application: an I/O device offering end-to-end services (RFC 1213 sysServices).
    { name: 'sysServices', oid: '1.3.6.1.2.1.1.7', syntax: 'integer', access: 'read-only', read: () => 72 },
    { name: 'deviceName', oid: `${IOTHINX_4510}.1.1`, syntax: 'text', access: 'read-only', read: (d) => d.identity.name },
    { name: 'firmwareVersion', oid: `${IOTHINX_4510}.1.2`, syntax: 'text', access: 'read-only', read: (d) => d.identity.firmwareVersion },
    { name: 'serialNumber', oid: `${IOTHINX_4510}.1.3`, syntax: 'text', access: 'read-only', read: (d) => d.identity.serialNumber },
    { name: 'deviceLocalDateTime', oid: `${IOTHINX_4510}.1.4`, syntax: 'text', access: 'read-only', read: (d) => formatLocalTime(d.clock.now()) },
    { name: 'systemError', oid: `${IOTHINX_4510}.1.5`, syntax: 'integer', access: 'read-only', read: (d) => d.head.read('systemError') },
    { name: 'eventTriggerType', oid: EVENT_TRIGGER_TYPE, syntax: 'integer', access: 'read-only', read: () => extra.lastTrigger() },
  ];
}

/**
 * The MIB object that carries a channel's (or IR's) attribute, for trap varbinds: its instance
 * OID and how to read it; null when the MIB has no column for it.
 */
export function objectFor(device: Device, channel: Channel, attribute: string): { oid: string; syntax: Syntax; name: string; read(): Value } | null {
  for (const t of MIB_TABLES) {
    const row = t.rows(device).find((r) => r.channel === channel);
    if (!row) continue;
    // An IR's irValue is the value column (birValue, wirValue, ...); other columns carry the attribute's own name.
    const column = attribute === 'irValue' && channel.type === 'ir' ? t.columns.find((c) => c.number === 3) : t.columns.find((c) => c.name === attribute);
    if (!column) continue;
    return { oid: `${t.entryOid}.${column.number}.${row.index}`, syntax: column.syntax, name: column.name, read: () => column.read(row) };
  }
  return null;
}
