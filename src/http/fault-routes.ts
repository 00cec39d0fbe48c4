/**
 * Faults on demand over /sim/v1 (src/device/faults.ts): inject, list, clear. A fault that names
 * something that does not exist (a slot, a channel, a field device) is refused with the path.
 */
import * as z from 'zod';
import { faultSpecSchema, faultTargetProblem, type FaultSpec } from '../device/faults.js';
import type { Device } from '../device/device.js';
import { SimError } from '../errors.js';
import { atPath } from './errors.js';
import type { SerialControl } from '../serial/contract.js';
import { route, type Route } from './route.js';

const faultSchema = z.strictObject({ id: z.string(), since: z.number(), hits: z.number(), spec: z.looseObject({ kind: z.string() }) });
const idParams = z.strictObject({ id: z.string().min(1).meta({ description: 'The id GET /faults shows (f1, f2 ...)', examples: ['f1'] }) });

/** Refuses (HTTP_BAD_REQUEST naming the field) a fault that names a slot, channel or field device the device lacks. */
/** A fault whose target is not on this device is 400 naming the field (faultTargetProblem). */
export function checkTarget(device: Device, serial: SerialControl | undefined, spec: FaultSpec): void {
  const problem = faultTargetProblem(device, spec, serial?.fieldDeviceNames());
  if (problem) throw new SimError('HTTP_BAD_REQUEST', `${problem.path}: ${problem.message}`, { context: { path: problem.path } });
}

export function faultRoutes({ device, serial }: { device: Device; serial?: SerialControl | undefined }): Route[] {
  return [
    route({
      method: 'get',
      path: '/faults',
      summary: 'The faults active now, with their id, since when and how many requests they spoiled.',
      response: z.array(faultSchema),
      handle: () => device.faults.active(),
    }),
    route({
      method: 'post',
      path: '/faults',
      summary: 'Injects a fault: module-removed/-failed {slot}, channel {target, input}, modbus-slow {delayMs}, modbus-drop, modbus-garbage, modbus-exception {exceptionCode}, mqtt-disconnect, rest-error {status}, rest-slow {delayMs}, serial {device, fault}, clock-jump {ms}; `count` limits Modbus and REST faults to N requests.',
      description: 'A fault of the same kind and target replaces the active one. Details: docs/faults.md.',
      body: faultSpecSchema,
      response: faultSchema,
      handle: ({ body, res }) => {
        checkTarget(device, serial, body);
        // A field input the channel cannot take is refused by the channel as the fault goes in.
        const fault = atPath('input', () => device.faults.inject(body), ['DEVICE_NOT_APPLICABLE', 'DEVICE_VALUE_OUT_OF_RANGE']);
        res.status(201);
        return fault;
      },
    }),
    route({
      method: 'delete',
      path: '/faults',
      summary: 'Clears every active fault.',
      response: z.strictObject({ cleared: z.number() }),
      handle: () => ({ cleared: device.faults.clearAll() }),
    }),
    route({
      method: 'delete',
      path: '/faults/:id',
      summary: 'Clears one fault; what it did is undone (a channel\'s field state restored, the clock stepped back).',
      params: idParams,
      response: z.strictObject({ cleared: z.string() }),
      handle: ({ params }) => {
        if (!device.faults.clear(params.id)) throw new SimError('FAULT_UNKNOWN', `no active fault ${params.id}; GET /sim/v1/faults lists them`, { context: { path: 'id' } });
        return { cleared: params.id };
      },
    }),
  ];
}
