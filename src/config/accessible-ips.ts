/**
 * The accessible-IP list, modelled on Moxa's MGate (reference §6, ASSUMPTION for the 4510):
 * rows of IP + netmask + active and a global switch; a client is allowed when
 * (client & mask) == (ip & mask) for any active row, and everyone is allowed when the list is
 * off. Only IPv4 rows exist, so an IPv6 client is refused while the list is on (an IPv4-mapped
 * address such as ::ffff:127.0.0.2 counts as IPv4). Lives in config because it is a rule over
 * config data that two adapters apply: Modbus/TCP always, HTTP with "additional restrictions".
 */
export interface AccessibleIpEntry {
  ip: string;
  netmask: string;
  active: boolean;
}

export interface AccessibleIps {
  enabled: boolean;
  additionalRestrictions: boolean;
  entries: readonly AccessibleIpEntry[];
}

function ipv4(address: string): number | undefined {
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  const parts = plain.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value >>> 0;
}

export function isAllowed(list: AccessibleIps, address: string | undefined): boolean {
  if (!list.enabled) return true;
  const client = address === undefined ? undefined : ipv4(address);
  if (client === undefined) return false;
  return list.entries.some((entry) => {
    if (!entry.active) return false;
    const ip = ipv4(entry.ip);
    const mask = ipv4(entry.netmask);
    if (ip === undefined || mask === undefined) return false;
    return ((client & mask) >>> 0) === ((ip & mask) >>> 0);
  });
}

/** The HTTP (and later SNMP) guard: only with Moxa's "apply additional restrictions" on. */
export function isAllowedForServices(list: AccessibleIps, address: string | undefined): boolean {
  return !(list.enabled && list.additionalRestrictions) || isAllowed(list, address);
}
