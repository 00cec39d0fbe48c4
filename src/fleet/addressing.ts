/**
 * Where fleet device k (k = index - first) listens: a port per device from a base port per service
 * (the EdgeX simulator's way), or an address per device on the loopback range with the same ports
 * for all, as a plant's distinct IPs (binding ports under 1024 needs root or CAP_NET_BIND_SERVICE).
 */
import { DEVICE_HTTP_BASE, DEVICE_HTTP_PORT, type FleetAddressing } from '../config/fleet.js';
import { SimError } from '../errors.js';
import type { ListenAddress } from '../app/service.js';

export interface DeviceListen {
  http: ListenAddress | null;
  modbus: ListenAddress | null;
  snmp: ListenAddress | null;
}

/**
 * `fleetApi`: the fleet API listens, so a device's own HTTP listener is off unless the addressing
 * names its port (every device is served under /fleet/v1/devices/{name}/ instead: 1 000 devices
 * need not hold 1 000 HTTP listeners nobody asked for).
 */
export function listenAt(addressing: FleetAddressing, k: number, fleetApi = false): DeviceListen {
  if (addressing.mode === 'ports') {
    const at = (base: number | null, service: string): ListenAddress | null => {
      if (base === null) return null;
      // Base 0: every device on a port the OS picks (tests, CI).
      if (base === 0) return { host: addressing.host, port: 0 };
      if (base + k > 65_535 || base + k < 1) throw new SimError('PROFILE_INVALID', `fleet.addressing.base.${service}: device ${k + 1} would need port ${base + k}`, { context: { path: `fleet.addressing.base.${service}` } });
      return { host: addressing.host, port: base + k };
    };
    const http = addressing.base.http === undefined ? (fleetApi ? null : DEVICE_HTTP_BASE) : addressing.base.http;
    return { http: at(http, 'http'), modbus: at(addressing.base.modbus, 'modbus'), snmp: at(addressing.base.snmp, 'snmp') };
  }
  const [a, b, c, d] = addressing.first.split('.').map(Number) as [number, number, number, number];
  const value = ((b * 256 + c) * 256 + d) + k;
  if (a !== 127 || value > 0xffffff - 1 || value < 1) {
    throw new SimError('PROFILE_INVALID', `fleet.addressing.first: device ${k + 1} would be outside 127.0.0.0/8 (first ${addressing.first})`, { context: { path: 'fleet.addressing.first' } });
  }
  const host = `127.${Math.floor(value / 65_536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
  const at = (port: number | null): ListenAddress | null => (port === null ? null : { host, port });
  const http = addressing.ports.http === undefined ? (fleetApi ? null : DEVICE_HTTP_PORT) : addressing.ports.http;
  return { http: at(http), modbus: at(addressing.ports.modbus), snmp: at(addressing.ports.snmp) };
}
