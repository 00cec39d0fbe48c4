/**
 * Each module's Modbus parameters, per point type, in the manual's listing order (Appendix A).
 * Sources per model are in shared/reference/modbus-tables.md: the manual (M-EZ p=106-108, M-38
 * page-78/82) for the system block, 1600, 1601, 2404, 2600 (01-03) and 6810; OMNI (v2.1) for the
 * rest, with its u64 doubling of DWORD counters corrected to the manual's reading (Length counts
 * registers, so "8 DWORD" is four values). Rows marked BY ANALOGY are ours: docs/modbus-map.md.
 *
 * A row is one parameter: a per-channel attribute (`attribute`), or a bitmap word of that
 * attribute over the channels (`all`, bit n = channel n, ASSUMPTION on bit order).
 */
import type { ChannelType } from '../device/catalog.js';
import type { PointTable, PointType } from './contract.js';

export type { PointTable, PointType };

export interface ParameterRow {
  readonly parameter: string;
  readonly table: PointTable;
  readonly type: PointType;
  /** Channel type whose attribute the row exposes. */
  readonly channelType: ChannelType;
  /** Device attribute behind it (differs from `parameter` for the *All words and rtdType). */
  readonly attribute: string;
  /** Number of values (channels); registers = values × 2 for dword/float. */
  readonly count: number;
  /** A bitmap word over `count` channels. */
  readonly all?: boolean;
}

function rows(channelType: ChannelType, table: PointTable, type: PointType, list: [string, number][]): ParameterRow[] {
  return list.map(([parameter, count]) => ({ parameter, table, type, channelType, attribute: parameter, count }));
}

function allWords(channelType: ChannelType, table: PointTable, list: [string, number][]): ParameterRow[] {
  return list.map(([parameter, count]) => ({
    parameter,
    table,
    type: 'word' as const,
    channelType,
    attribute: parameter.replace(/All$/, ''),
    count,
    all: true,
  }));
}

const DI16: ParameterRow[] = [
  // M-EZ p=107 (1600) and p=108 (1601): identical tables.
  ...rows('di', 'coil', 'bit', [['diCounterStatus', 4], ['diCounterOverflowFlagClear', 4]]),
  ...rows('di', 'discrete', 'bit', [['diStatus', 16], ['diMode', 16], ['diCounterOverflowFlag', 4]]),
  ...rows('di', 'holding', 'dword', [['diCounterValue', 4]]),
  ...allWords('di', 'holding', [['diCounterStatusAll', 4], ['diCounterOverflowFlagClearAll', 4]]),
  ...allWords('di', 'input', [['diStatusAll', 16], ['diCounterOverflowFlagAll', 4], ['diModeAll', 16]]),
];

const DO16: ParameterRow[] = [
  // M-38 page-78 for 01-03; the 04 table (doModeAll) from OMNI.
  ...rows('do', 'coil', 'bit', [['doStatus', 16], ['doPulseStatus', 4]]),
  ...rows('do', 'discrete', 'bit', [['doMode', 16]]),
  ...allWords('do', 'holding', [['doStatusAll', 16]]),
  ...rows('do', 'holding', 'dword', [['doPulseCount', 4]]),
  ...rows('do', 'holding', 'word', [['doPulseOnWidth', 4], ['doPulseOffWidth', 4]]),
  ...allWords('do', 'holding', [['doPulseStatusAll', 4]]),
  ...allWords('do', 'input', [['doModeAll', 16]]),
];

const AI8: ParameterRow[] = [
  // OMNI; the manual's 3800/3810 tables are UNSEEN.
  ...rows('ai', 'coil', 'bit', [['aiResetMinValue', 8], ['aiResetMaxValue', 8]]),
  ...allWords('ai', 'holding', [['aiResetMinValueAll', 8], ['aiResetMaxValueAll', 8]]),
  ...rows('ai', 'input', 'word', [['aiValueRaw', 8], ['aiValueRawMin', 8], ['aiValueRawMax', 8]]),
  ...rows('ai', 'input', 'float', [['aiValueScaled', 8], ['aiValueScaledMin', 8], ['aiValueScaledMax', 8]]),
  ...rows('ai', 'input', 'word', [['aiStatus', 8]]),
  ...rows('ai', 'input', 'float', [['aiBurnoutValueScaled', 8]]),
  ...rows('ai', 'input', 'word', [['aiMode', 8]]),
];

function temperature(prefix: 'rtd' | 'tc', n: number): ParameterRow[] {
  const type = prefix;
  return [
    ...rows(type, 'coil', 'bit', [[`${prefix}ResetMinValue`, n], [`${prefix}ResetMaxValue`, n]]),
    ...allWords(type, 'holding', [[`${prefix}ResetMinValueAll`, n], [`${prefix}ResetMaxValueAll`, n]]),
    ...rows(type, 'input', 'float', [[`${prefix}ValueScaled`, n], [`${prefix}ValueScaledMin`, n], [`${prefix}ValueScaledMax`, n]]),
    // The Modbus table calls the mode word rtdType; the channel attribute is rtdMode (MQTT name).
    { parameter: `${prefix}Type`, table: 'input', type: 'word', channelType: type, attribute: prefix === 'rtd' ? 'rtdMode' : 'tcType', count: n },
    ...rows(type, 'input', 'word', [[`${prefix}Status`, n]]),
  ];
}

export const MODULE_TABLES: Readonly<Record<string, readonly ParameterRow[]>> = {
  '45MR-1600': DI16,
  '45MR-1601': DI16,
  '45MR-2600': DO16,
  '45MR-2601': DO16,
  // OMNI's order, DWORD counts corrected.
  '45MR-2606': [
    ...rows('do', 'coil', 'bit', [['doStatus', 8]]),
    ...rows('di', 'coil', 'bit', [['diCounterStatus', 2], ['diCounterOverflowFlagClear', 2]]),
    ...rows('do', 'coil', 'bit', [['doPulseStatus', 2]]),
    ...rows('di', 'discrete', 'bit', [['diStatus', 8], ['diMode', 8]]),
    ...rows('do', 'discrete', 'bit', [['doMode', 8]]),
    ...rows('di', 'discrete', 'bit', [['diCounterOverflowFlag', 2]]),
    ...rows('di', 'holding', 'dword', [['diCounterValue', 2]]),
    ...allWords('do', 'holding', [['doStatusAll', 8]]),
    ...rows('do', 'holding', 'dword', [['doPulseCount', 2]]),
    ...rows('do', 'holding', 'word', [['doPulseOnWidth', 2], ['doPulseOffWidth', 2]]),
    ...allWords('do', 'holding', [['doPulseStatusAll', 2]]),
    ...allWords('di', 'holding', [['diCounterStatusAll', 2], ['diCounterOverflowFlagClearAll', 2]]),
    ...allWords('di', 'input', [['diStatusAll', 8], ['diCounterOverflowFlagAll', 2], ['diModeAll', 8]]),
    ...allWords('do', 'input', [['doModeAll', 8]]),
  ],
  // M-EZ p=108, M-38 page-78: no 02 table.
  '45MR-2404': [
    ...rows('relay', 'coil', 'bit', [['relayStatus', 4], ['relayCurrentCountReset', 4]]),
    ...allWords('relay', 'holding', [['relayStatusAll', 4]]),
    ...rows('relay', 'input', 'dword', [['relayTotalCount', 4], ['relayCurrentCount', 4]]),
  ],
  '45MR-3800': AI8,
  '45MR-3810': AI8,
  '45MR-4420': [
    ...rows('ao', 'holding', 'word', [['aoValueRaw', 4]]),
    ...rows('ao', 'holding', 'float', [['aoValueScaled', 4]]),
    ...rows('ao', 'input', 'word', [['aoMode', 4]]),
    // BY ANALOGY: the newer manual has aoStatus (M-EZ p=119); its Modbus row is UNSEEN.
    ...rows('ao', 'input', 'word', [['aoStatus', 4]]),
  ],
  '45MR-6600': temperature('rtd', 6),
  // M-38 page-82, complete; matches OMNI.
  '45MR-6810': temperature('tc', 8),
  // OMNI, holding only.
  '45MR-7210': [
    ...rows('sp', 'holding', 'word', [['spStatus', 1]]),
    ...rows('sp', 'holding', 'float', [['spLowerLimitValue', 1], ['spUpperLimitValue', 1]]),
    ...rows('sp', 'holding', 'word', [['fpStatus', 1]]),
  ],
  '45MR-7820': [],
};

export function moduleTable(model: string): readonly ParameterRow[] {
  return MODULE_TABLES[model.endsWith('-T') ? model.slice(0, -2) : model] ?? [];
}

export function registersOf(row: { type: PointType; count: number; all?: boolean }): number {
  if (row.all) return 1;
  return row.type === 'dword' || row.type === 'float' ? row.count * 2 : row.count;
}
