/**
 * The device as a tester sees it: the snapshot, one channel, field-side writes (what the world
 * outside the device does), northbound-style attribute writes and the internal registers.
 * Every change goes through the Device's channels with source "sim", so adapters hear of it.
 */
import type { Channel } from '../device/channel.js';
import type { ChannelSnapshot, Device, DeviceSnapshot } from '../device/device.js';
import { writeField } from '../device/field-write.js';
import { IrChannel } from '../device/internal-registers.js';
import { IR_TYPES } from '../device/schema.js';
import { SimError } from '../errors.js';
import { atPath } from './errors.js';
import type { SignalControl } from '../sim/contract.js';
import { route, type Route } from './route.js';
import {
  attributeParams,
  channelParams,
  channelSnapshotSchema,
  deviceSnapshotSchema,
  fieldWriteSchema,
  irEntrySchema,
  irParams,
  valueBodySchema,
} from './schemas.js';

/** The body of GET /sim/v1/device: the device's snapshot with each channel's signal (also inlined in the web UI's page, static.ts). */
export function deviceSnapshot(device: Device, signals: SignalControl): DeviceSnapshot {
  const whole = device.snapshot();
  for (const slot of whole.slots) {
    if (slot.slot === 0) continue;
    const module = device.module(slot.slot);
    for (const ch of slot.channels) {
      const channel = module.channel(ch.index);
      ch.signal = (channel && signals.get(channel)) ?? null;
    }
  }
  return whole;
}

export function channelRoutes({ device, signals }: { device: Device; signals: SignalControl }): Route[] {
  const snapshotChannel = (channel: Channel): ChannelSnapshot => ({
    ...device.snapshotChannel(channel),
    signal: signals.get(channel) ?? null,
  });
  const snapshot = (): DeviceSnapshot => deviceSnapshot(device, signals);
  const irEntry = (ir: IrChannel) => ({ type: ir.irType, index: ir.index, ioName: ir.ioName, value: ir.read('irValue') });
  const findIr = (ioName: string): IrChannel => {
    const channel = device.findIoName(ioName);
    if (!(channel instanceof IrChannel)) {
      throw new SimError('HTTP_NOT_FOUND', `no internal register ${ioName}; names run BIR-00, WIR-00, DIR-00, FIR-00 upwards`, {
        context: { path: 'ioName' },
      });
    }
    return channel;
  };

  return [
    route({
      method: 'get',
      path: '/device',
      summary: 'The whole device: head unit (slot 0), modules, channels with their field side and signals.',
      response: deviceSnapshotSchema,
      handle: () => snapshot(),
    }),
    route({
      method: 'get',
      path: '/slots/:slot/channels/:index',
      summary: 'One channel.',
      params: channelParams,
      response: channelSnapshotSchema,
      handle: ({ params }) => snapshotChannel(device.channel(params.slot, params.index)),
    }),
    route({
      method: 'put',
      path: '/slots/:slot/channels/:index',
      summary: 'Field-side write: a DI level, an AI input, burnout, a temperature, power, an AO fault, or a signal generator.',
      description: 'Exactly one kind of input per request: field values (several of one channel type may combine) or `signal`. A field write detaches a running signal.',
      params: channelParams,
      body: fieldWriteSchema,
      response: channelSnapshotSchema,
      errors: [409],
      handle: ({ params, body }) => {
        const channel = device.channel(params.slot, params.index);
        if (body.signal === null) signals.detach(channel);
        else if (body.signal !== undefined) {
          const spec = body.signal;
          atPath('signal', () => signals.attach(channel, spec));
        } else {
          // A tester's write takes over from a running signal, which would overwrite it at its next step.
          writeField(channel, body, { source: 'sim', signals });
        }
        return snapshotChannel(channel);
      },
    }),
    route({
      method: 'put',
      path: '/slots/:slot/channels/:index/attributes/:attribute',
      summary: 'Northbound-style attribute write (reset min/max, preset a counter, switch a DO), as Modbus or REST would.',
      params: attributeParams,
      body: valueBodySchema,
      response: channelSnapshotSchema,
      errors: [409],
      handle: ({ params, body }) => {
        const channel = device.channel(params.slot, params.index);
        atPath('value', () => channel.write(params.attribute, body.value, 'sim'), ['DEVICE_VALUE_OUT_OF_RANGE']);
        return snapshotChannel(channel);
      },
    }),
    route({
      method: 'get',
      path: '/internal-registers',
      summary: 'Every internal register with its value.',
      response: irEntrySchema.array(),
      handle: () => IR_TYPES.flatMap((type) => device.internalRegisters[type].map(irEntry)),
    }),
    route({
      method: 'get',
      path: '/internal-registers/:ioName',
      summary: 'One internal register with its value (BIR-00, WIR-00, DIR-00, FIR-00 ...).',
      params: irParams,
      response: irEntrySchema,
      handle: ({ params }) => irEntry(findIr(params.ioName)),
    }),
    route({
      method: 'put',
      path: '/internal-registers/:ioName',
      summary: 'Writes an internal register (irValue).',
      params: irParams,
      body: valueBodySchema,
      response: irEntrySchema,
      handle: ({ params, body }) => {
        const ir = findIr(params.ioName);
        atPath('value', () => ir.write('irValue', body.value, 'sim'), ['DEVICE_VALUE_OUT_OF_RANGE']);
        return irEntry(ir);
      },
    }),
  ];
}
