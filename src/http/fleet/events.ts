/**
 * GET /fleet/v1/events: one Server-Sent Events stream of every device's changes, each carrying
 * the device name (`event: change`, data = the change as GET /sim/v1/events gives it plus
 * `device`), and `event: device` when a device joins or leaves. Bounded per client as the
 * device streams are (events.ts, limits.http.maxSseBufferBytes).
 *
 *   FleetControl.onEvent (one subscription while a stream is open) ─► bytes, made once ─┬─► stream (?device filter) ─► bounded write
 *                                                                                      └─► stream ...
 */
import * as z from 'zod';
import { MAX_SELECTED_DEVICES, type FleetControl, type FleetEvent } from '../../fleet/contract.js';
import { FanOut, type BoundedStreams } from '../events.js';
import { route, type Route } from '../route.js';
import { changeSchema } from '../schemas.js';

const name = z.string().min(1).max(64);
const eventsQuery = z.object({
  device: z
    .union([name, z.array(name).max(MAX_SELECTED_DEVICES)])
    .optional()
    .meta({ description: 'Only events of this device; repeat for several. A name not running (yet) is allowed: it may be added later.' }),
});

function render(event: FleetEvent): Buffer {
  if (event.kind === 'change') return Buffer.from(`event: change\ndata: ${JSON.stringify({ device: event.device, ...event.change })}\n\n`);
  return Buffer.from(`event: device\ndata: ${JSON.stringify({ device: event.device, index: event.index, action: event.kind })}\n\n`);
}

export function fleetEventRoutes<App>(control: FleetControl<App>, streams: BoundedStreams): Route[] {
  const events = new FanOut<FleetEvent>((listener) => control.onEvent(listener), (event) => event.device, render);
  return [
    route({
      method: 'get',
      path: '/events',
      summary: 'Server-Sent Events of every device: `event: change` (the change plus `device`), `event: device` (added, removed).',
      description: 'Heartbeat comments every 15 s. Filter with ?device= (repeatable). A client that does not read is cut off once limits.http.maxSseBufferBytes are buffered for it.',
      query: eventsQuery,
      response: changeSchema.extend({ device: z.string() }),
      stream: true,
      handle: ({ query, req, res }) => {
        const devices = query.device === undefined ? undefined : new Set(typeof query.device === 'string' ? [query.device] : query.device);
        streams.startFeed(req, res, `iothinx-sim fleet events, ${control.count()} devices`, (send) => events.subscribe(devices, send));
        return undefined;
      },
    }),
  ];
}
