/** The MQTT client's state for testers: connection, last error, queue and counters, topics. */
import { z } from 'zod';
import type { EventStreams } from './events.js';
import type { HttpAppOptions } from './options.js';
import { route, type Route } from './route.js';

const statusSchema = z.looseObject({ enabled: z.boolean() });

const logEntrySchema = z.looseObject({
  direction: z.enum(['out', 'in']),
  topic: z.string(),
  payload: z.string(),
  qos: z.number(),
  retain: z.boolean(),
  at: z.number(),
});

export function mqttRoutes({ mqtt }: HttpAppOptions, streams: EventStreams): Route[] {
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
    route({
      method: 'get',
      path: '/mqtt/log',
      summary: 'The last 200 MQTT messages, oldest first: published (direction "out") and received on write topics ("in").',
      response: z.array(logEntrySchema),
      handle: () => mqtt?.log() ?? [],
    }),
    route({
      method: 'get',
      path: '/mqtt/log/stream',
      summary: 'Server-Sent Events: `event: mqtt`, `data:` = each MQTT message as it is published or received (as in /mqtt/log).',
      description: 'Heartbeat comments every 15 s. With MQTT off the stream stays open and silent.',
      response: logEntrySchema,
      stream: true,
      handle: ({ req, res }) => {
        streams.startMqtt(req, res, mqtt ? (listener) => mqtt.onMessage(listener) : () => () => undefined);
        return undefined;
      },
    }),
  ];
}
