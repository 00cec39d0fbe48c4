/** The MQTT client's state for testers: connection, last error, queue and counters, topics. */
import { z } from 'zod';
import type { HttpAppOptions } from './options.js';
import { route, type Route } from './route.js';

const statusSchema = z.looseObject({ enabled: z.boolean() });

export function mqttRoutes({ mqtt }: HttpAppOptions): Route[] {
  return [
    route({
      method: 'get',
      path: '/mqtt',
      summary: 'MQTT client status: connected, last error, queued, published, dropped, received and rejected writes.',
      response: statusSchema,
      handle: () => (mqtt ? { enabled: true, ...mqtt.status() } : { enabled: false }),
    }),
    route({
      method: 'get',
      path: '/mqtt/topics',
      summary: 'The enabled publish topics with their QoS, retain flag and trigger.',
      response: z.array(z.looseObject({ topic: z.string() })),
      handle: () => mqtt?.topics() ?? [],
    }),
  ];
}
