/** The MQTT client's state for testers: connection, last error, queue and counters, topics. */
import * as z from 'zod';
import { mqttLogEntrySchema, mqttStatusDocumentSchema, mqttTopicSchema, type MqttControl, type MqttStatusDocument } from '../mqtt/contract.js';
import type { EventStreams } from './events.js';
import { route, type Route } from './route.js';

export function mqttRoutes({ mqtt }: { mqtt?: MqttControl | undefined }, streams: EventStreams): Route[] {
  return [
    route({
      method: 'get',
      path: '/mqtt',
      summary: 'MQTT client status: connected, last error, queued, published, dropped, received and rejected writes; `enabled: false` while the client does not run.',
      response: mqttStatusDocumentSchema,
      handle: (): MqttStatusDocument => {
        const status = mqtt?.status() ?? null;
        return status ? { enabled: true, ...status } : { enabled: false };
      },
    }),
    route({
      method: 'get',
      path: '/mqtt/topics',
      summary: 'The enabled publish topics with their QoS, retain flag and trigger.',
      response: z.array(mqttTopicSchema),
      handle: () => mqtt?.topics() ?? [],
    }),
    route({
      method: 'get',
      path: '/mqtt/log',
      summary: 'The last 200 MQTT messages, oldest first: published (direction "out") and received on write topics ("in").',
      response: z.array(mqttLogEntrySchema),
      handle: () => mqtt?.log() ?? [],
    }),
    route({
      method: 'get',
      path: '/mqtt/log/stream',
      summary: 'Server-Sent Events: `event: mqtt`, `data:` = each MQTT message as it is published or received (as in /mqtt/log).',
      description: 'Heartbeat comments every 15 s. With MQTT off the stream stays open and silent.',
      response: mqttLogEntrySchema,
      stream: true,
      handle: ({ req, res }) => {
        streams.startMqtt(req, res, mqtt ? (listener) => mqtt.onMessage(listener) : () => () => undefined);
        return undefined;
      },
    }),
  ];
}
