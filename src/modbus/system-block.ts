/**
 * The head unit's block (slot 0), M-EZ p=106-107: internal registers, the watchdog flag, the
 * RTU master's status words and the device's identity, in the manual's order.
 */
import type { Device } from '../device/device.js';
import { attributePoint, bytePoints, constantPoint, textPoints, type Point } from './points.js';
import type { PointTable, PointType } from './tables.js';

export interface BlockEntry {
  parameter: string;
  type: PointType;
  table: PointTable;
  /** One point per value; a DWORD/REAL point takes two registers. */
  points: Point[];
  /** The ioName each point belongs to (a channel, an IR, the module for bitmaps, or "system"). */
  ioNames: string[];
}

/** The manual's IR blocks are 48 long each (M-EZ p=106); IRs beyond the quantity read 0, read-only. */
const IR_BLOCK = 48;

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export function systemBlock(device: Device): BlockEntry[] {
  const id = device.identity;
  const date = () => new Date(device.clock.now());
  const irs = (type: 'bool' | 'word' | 'dword' | 'float') => Array.from({ length: IR_BLOCK }, (_, i) => device.internalRegisters[type][i]);
  const irPoints = (type: 'bool' | 'word' | 'dword' | 'float', pointType: PointType): Point[] => {
    // The WORD and DWORD internal registers are signed (M-EZ p=120); the map's `signed` column says so.
    const signed = type === 'word' || type === 'dword';
    return irs(type).map((ir) => (ir ? attributePoint(ir, 'irValue', pointType, signed) : constantPoint(pointType, () => 0, signed)));
  };
  const entry = (table: PointTable, parameter: string, type: PointType, points: Point[], irType?: 'bool' | 'word' | 'dword' | 'float'): BlockEntry => ({
    table,
    parameter,
    type,
    points,
    ioNames: irType ? irs(irType).map((ir, i) => ir?.ioName ?? `unused-${i}`) : points.map(() => 'system'),
  });
  return [
    entry('coil', 'boolInternalRegister', 'bit', irPoints('bool', 'bit'), 'bool'),
    entry('discrete', 'watchdogAlarmFlag', 'bit', [attributePoint(device.head, 'watchdogAlarmFlag', 'bit')]),
    entry('holding', 'wirValue', 'word', irPoints('word', 'word'), 'word'),
    entry('holding', 'dirValue', 'dword', irPoints('dword', 'dword'), 'dword'),
    entry('holding', 'firValue', 'float', irPoints('float', 'float'), 'float'),
    entry('input', 'modbusRtuMasterDeviceStatus', 'word', device.head.rtuDeviceStatus.map((_, i) => constantPoint('word', () => device.head.rtuDeviceStatus[i] ?? 0))),
    entry('input', 'modbusRtuMasterprofileErrorCode', 'word', device.head.rtuProfileErrorCode.map((_, i) => constantPoint('word', () => device.head.rtuProfileErrorCode[i] ?? 0))),
    entry('input', 'deviceName', 'word', textPoints(() => id.name, 8)),
    entry('input', 'deviceDate', 'dword', [constantPoint('dword', () => { const d = date(); return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate(); })]),
    entry('input', 'deviceTime', 'dword', [constantPoint('dword', () => { const d = date(); return Number(`${d.getUTCHours()}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`); })]),
    entry('input', 'deviceUpTime', 'dword', [constantPoint('dword', () => device.uptimeSeconds())]),
    entry('input', 'firmwareVersion', 'word', textPoints(() => id.firmwareVersion, 4)),
    entry('input', 'firmwareBuildDate', 'word', textPoints(() => id.firmwareBuildDate, 4)),
    entry('input', 'serialNumber', 'word', textPoints(() => id.serialNumber, 6)),
    entry('input', 'lanMac', 'word', bytePoints(() => id.mac.split(':').map((h) => parseInt(h, 16)), 4)),
    entry('input', 'lanIp', 'word', bytePoints(() => id.ip.split('.').map(Number), 2)),
    entry('input', 'systemError', 'word', [attributePoint(device.head, 'systemError', 'word')]),
  ];
}
