/**
 * /api/sysInfo and below (reference §3a). Each sub-path answers the object found at that place
 * in the whole, and the whole is wrapped in `sysInfo` as the ioLogik API does (ASSUMPTION,
 * docs/device-api.md):
 *
 *   /sysInfo                 {"sysInfo": {"device": D, "network": {"LAN": L}}}
 *   /sysInfo/device          D = {deviceName, modelName, deviceLocalTime, deviceUpTime,
 *                                 firmwareVersion, serialNumber, systemError}
 *   /sysInfo/network         {"LAN": L}
 *   /sysInfo/network/LAN     L = {lanMac, lanIp}   (the 4510 has one IP for its two ports)
 *   /sysInfo/network/LAN/1   L
 */
import { formatLocalTime, formatUpTime } from '../../device/time-format.js';
import { HEAD_MODEL, type Device } from '../../device/device.js';
import type { Resource } from './resource.js';

function deviceInfo(device: Device) {
  return {
    deviceName: device.identity.name,
    modelName: HEAD_MODEL,
    deviceLocalTime: formatLocalTime(device.clock.now()),
    deviceUpTime: formatUpTime(device.uptimeSeconds()),
    firmwareVersion: device.identity.firmwareVersion,
    serialNumber: device.identity.serialNumber,
    systemError: device.head.read('systemError'),
  };
}

function lanInfo(device: Device) {
  return { lanMac: device.identity.mac, lanIp: device.identity.ip };
}

const readOnly = (get: () => unknown): Resource => ({ methods: ['GET'], get });

/** The resource at /sysInfo/{rest...}, or undefined if there is none. */
export function sysInfoResource(device: Device, rest: readonly string[]): Resource | undefined {
  switch (rest.join('/')) {
    case '':
      return readOnly(() => ({ sysInfo: { device: deviceInfo(device), network: { LAN: lanInfo(device) } } }));
    case 'device':
      return readOnly(() => deviceInfo(device));
    case 'network':
      return readOnly(() => ({ LAN: lanInfo(device) }));
    case 'network/LAN':
    case 'network/LAN/1':
      return readOnly(() => lanInfo(device));
    default:
      return undefined;
  }
}
