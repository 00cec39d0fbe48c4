/**
 * /api/io/{type}/{ioName}[/{attribute}] (reference §3a). The channel is found by its ioName
 * (`moduleName@channelName`, or `BIR-00` / `WIR-00` / `DIR-00` / `FIR-00` for the internal
 * registers) and must be of the type the path names; every read and write goes through the
 * Device's channel, writes with source `rest`.
 *
 *   GET /io/di/45MR-1600-0@DI-00                  {"diMode":1,"diStatus":0,"diCounterValue":3,...}
 *   GET /io/di/45MR-1600-0@DI-00/diCounterValue   {"value":3}
 *   PUT /io/di/45MR-1600-0@DI-00/diCounterValue   {"value":0} ─► {"value":0} (read back)
 */
import { CHANNEL_TYPES } from '../../device/catalog.js';
import type { Channel } from '../../device/channel.js';
import type { Device } from '../../device/device.js';
import { DacCode, DacError } from './errors.js';
import type { Resource } from './resource.js';

export const IO_TYPES: readonly string[] = [...CHANNEL_TYPES, 'ir'];

function findChannel(device: Device, type: string, ioName: string): Channel {
  if (!IO_TYPES.includes(type)) {
    throw new DacError(DacCode.NotFound, `unknown I/O type ${type}; the types are ${IO_TYPES.join(', ')}`);
  }
  const channel = device.findIoName(ioName);
  if (!channel) {
    const hint = type === 'ir' ? 'internal registers are BIR-00, WIR-00, DIR-00, FIR-00 ...' : 'an ioName is moduleName@channelName, e.g. 45MR-1600-0@DI-00';
    throw new DacError(DacCode.NotFound, `no channel named ${ioName} (${hint})`);
  }
  if (channel.type !== type) {
    throw new DacError(DacCode.NotFound, `${ioName} is a ${channel.type} channel, not ${type}; its path is /api/io/${channel.type}/${ioName}`);
  }
  // A removed module's channels are not there; a failed one's do not answer (ASSUMPTION, docs/device-api.md).
  const refusal = device.unavailable(channel);
  if (refusal) throw new DacError(refusal.code === 'DEVICE_MODULE_REMOVED' ? DacCode.NotFound : DacCode.InternalError, refusal.message);
  return channel;
}

function attributeResource(channel: Channel, attribute: string): Resource {
  if (!channel.hasAttribute(attribute)) {
    const known = channel.attributes.map((a) => a.name).join(', ');
    throw new DacError(DacCode.NotFound, `${channel.ioName} has no attribute ${attribute}; it has ${known}`);
  }
  const get = () => ({ value: channel.read(attribute) });
  if (channel.spec(attribute).access !== 'rw') return { methods: ['GET'], get };
  return {
    methods: ['GET', 'PUT'],
    get,
    put: (value) => {
      channel.write(attribute, value, 'rest');
      return get();
    },
  };
}

/** The resource at /io/{rest...}; throws NotFound when there is none. */
export function ioResource(device: Device, rest: readonly string[]): Resource {
  const [type, ioName, attribute] = rest;
  if (type === undefined || ioName === undefined || rest.length > 3) {
    throw new DacError(DacCode.NotFound, 'the I/O paths are /api/io/{type}/{ioName} and /api/io/{type}/{ioName}/{attribute}');
  }
  const channel = findChannel(device, type, ioName);
  if (attribute === undefined) return { methods: ['GET'], get: () => channel.values() };
  return attributeResource(channel, attribute);
}
