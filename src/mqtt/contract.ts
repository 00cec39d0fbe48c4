/**
 * The MQTT client as the emulator API shows it (GET /sim/v1/mqtt, /mqtt/topics, /mqtt/log and
 * its stream): one zod schema per document, the types inferred from them. The service's own
 * status, topic and log types come from here (declared once); the routes, /sim/v1/openapi.json,
 * the typed client and the metrics use the same. Imports zod only (no I/O), so src/http and
 * src/testing may import it where they may not import src/mqtt.
 */
import * as z from 'zod';

export const qosSchema = z.literal([0, 1, 2]);
export type Qos = z.infer<typeof qosSchema>;
export const triggerSchema = z.enum(['onChange', 'interval']);
export type Trigger = z.infer<typeof triggerSchema>;

export const connectionStateSchema = z.enum(['idle', 'connecting', 'connected', 'waiting', 'closed']);
export type ConnectionState = z.infer<typeof connectionStateSchema>;

/** A failed attempt or a lost connection, in words a user can act on (src/mqtt/connect-errors.ts). */
export const mqttErrorSchema = z.strictObject({
  code: z.string().meta({ description: 'A SimError code: MQTT_AUTH_FAILED, MQTT_TLS_FAILED or MQTT_CONNECT_FAILED (docs/errors.md).' }),
  message: z.string(),
  at: z.string().meta({ description: 'ISO time of the device clock.' }),
});

export const mqttStatusSchema = z.strictObject({
  state: connectionStateSchema,
  connected: z.boolean(),
  url: z.string().nullable().meta({ description: 'The broker URL the client uses (credentials removed).' }),
  clientId: z.string().nullable(),
  broker: z.string().nullable().meta({ description: 'The embedded broker\'s "host:port", or null.' }),
  lastError: mqttErrorSchema.nullable(),
  attempts: z.number().int().meta({ description: 'Connection attempts since start.' }),
  queued: z.number().int().meta({ description: 'Publications waiting for the broker (QoS 1/2, and QoS 0 while connected).' }),
  inFlight: z.number().int(),
  published: z.number().int().meta({ description: 'Publications the broker acknowledged.' }),
  dropped: z.number().int().meta({ description: 'Publications dropped because the queue was full (oldest first).' }),
  unsentQos0: z.number().int().meta({ description: 'QoS 0 publications made while disconnected (not queued).' }),
  restored: z.number().int().meta({ description: 'QoS 1/2 publications a previous run left unacknowledged, read from the data dir at this start (mqtt-queue.json) and queued first.' }),
  received: z.number().int().meta({ description: 'Messages received on write topics.' }),
  rejectedWrites: z.number().int().meta({ description: 'Of those, refused (bad topic, payload, range, read-only).' }),
  topics: z.number().int().meta({ description: 'Enabled publish topics.' }),
});
export type MqttStatus = z.infer<typeof mqttStatusSchema>;

/** GET /sim/v1/mqtt: `enabled: false` while the client does not run (MQTT off, or not started yet). */
export const mqttStatusDocumentSchema = z.discriminatedUnion('enabled', [z.strictObject({ enabled: z.literal(false) }), mqttStatusSchema.extend({ enabled: z.literal(true) })]);
export type MqttStatusDocument = z.infer<typeof mqttStatusDocumentSchema>;

/** An enabled publish topic and its settings (GET /sim/v1/mqtt/topics). */
export const mqttTopicSchema = z.strictObject({
  topic: z.string(),
  class: z.enum(['value', 'attribute']),
  qos: qosSchema,
  retain: z.boolean(),
  trigger: triggerSchema,
  intervalMs: z.number(),
  deadband: z.number(),
});
export type MqttTopic = z.infer<typeof mqttTopicSchema>;

/** One line of the message log (GET /sim/v1/mqtt/log, and each `event: mqtt` of its stream). */
export const mqttLogEntrySchema = z.strictObject({
  direction: z.enum(['out', 'in']).meta({ description: 'out: published by the device; in: received on a write topic.' }),
  topic: z.string(),
  payload: z.string(),
  qos: qosSchema,
  retain: z.boolean(),
  at: z.number().meta({ description: 'Device-clock time (ms since the epoch) when it was published or received.' }),
});
export type MqttLogEntry = z.infer<typeof mqttLogEntrySchema>;

/** The MQTT client as the emulator API sees it; src/app implements it over src/mqtt's MqttService. */
export interface MqttControl {
  /** null while the client does not run. */
  status(): MqttStatus | null;
  topics(): readonly MqttTopic[];
  /** The last messages published ('out') and received on write topics ('in'), oldest first. */
  log(): readonly MqttLogEntry[];
  /** Calls `listener` with each message as it is published or received; returns the unsubscribe. */
  onMessage(listener: (message: MqttLogEntry) => void): () => void;
}
