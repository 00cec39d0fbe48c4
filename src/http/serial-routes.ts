/**
 * The serial side for testers: the RTU master's port and per-profile status, and the virtual
 * field devices on the bus, whose points can be set and which misbehave on demand.
 */
import * as z from 'zod';
import { fieldDeviceFaultSchema } from '../config/sections.js';
import { SimError } from '../errors.js';
import { fieldDeviceViewSchema, pointValueBodySchema, serialStatusDocumentSchema, type SerialControl, type SerialStatusDocument } from '../serial/contract.js';
import { route, type Route } from './route.js';

const deviceName = z.string().min(1).meta({ description: 'The field device\'s name in the profile (serial.fieldDevices[].name).', examples: ['meter'] });
const nameParams = z.strictObject({ name: deviceName });
const pointParams = z.strictObject({ name: deviceName, point: z.string().min(1).meta({ description: 'A point of its definition.', examples: ['ctPrimary'] }) });

function require(serial: SerialControl | undefined): SerialControl {
  if (!serial) throw new SimError('HTTP_NOT_FOUND', 'this emulator runs without a serial side');
  return serial;
}

export function serialRoutes({ serial }: { serial?: SerialControl | undefined }): Route[] {
  return [
    route({
      method: 'get',
      path: '/serial',
      summary: 'Serial port and RTU master: port state and last error, frame counters, the RTU status words, and per profile: polls, ok/error counts by kind, last error, error code, scan lateness (p50/p99/max) and overruns; plus the field devices.',
      response: serialStatusDocumentSchema,
      handle: (): SerialStatusDocument => (serial ? { enabled: true, ...serial.status() } : { enabled: false }),
    }),
    route({
      method: 'get',
      path: '/serial/field-devices',
      summary: 'The virtual field devices: slave id, port, fault, request counters and every point with its value.',
      response: z.array(fieldDeviceViewSchema),
      handle: () => (serial ? serial.fieldDeviceNames().map((name) => serial.fieldDevice(name)) : []),
    }),
    route({
      method: 'get',
      path: '/serial/field-devices/:name',
      summary: 'One virtual field device.',
      params: nameParams,
      response: fieldDeviceViewSchema,
      handle: ({ params }) => require(serial).fieldDevice(params.name),
    }),
    route({
      method: 'put',
      path: '/serial/field-devices/:name/fault',
      summary: 'Makes the field device misbehave: no-answer, slow (delayMs), crc, exception (exceptionCode), garbage, or none; `count` spoils that many requests, then clears.',
      params: nameParams,
      body: fieldDeviceFaultSchema,
      response: fieldDeviceViewSchema,
      handle: ({ params, body }) => {
        const control = require(serial);
        control.setFault(params.name, body);
        return control.fieldDevice(params.name);
      },
    }),
    route({
      method: 'delete',
      path: '/serial/field-devices/:name/fault',
      summary: 'Clears the field device\'s fault.',
      params: nameParams,
      response: fieldDeviceViewSchema,
      handle: ({ params }) => {
        const control = require(serial);
        control.setFault(params.name, { kind: 'none', count: null });
        return control.fieldDevice(params.name);
      },
    }),
    route({
      method: 'put',
      path: '/serial/field-devices/:name/points/:point',
      summary: 'Sets a field device point (engineering units, as its definition declares); the master sees it on its next poll.',
      params: pointParams,
      body: pointValueBodySchema,
      response: fieldDeviceViewSchema,
      handle: ({ params, body }) => {
        const control = require(serial);
        control.setPoint(params.name, params.point, body.value);
        return control.fieldDevice(params.name);
      },
    }),
  ];
}
