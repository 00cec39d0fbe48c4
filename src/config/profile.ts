/**
 * The profile document: the device spec (identity, rail, internal registers) plus service
 * sections and DO→DI wiring. Structure first (zod), then cross-field rules, reporting every
 * problem at once as `path: message`.
 */
import * as z from 'zod';
import type { Channel } from '../device/channel.js';
import type { Device } from '../device/device.js';
import { deviceSpecSchema, type IrType } from '../device/schema.js';
import { checkDeviceSpec, defaultModuleNames, channelLayout } from '../device/spec-check.js';
import { CHANNEL_PREFIX, findModel } from '../device/catalog.js';
import { fleetSchema } from './fleet.js';
import { limitsSchema } from './limits.js';
import { httpSchema, modbusSchema, mqttSchema, rtuIrCount, serialSchema, snmpSchema, wireSchema } from './sections.js';

const profileShape = z.strictObject({
  ...deviceSpecSchema.shape,
  modbus: modbusSchema.default(() => modbusSchema.parse({})),
  http: httpSchema.default(() => httpSchema.parse({})),
  mqtt: mqttSchema.default(() => mqttSchema.parse({})),
  serial: serialSchema.default(() => serialSchema.parse({})),
  snmp: snmpSchema.default(() => snmpSchema.parse({})),
  wiring: z.array(wireSchema).default([]),
  /** Bounds on what one client can make the emulator hold or do (src/config/limits.ts, docs/security.md). */
  limits: limitsSchema.prefault({}),
  /** Many devices from this profile (`iothinx-sim fleet`, src/config/fleet.ts); ignored by `start`. */
  fleet: fleetSchema.optional(),
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
  const serial = profile.serial;
  const quantities = profile.internalRegisters.quantities;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: ['serial', ...path], message });
  const names = new Set<string>();
  /** IR ranges taken so far, per type, to find overlaps between profiles and exception IRs. */
  const taken: { type: IrType; from: number; to: number; owner: string }[] = [];
  const claim = (type: IrType, from: number, count: number, owner: string, path: (string | number)[]) => {
    const to = from + count - 1;
    if (to >= quantities[type]) {
      issue(path, `${type} IRs ${from}..${to} do not exist: internalRegisters.quantities.${type} is ${quantities[type]}`);
      return;
    }
    const clash = taken.find((t) => t.type === type && t.from <= to && from <= t.to);
    if (clash) issue(path, `${type} IRs ${from}..${to} overlap ${clash.owner} (${clash.from}..${clash.to})`);
    taken.push({ type, from, to, owner });
  };
  serial.profiles.forEach((p, i) => {
    if (names.has(p.name)) issue(['profiles', i, 'name'], `profile name ${p.name} is used twice`);
    names.add(p.name);
    const bits = p.pointType === 1 || p.pointType === 2;
    if (!bits && p.length > 125) issue(['profiles', i, 'length'], 'registers: 1..125 (M-EZ p=51)');
    if (p.startAddress + p.length > 65_536) issue(['profiles', i, 'length'], `${p.startAddress}+${p.length} runs past address 65535`);
    if (bits !== (p.irType === 'bool')) {
      issue(['profiles', i, 'irType'], bits ? 'coils and input status fill BOOL IRs: use irType bool' : 'registers fill WORD, DWORD or FLOAT IRs, not bool');
      return;
    }
    if ((p.irType === 'dword' || p.irType === 'float') && p.length % 2 !== 0) issue(['profiles', i, 'length'], `a ${p.irType} takes two registers: use an even length`);
    if (p.swap === 'byte' && p.irType !== 'word') issue(['profiles', i, 'swap'], 'byte swap applies to WORD IRs; DWORD and FLOAT swap words');
    if (p.swap === 'word' && p.irType !== 'dword' && p.irType !== 'float') issue(['profiles', i, 'swap'], 'word swap applies to DWORD and FLOAT IRs; WORD swaps bytes');
    claim(p.irType, p.irStart, rtuIrCount(p), `profile ${p.name}`, ['profiles', i, 'irStart']);
  });
  serial.profiles.forEach((p, i) => {
    if (p.exceptionIr !== null) claim('word', p.exceptionIr, 1, `the exception IR of ${p.name}`, ['profiles', i, 'exceptionIr']);
  });
  const onBus = serial.fieldDevices.filter((d) => d.port === null);
  const deviceNames = new Set<string>();
  serial.fieldDevices.forEach((d, i) => {
    if (deviceNames.has(d.name)) issue(['fieldDevices', i, 'name'], `field device name ${d.name} is used twice`);
    deviceNames.add(d.name);
    if (d.port === null && !serial.port?.startsWith('virtual:')) issue(['fieldDevices', i, 'port'], 'a field device on the in-process bus needs serial.port virtual:NAME (or give it a port of its own)');
    if (d.port !== null && d.port === serial.port) issue(['fieldDevices', i, 'port'], 'the field device needs the other end of the pty pair, not the master\'s port');
  });
  if (serial.interface === 'rs232' && onBus.length > 1) issue(['fieldDevices'], 'RS-232 is point-to-point: one field device at most');
  if (serial.echo && serial.interface !== 'rs485-2w') issue(['echo'], 'echo applies to rs485-2w only: the other interfaces send and receive on separate wires');
}
