/**
 * Fleet-wide operations a tester needs (#16 item 3): the same field input on many devices, a
 * fault on a selection, clearing faults. Each device goes through the same functions as its own
 * /sim/v1 route (writeField, checkTarget + the fault board), so signals detach and the journal
 * records it; the answer says per device what it did or the error its own route would give.
 *
 *   body (zod) ─► names → devices (an unknown name refuses the whole request, nothing applied)
 *             ─► per device: apply ─┬─ ok ─► {device, ok: true, result}
 *                                   └─ throws ─► {device, ok: false, error: {statusCode, code, ..., path}}
 */
import type { Logger } from 'pino';
import { writeField } from '../../device/field-write.js';
import { isSimError, SimError } from '../../errors.js';
import {
  fleetClearFaultsBodySchema,
  fleetFaultBodySchema,
  fleetFieldBodySchema,
  fleetOutcomeSchema,
  type DeviceOutcome,
  type DeviceSelection,
  type FleetControl,
  type FleetDeviceHandle,
  type FleetOutcome,
} from '../../fleet/contract.js';
import { toErrorBody } from '../errors.js';
import { checkTarget } from '../fault-routes.js';
import { route, type Route } from '../route.js';
import { unknownDevice } from './routes.js';

/** The devices a selection names, each once, in the order given; an unknown name is FLEET_DEVICE_UNKNOWN at `devices.N`. */
export function selectDevices<App>(control: FleetControl<App>, selection: DeviceSelection): FleetDeviceHandle<App>[] {
  if (selection === 'all') return control.handles();
  const seen = new Set<string>();
  const out: FleetDeviceHandle<App>[] = [];
  selection.forEach((name, i) => {
    if (seen.has(name)) return;
    seen.add(name);
    const handle = control.handle(name);
    if (!handle) throw unknownDevice(name, `devices.${i}`);
    out.push(handle);
  });
  return out;
}

/** Re-raises a device error with its field named as in the fleet body (`input.level`, `fault.slot`). */
function under<T>(prefix: string, fn: () => T, rename: Record<string, string> = {}): T {
  try {
    return fn();
  } catch (error) {
    if (!isSimError(error)) throw error;
    const own = typeof error.context.path === 'string' ? error.context.path : undefined;
    const path = rename[error.code] ?? (own === undefined ? undefined : `${prefix}.${own}`);
    if (path === undefined) throw error;
    throw new SimError(error.code, error.message, { cause: error.cause, context: { ...error.context, path } });
  }
}

function each<App>(handles: FleetDeviceHandle<App>[], logger: Logger, apply: (handle: FleetDeviceHandle<App>) => unknown): FleetOutcome {
  const results = handles.map((handle): DeviceOutcome => {
    try {
      return { device: handle.name, ok: true, result: apply(handle) };
    } catch (error) {
      const body = toErrorBody(error);
      if (body.statusCode >= 500) logger.error({ err: error, device: handle.name }, 'fleet operation failed on a device');
      return { device: handle.name, ok: false, error: body };
    }
  });
  const succeeded = results.filter((r) => r.ok).length;
  return { succeeded, failed: results.length - succeeded, results };
}

export function operationRoutes<App>(control: FleetControl<App>, logger: Logger): Route[] {
  return [
    route({
      method: 'put',
      path: '/field',
      summary: 'The same field-side input on one channel of many devices, as PUT /sim/v1/slots/{slot}/channels/{channel} on each (a running signal detaches).',
      description: 'Answers per device: `ok` with the channel, or the error its own route gives (unknown slot, an input the channel does not take ...). An unknown device name refuses the whole request.',
      body: fleetFieldBodySchema,
      response: fleetOutcomeSchema,
      handle: ({ body }) =>
        each(selectDevices(control, body.devices), logger, ({ device, signals }) => {
          const channel = under('input', () => device.channel(body.slot, body.channel), { DEVICE_UNKNOWN_SLOT: 'slot', DEVICE_UNKNOWN_CHANNEL: 'channel' });
          under('input', () => writeField(channel, body.input, { source: 'sim', signals }));
          return { ...device.snapshotChannel(channel), signal: signals.get(channel) ?? null };
        }),
    }),
    route({
      method: 'post',
      path: '/faults',
      summary: 'Injects the same fault on many devices, as POST /sim/v1/faults on each.',
      description: 'Answers per device with the fault (its id on that device) or the error. An unknown device name refuses the whole request.',
      body: fleetFaultBodySchema,
      response: fleetOutcomeSchema,
      handle: ({ body }) =>
        each(selectDevices(control, body.devices), logger, ({ device, serial }) =>
          under('fault', () => {
            checkTarget(device, serial, body.fault);
            try {
              return device.faults.inject(body.fault);
            } catch (error) {
              // As POST /sim/v1/faults: a field input the channel cannot take names the fault's `input`.
              if (isSimError(error) && typeof error.context.path !== 'string' && (error.code === 'DEVICE_NOT_APPLICABLE' || error.code === 'DEVICE_VALUE_OUT_OF_RANGE')) {
                throw new SimError(error.code, error.message, { cause: error.cause, context: { ...error.context, path: 'input' } });
              }
              throw error;
            }
          }),
        ),
    }),
    route({
      method: 'post',
      path: '/faults/clear',
      summary: 'Clears every active fault on many devices, as DELETE /sim/v1/faults on each.',
      body: fleetClearFaultsBodySchema,
      response: fleetOutcomeSchema,
      handle: ({ body }) => each(selectDevices(control, body.devices), logger, ({ device }) => ({ cleared: device.faults.clearAll() })),
    }),
  ];
}
