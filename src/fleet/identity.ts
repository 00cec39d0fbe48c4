/**
 * Each fleet device's identity from the profile's and the `fleet.identity` templates: every device
 * distinct on the wire by default (name, serial number, MAC and so the SNMP engine id, IP, and so
 * the MQTT client id `{name}_{serialNumber}`), as devices sharing one profile knocked each other
 * off the broker before (issue #16).
 */
import type { Profile } from '../config/profile.js';
import type { Fleet } from '../config/fleet.js';
import { deviceIdentitySchema, type DeviceIdentity } from '../device/schema.js';
import { SimError } from '../errors.js';

/** `{index}`, `{index:03}` and `{name}` filled in; anything else in braces is refused by the caller's schema. */
export function expandTemplate(template: string, vars: { index: number; name: string }): string {
  return template.replace(/\{(index|name)(?::0(\d{1,2}))?\}/g, (_m, key: string, width: string | undefined) => {
    const value = key === 'index' ? String(vars.index) : vars.name;
    return width ? value.padStart(Number(width), '0') : value;
  });
}

function addToMac(mac: string, n: number): string {
  const value = BigInt(`0x${mac.replaceAll(':', '')}`) + BigInt(n);
  if (value >= 1n << 48n) throw new SimError('PROFILE_INVALID', `fleet.identity.mac: ${mac} + ${n} is past ff:ff:ff:ff:ff:ff`);
  return value.toString(16).padStart(12, '0').replace(/(..)(?!$)/g, '$1:');
}

/**
 * The profile's /24 and on, host numbers 1..254 only (no network or broadcast address): device 0
 * is a.b.c.1, device 253 a.b.c.254, device 254 a.b.(c+1).1.
 */
function ipOf(ip: string, index: number): string {
  const [a, b, c] = ip.split('.').map(Number) as [number, number, number];
  const net = (a * 256 + b) * 256 + c + Math.floor(index / 254);
  if (net > 0xffffff) throw new SimError('PROFILE_INVALID', `fleet.identity.ip: no default address for device ${index} from ${ip}; give a template`);
  return `${Math.floor(net / 65_536)}.${Math.floor(net / 256) % 256}.${net % 256}.${(index % 254) + 1}`;
}

/** `{name}-{index:03}`, the name cut short where the index needs the room (16 characters on the device). */
function defaultName(name: string, index: number): string {
  const suffix = `-${String(index).padStart(3, '0')}`;
  return `${name.slice(0, 16 - suffix.length)}${suffix}`;
}

export interface FleetIdentity {
  device: DeviceIdentity;
  /** null: the device's default client id (`{name}_{serialNumber}`). */
  mqttClientId: string | null;
}

/** Device `index`'s identity; a template that makes an invalid identity is a PROFILE_INVALID naming the field and the index. */
export function identityAt(profile: Profile, fleet: Fleet, index: number): FleetIdentity {
  const base = profile.device;
  const t = fleet.identity;
  const vars = { index, name: base.name };
  const candidate = {
    ...base,
    name: t.name ? expandTemplate(t.name, vars) : defaultName(base.name, index),
    serialNumber: t.serialNumber ? expandTemplate(t.serialNumber, vars) : `${base.serialNumber.slice(0, 7)}${String(index).padStart(5, '0')}`,
    mac: t.mac ? expandTemplate(t.mac, vars) : addToMac(base.mac, index),
    ip: t.ip ? expandTemplate(t.ip, vars) : ipOf(base.ip, index),
  };
  const parsed = deviceIdentitySchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    throw new SimError('PROFILE_INVALID', `fleet.identity.${field}: device ${index} would be "${String(candidate[field as keyof typeof candidate])}": ${issue.message}`, {
      context: { path: `fleet.identity.${field}`, index },
    });
  }
  return { device: parsed.data, mqttClientId: t.mqttClientId ? expandTemplate(t.mqttClientId, { index, name: parsed.data.name }) : null };
}
