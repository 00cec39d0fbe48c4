/**
 * /fleet/v1 routes over the devices of a fleet (#16 item 3): list, one device, add and remove at
 * run time, readiness and liveness, and the one shared clock. The fleet-wide operations are operations.ts.
 */
import * as z from 'zod';
import { SimError } from '../../errors.js';
import { addDeviceBodySchema, fleetDeviceSchema, fleetGatewayStatusSchema, fleetHealthSchema, fleetLivenessSchema, type FleetControl } from '../../fleet/contract.js';
import { route, type Route } from '../route.js';
import { clockRoutes, readinessAnswer } from '../sim-routes.js';

export const nameParams = z.strictObject({
  name: z.string().min(1).max(64).meta({ description: 'The device name (GET /fleet/v1/devices lists them).', examples: ['ioThinx_4510-001'] }),
});

/** A running device's listing, or FLEET_DEVICE_UNKNOWN naming the path parameter. */
export function unknownDevice(name: string, path = 'name'): SimError {
  return new SimError('FLEET_DEVICE_UNKNOWN', `no running device ${name} in the fleet; GET /fleet/v1/devices lists them`, { context: { path } });
}

export function deviceRoutes<App>(control: FleetControl<App>): Route[] {
  return [
    route({
      method: 'get',
      path: '/devices',
      summary: 'Every running device: identity, endpoints (null = off), gateway unit id, health and its paths through this listener.',
      response: z.strictObject({
        devices: z.array(fleetDeviceSchema),
        gateway: z.string().nullable().meta({ description: 'Where the Modbus gateway listens (host:port; each device answers its `unitId` there), or null when it is off.' }),
      }),
      handle: () => {
        const gateway = control.gateway();
        return { devices: control.list(), gateway: gateway.enabled ? gateway.address : null };
      },
    }),
    route({
      method: 'get',
      path: '/gateway',
      summary: 'The Modbus gateway: one port where unit id u selects device firstIndex + u - 1; its address and counters, or enabled: false.',
      response: fleetGatewayStatusSchema,
      handle: () => control.gateway(),
    }),
    route({
      method: 'get',
      path: '/devices/:name',
      summary: 'One running device.',
      params: nameParams,
      response: fleetDeviceSchema,
      handle: ({ params }) => {
        const found = control.list().find((d) => d.name === params.name);
        if (!found) throw unknownDevice(params.name);
        return found;
      },
    }),
    route({
      method: 'post',
      path: '/devices',
      summary: 'Starts device `index` at run time; its identity and addresses follow from the index as at start.',
      description: '409 FLEET_DEVICE_EXISTS when it runs or is starting, FLEET_FULL at 10 000 devices.',
      body: addDeviceBodySchema,
      response: fleetDeviceSchema,
      errors: [409],
      handle: async ({ body, res }) => {
        const added = await control.add(body.index);
        res.status(201);
        return added;
      },
    }),
    route({
      method: 'delete',
      path: '/devices/:name',
      summary: 'Stops one device and frees its addresses; the others keep running.',
      params: nameParams,
      response: z.strictObject({ removed: z.string() }),
      handle: async ({ params }) => {
        if (!(await control.remove(params.name))) throw unknownDevice(params.name);
        return { removed: params.name };
      },
    }),
    route({
      method: 'get',
      path: '/health',
      summary: 'Readiness: 200 once every device listens on every service it has (and its MQTT client is connected), else 503.',
      response: fleetHealthSchema,
      handle: ({ res }) => readinessAnswer(res, control.health()),
    }),
    route({
      method: 'get',
      path: '/health/live',
      summary: 'Liveness: 200 while the process answers HTTP, whatever its devices and their broker do (a livenessProbe asks here; /health is readiness).',
      response: fleetLivenessSchema,
      handle: () => ({ status: 'ok' as const, devices: control.count() }),
    }),
    ...clockRoutes(control.clock, { owner: 'the fleet', what: 'The clock every device of the fleet runs on', fires: 'for every device at once, firing due timers in order' }),
  ];
}
