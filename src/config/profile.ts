/**
 * The profile document: the device spec (identity, rail, internal registers) plus service
 * sections and DO→DI wiring. Structure first (zod), then cross-field rules, reporting every
 * problem at once as `path: message`.
 */
import { z } from 'zod';
import type { Channel } from '../device/channel.js';
import type { Device } from '../device/device.js';
import { deviceSpecSchema } from '../device/schema.js';
import { checkDeviceSpec, defaultModuleNames, channelLayout } from '../device/spec-check.js';
import { CHANNEL_PREFIX, findModel } from '../device/catalog.js';
import { httpSchema, modbusSchema, mqttSchema, serialSchema, wireSchema } from './sections.js';

const profileShape = z.strictObject({
  ...deviceSpecSchema.shape,
  modbus: modbusSchema.default(() => modbusSchema.parse({})),
  http: httpSchema.default(() => httpSchema.parse({})),
  mqtt: mqttSchema.default(() => mqttSchema.parse({})),
  serial: serialSchema.default(() => serialSchema.parse({})),
  wiring: z.array(wireSchema).default([]),
});

export const profileSchema = profileShape.superRefine((profile, ctx) => {
  for (const issue of checkDeviceSpec(profile)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  checkWiring(profile, ctx);
  checkRtuProfiles(profile, ctx);
});

export type Profile = z.infer<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;

/** Resolves "slot/index" or an ioName in a device. */
export function resolveChannelRef(device: Device, ref: string): Channel | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(ref);
  if (m) return device.modules.find((mod) => mod.slot === Number(m[1]))?.channel(Number(m[2]));
  return device.findIoName(ref);
}

/**
 * The type and "slot/index" of the channel a wiring reference names, worked out from the profile
 * alone; the slot/index key lets two spellings of one channel be recognised as the same.
 */
function refType(profile: z.infer<typeof profileShape>, ref: string): { type: string; key: string } | undefined {
  const names = defaultModuleNames(profile.slots);
  const sorted = [...profile.slots].sort((a, b) => a.slot - b.slot);
  for (const [i, slot] of sorted.entries()) {
    const model = findModel(slot.module);
    if (!model) continue;
    const perType = new Map<string, number>();
    for (const [index, { group }] of channelLayout(model.groups).entries()) {
      const n = perType.get(group.type) ?? 0;
      perType.set(group.type, n + 1);
      const name = slot.channels.find((c) => c.index === index)?.name ?? `${CHANNEL_PREFIX[group.type]}-${String(n).padStart(2, '0')}`;
      if (ref === `${slot.slot}/${index}` || ref === `${names[i]}@${name}`) return { type: group.type, key: `${slot.slot}/${index}` };
    }
  }
  return undefined;
}

function checkWiring(profile: z.infer<typeof profileShape>, ctx: z.RefinementCtx): void {
  const driven = new Set<string>();
  profile.wiring.forEach((wire, i) => {
    const from = refType(profile, wire.from)?.type;
    const target = refType(profile, wire.to);
    const to = target?.type;
    if (from !== 'do' && from !== 'relay') {
      ctx.addIssue({ code: 'custom', path: ['wiring', i, 'from'], message: from ? `must name a DO or relay, not a ${from.toUpperCase()}` : `no channel ${wire.from}` });
    }
    if (to !== 'di') ctx.addIssue({ code: 'custom', path: ['wiring', i, 'to'], message: to ? `must name a DI, not a ${to.toUpperCase()}` : `no channel ${wire.to}` });
    // Keyed by slot/index, so "1/5" and "45MR-1600-0@DI-05" count as the same DI.
    const key = target?.key ?? wire.to;
    if (driven.has(key)) ctx.addIssue({ code: 'custom', path: ['wiring', i, 'to'], message: `${wire.to} is already driven by another wire` });
    driven.add(key);
    const [slot, index] = key.split('/').map(Number);
    if (profile.slots.find((s) => s.slot === slot)?.channels.find((c) => c.index === index)?.signal) {
      ctx.addIssue({ code: 'custom', path: ['wiring', i, 'to'], message: `${wire.to} already has a signal; a DI is driven by a wire or a signal, not both` });
    }
  });
}

function checkRtuProfiles(profile: z.infer<typeof profileShape>, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  profile.serial.profiles.forEach((p, i) => {
    if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['serial', 'profiles', i, 'name'], message: `profile name ${p.name} is used twice` });
    names.add(p.name);
    const registerType = p.pointType === 3 || p.pointType === 4;
    if (registerType && p.length > 125) ctx.addIssue({ code: 'custom', path: ['serial', 'profiles', i, 'length'], message: 'registers: 1..125 (M-EZ p=51)' });
  });
}
