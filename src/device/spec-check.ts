/**
 * Cross-field rules of a device spec that zod's structure cannot express: the rail, the catalog,
 * which settings apply to which channel. Returns every problem at once, each with the path of
 * the field it concerns, so a profile author fixes them in one pass.
 */
import { CHANNEL_PREFIX, findModel, MODEL_NAMES, modeCode, type ChannelGroup, type ChannelType } from './catalog.js';
import { AI_RANGES } from './ai.js';
import { AO_RANGES } from './ao.js';
import { irValueSpec } from './internal-registers.js';
import type { ChannelConfig, DeviceSpec, SlotConfig } from './schema.js';
import { RTD_RANGES, TC_RANGES } from './temperature.js';

export interface SpecIssue {
  path: (string | number)[];
  message: string;
}

/** Which channel settings apply to which channel type. */
const APPLIES: Record<Exclude<keyof ChannelConfig, 'index' | 'name' | 'mode' | 'signal'>, readonly ChannelType[]> = {
  level: ['di'],
  filterMs: ['di'],
  counterValue: ['di'],
  counterRunning: ['di'],
  counterRetain: ['di'],
  status: ['do', 'relay'],
  pulse: ['do'],
  safeValue: ['do', 'relay'],
  totalCount: ['relay'],
  physical: ['ai'],
  burnoutThreshold: ['ai'],
  burnoutValueScaled: ['ai'],
  scaling: ['ai'],
  output: ['ao'],
  temperature: ['rtd', 'tc'],
  voltage: ['sp'],
  lowerLimit: ['sp'],
  upperLimit: ['sp'],
};
const SIGNAL_TYPES: readonly ChannelType[] = ['di', 'ai', 'rtd', 'tc', 'sp'];

/** Expands a model's channel groups into one entry per module-wide channel index. */
export function channelLayout(groups: readonly ChannelGroup[]): { group: ChannelGroup; typeIndex: number }[] {
  return groups.flatMap((group) => Array.from({ length: group.count }, (_, typeIndex) => ({ group, typeIndex })));
}

/** Resolves a channel's mode code, falling back to the model's default. */
export function resolveMode(group: ChannelGroup, mode: number | string | undefined): number | undefined {
  if (mode === undefined) return group.modes?.[0] ?? 0;
  return modeCode(group.type, mode);
}

export function defaultModuleNames(slots: readonly SlotConfig[]): string[] {
  const perModel = new Map<string, number>();
  return [...slots]
    .sort((a, b) => a.slot - b.slot)
    .map((s) => {
      const n = perModel.get(s.module) ?? 0;
      perModel.set(s.module, n + 1);
      return s.name ?? `${s.module}-${n}`;
    });
}

export function checkDeviceSpec(spec: DeviceSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  // Sorting keeps each entry's own index, so a repeated slot number is reported at the repeat.
  const sorted = spec.slots.map((s, at) => ({ slot: s.slot, at })).sort((a, b) => a.slot - b.slot);
  sorted.forEach(({ slot, at }, i) => {
    if (slot !== i + 1) {
      issues.push({ path: ['slots', at, 'slot'], message: `slots must be numbered 1..${sorted.length} without gaps or repeats (a rail has no empty slots); found ${slot}` });
    }
  });
  const moduleNames = new Map<string, number>();
  const names = defaultModuleNames(spec.slots);
  const order = [...spec.slots].sort((a, b) => a.slot - b.slot);
  order.forEach((s, i) => {
    const at = spec.slots.indexOf(s);
    const name = names[i] as string;
    if (moduleNames.has(name)) issues.push({ path: ['slots', at, 'name'], message: `module name ${name} is already used by slot ${moduleNames.get(name)}` });
    moduleNames.set(name, s.slot);
    checkSlot(s, at, issues);
  });
  checkInternalRegisters(spec, issues);
  return issues;
}

function checkSlot(slot: SlotConfig, at: number, issues: SpecIssue[]): void {
  const model = findModel(slot.module);
  if (!model) {
    issues.push({ path: ['slots', at, 'module'], message: `unknown module ${slot.module}; known: ${MODEL_NAMES.join(', ')}` });
    return;
  }
  const layout = channelLayout(model.groups);
  const seenIndex = new Set<number>();
  const seenName = new Map<string, number>();
  // Default names of the channels the profile does not rename: a custom name must not repeat one.
  const defaultOwner = new Map<string, number>();
  const perType = new Map<ChannelType, number>();
  layout.forEach(({ group }, index) => {
    const n = perType.get(group.type) ?? 0;
    perType.set(group.type, n + 1);
    if (!slot.channels.some((c) => c.index === index && c.name !== undefined)) {
      defaultOwner.set(`${CHANNEL_PREFIX[group.type]}-${String(n).padStart(2, '0')}`, index);
    }
  });
  slot.channels.forEach((ch, ci) => {
    const path = (...rest: (string | number)[]) => ['slots', at, 'channels', ci, ...rest];
    const entry = layout[ch.index];
    if (!entry) {
      issues.push({ path: path('index'), message: `${slot.module} has channels 0..${layout.length - 1}; there is no channel ${ch.index}` });
      return;
    }
    if (seenIndex.has(ch.index)) issues.push({ path: path('index'), message: `channel ${ch.index} is configured twice` });
    seenIndex.add(ch.index);
    if (ch.name !== undefined) {
      const owner = seenName.get(ch.name) ?? defaultOwner.get(ch.name);
      if (owner !== undefined) issues.push({ path: path('name'), message: `channel name ${ch.name} is already used by channel ${owner} of this module` });
      seenName.set(ch.name, ch.index);
    }
    checkChannel(ch, entry.group, entry.typeIndex, path, issues);
  });
}

function checkChannel(
  ch: ChannelConfig,
  group: ChannelGroup,
  typeIndex: number,
  path: (...rest: (string | number)[]) => (string | number)[],
  issues: SpecIssue[],
): void {
  const type = group.type;
  for (const key of Object.keys(APPLIES) as (keyof typeof APPLIES)[]) {
    if (ch[key] !== undefined && !APPLIES[key].includes(type)) {
      issues.push({ path: path(key), message: `${key} does not apply to a ${type.toUpperCase()} channel` });
    }
  }
  if (ch.signal !== undefined && !SIGNAL_TYPES.includes(type)) {
    issues.push({ path: path('signal'), message: `a signal drives inputs only (DI, AI, RTD, TC, power); this is a ${type.toUpperCase()} channel` });
  }
  const mode = resolveMode(group, ch.mode);
  if (mode === undefined || (group.modes && !group.modes.includes(mode)) || (!group.modes && ch.mode !== undefined && !['di', 'do'].includes(type))) {
    issues.push({ path: path('mode'), message: `mode ${String(ch.mode)} is not allowed here; allowed: ${allowedModes(group)}` });
    return;
  }
  if (type === 'di') {
    const counterCapable = typeIndex < (group.counterChannels ?? 0);
    if (mode === 1 && !counterCapable) issues.push({ path: path('mode'), message: `only DI channels 0..${(group.counterChannels ?? 0) - 1} of this module can be counters` });
    for (const key of ['counterValue', 'counterRunning', 'counterRetain'] as const) {
      if (ch[key] !== undefined && !counterCapable) issues.push({ path: path(key), message: `${key} applies only to counter-capable channels` });
    }
  }
  if (type === 'do') {
    const pulseCapable = typeIndex < (group.pulseChannels ?? 0);
    if (mode === 1 && !pulseCapable) issues.push({ path: path('mode'), message: `only DO channels 0..${(group.pulseChannels ?? 0) - 1} of this module can pulse` });
    if (ch.pulse !== undefined && !pulseCapable) issues.push({ path: path('pulse'), message: 'pulse applies only to pulse-capable channels' });
    if (mode === 1 && ch.status !== undefined) issues.push({ path: path('status'), message: 'a DO in pulse mode has no initial status; the pulse train drives it' });
  }
  if (type === 'ai') checkAi(ch, mode, path, issues);
  if (type === 'ao' && ch.output !== undefined) {
    const range = AO_RANGES[mode];
    if (range && (ch.output < range.lo || ch.output > range.hi)) {
      issues.push({ path: path('output'), message: `must be within ${range.lo}..${range.hi} ${range.unit} for this mode` });
    }
  }
  if ((type === 'rtd' || type === 'tc') && ch.temperature !== undefined) {
    const range = (type === 'rtd' ? RTD_RANGES : TC_RANGES)[mode];
    if (range && (ch.temperature < range.lo || ch.temperature > range.hi)) {
      issues.push({ path: path('temperature'), message: `must be within ${range.lo}..${range.hi} ${range.unit} for this sensor type` });
    }
  }
}

function checkAi(ch: ChannelConfig, mode: number, path: (...rest: (string | number)[]) => (string | number)[], issues: SpecIssue[]): void {
  const range = AI_RANGES[mode];
  if (ch.burnoutThreshold !== undefined && mode !== 3) issues.push({ path: path('burnoutThreshold'), message: 'applies only in mode 3 (4-20mA-burnout)' });
  if (ch.scaling && range) {
    ch.scaling.measured.forEach((m, i) => {
      if (m < range.lo || m > range.hi) issues.push({ path: path('scaling', 'measured', i), message: `must be within ${range.lo}..${range.hi} ${range.unit} for this mode` });
    });
  }
  if (ch.physical !== undefined && Math.abs(ch.physical) > 100) issues.push({ path: path('physical'), message: 'must be within ±100' });
}

function allowedModes(group: ChannelGroup): string {
  if (group.type === 'di') return 'di (0), counter (1)';
  if (group.type === 'do') return 'do (0), pulse (1)';
  if (!group.modes) return 'none (this channel type has no mode)';
  return group.modes.join(', ');
}

function checkInternalRegisters(spec: DeviceSpec, issues: SpecIssue[]): void {
  const q = spec.internalRegisters.quantities;
  spec.internalRegisters.initial.forEach((ir, i) => {
    if (ir.index >= q[ir.type]) issues.push({ path: ['internalRegisters', 'initial', i, 'index'], message: `there are ${q[ir.type]} ${ir.type} registers (0..${q[ir.type] - 1})` });
    const value = irValueSpec(ir.type);
    const integral = value.kind !== 'float';
    if ((integral && !Number.isInteger(ir.value)) || ir.value < value.min || ir.value > value.max) {
      issues.push({ path: ['internalRegisters', 'initial', i, 'value'], message: `a ${ir.type} register holds ${integral ? 'integers' : 'numbers'} in ${value.min}..${value.max}` });
    }
  });
}
