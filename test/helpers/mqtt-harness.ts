/**
 * MQTT integration fixtures: an embedded aedes broker on 127.0.0.1:0, a device built through
 * src/app on a ManualClock with its MQTT service connected to it, and mqtt.js subscribers playing the user. Everything
 * started here is tracked and stopped by stopMqtt() (call it in afterEach). Set
 * IOTHINX_TEST_LOG=debug to see the service's log.
 */
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { profileSchema, type Profile, type ProfileInput } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import type { Device } from '../../src/device/device.js';
import { Emulator } from '../../src/app/emulator.js';
import { EmbeddedBroker, type BrokerOptions } from '../../src/mqtt/broker.js';
import type { MqttService, MqttServiceOptions } from '../../src/mqtt/service.js';

export const logger = pino({ level: process.env.IOTHINX_TEST_LOG ?? 'silent' });

/** How long a wait for a message may take before the test fails saying what it waited for. */
const WAIT_MS = 5000;

export interface Message {
  topic: string;
  text: string;
  json: unknown;
  qos: number;
  retain: boolean;
}

export interface Subscriber {
  client: MqttClient;
  messages: Message[];
  /** Resolves with the messages matching `match` once there are `count` of them (since the start). */
  waitFor(match: (m: Message) => boolean, count?: number, what?: string): Promise<Message[]>;
  /** Messages on one topic so far. */
  on(topic: string): Message[];
}

export interface MqttFixture {
  profile: Profile;
  clock: ManualClock;
  device: Device;
  service: MqttService;
  broker: EmbeddedBroker;
  url: string;
  name: string;
}

const brokers = new Set<EmbeddedBroker>();
const emulators = new Set<Emulator>();
const clients = new Set<MqttClient>();

export async function startBroker(options: Partial<BrokerOptions> = {}): Promise<EmbeddedBroker> {
  const broker = await EmbeddedBroker.start({ host: '127.0.0.1', port: 0, ...options }, logger.child({ component: 'test-broker' }));
  brokers.add(broker);
  return broker;
}

/** The MQTT profile section used unless a test gives its own: every value topic, OnChange where allowed, QoS 1. */
export const VALUE_TOPICS = {
  enabled: true,
  defaults: { qos: 1 as const, trigger: 'onChangeWhereAllowed' as const },
  topics: [{ class: 'value' as const, enabled: true }],
};

export const NO_IRS = { quantities: { bool: 0, word: 0, dword: 0, float: 0 } };

/** Starts a device and its MQTT service against `broker` (a new one when not given). */
export async function startMqtt(
  input: ProfileInput,
  options: { broker?: EmbeddedBroker; service?: MqttServiceOptions; connect?: boolean; logger?: Logger } = {},
): Promise<MqttFixture> {
  const profile = profileSchema.parse(input);
  const broker = options.broker ?? (await startBroker());
  const clock = new ManualClock();
  const url = `mqtt://127.0.0.1:${broker.port}`;
  // Built through src/app as every device is, with only MQTT on; the transport runs on the test's clock.
  const emulator = await Emulator.start({ profile, clock, logger: options.logger ?? logger, mqtt: url, mqttService: { transportClock: clock, ...options.service } });
  emulators.add(emulator);
  const { device } = emulator;
  const service = emulator.mqttService!;
  if (options.connect !== false) await service.whenConnected();
  return { profile, clock, device, service, broker, url, name: profile.device.name };
}

/** An mqtt.js client playing the user, subscribed to `topics` (SUBACK awaited). */
export async function subscriber(target: number | string, topics: string[] = ['#'], options: IClientOptions = {}): Promise<Subscriber> {
  const client = connect(typeof target === 'number' ? `mqtt://127.0.0.1:${target}` : target, { reconnectPeriod: 0, clientId: `user-${Math.random().toString(16).slice(2)}`, ...options });
  clients.add(client);
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    messages.push({ topic, text, json, qos: packet.qos, retain: packet.retain });
    for (const wake of [...waiters]) wake();
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  if (topics.length > 0) await client.subscribeAsync(topics, { qos: 2 });
  const waitFor = (match: (m: Message) => boolean, count = 1, what = 'a matching message'): Promise<Message[]> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = messages.filter(match);
        if (found.length < count) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`waited ${WAIT_MS} ms for ${count} × ${what}; got ${messages.filter(match).length}; all: ${messages.map((m) => `${m.topic} ${m.text}`).join(' | ')}`));
      }, WAIT_MS);
      if (!check()) waiters.add(check);
    });
  return { client, messages, waitFor, on: (topic) => messages.filter((m) => m.topic === topic) };
}

/** Publishes as the user and waits for the broker's ack (QoS 1). */
export async function publish(sub: Subscriber, topic: string, payload: string | Buffer): Promise<void> {
  await sub.client.publishAsync(topic, payload, { qos: 1 });
}

export async function stopMqtt(): Promise<void> {
  for (const client of [...clients]) {
    clients.delete(client);
    await client.endAsync(true);
  }
  for (const emulator of [...emulators]) {
    emulators.delete(emulator);
    // Abrupt first (no queue flush, no offline message): the device just goes away.
    await emulator.mqttService?.close({ abrupt: true });
    await emulator.stop();
  }
  for (const broker of [...brokers]) {
    brokers.delete(broker);
    await broker.close();
  }
}

/** A logger whose warn-and-above lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: { level: number; msg: string; [key: string]: unknown }[] } {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}
