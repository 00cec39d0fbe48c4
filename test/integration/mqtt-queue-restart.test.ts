/**
 * Issue #20: the QoS 1/2 messages a broker outage left unsent survive an emulator restart when a
 * data dir is given (DATA_DIR/mqtt-queue.json), and go out first, in order, once the broker is
 * back. Real processes (the built CLI) and a real broker: one aedes with two listeners, the
 * subscriber's always up, the device's taken down and brought back on the same port.
 */
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProcesses, startCli, tempDir, type Started } from '../helpers/process.js';
import { until, untilSettled } from '../helpers/until.js';

const DEVICE = 'QueueDev';

/** DO-00..09 publish on change at QoS 1 (the device's default trigger for doStatus), DO-03 at QoS 2, DO-07 at QoS 0 (never kept). */
const PROFILE = [
  `device: { name: ${DEVICE} }`,
  'slots:',
  '  - { slot: 1, module: 45MR-2600 }',
  'mqtt:',
  '  enabled: true',
  '  publishOnStart: false',
  '  payload: { extraKeys: false }',
  '  reconnect: { minMs: 100, maxMs: 200 }',
  '  defaults: { qos: 1, trigger: deviceDefault }',
  '  topics:',
  '    - { ioName: "*@DO-0?", parameter: doStatus, enabled: true }',
  '    - { ioName: "*@DO-03", parameter: doStatus, qos: 2 }',
  '    - { ioName: "*@DO-07", parameter: doStatus, enabled: true, qos: 0 }',
  '',
].join('\n');

interface Broker {
  /** Where the emulator connects (down until up()). */
  devicePort: number;
  up(): Promise<void>;
  down(): Promise<void>;
  close(): Promise<void>;
  userPort: number;
}

const open: (() => Promise<void>)[] = [];

afterEach(async () => {
  await cleanupProcesses();
  for (const close of open.splice(0).reverse()) await close();
});

async function listen(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** One aedes: the subscriber's listener stays up; the device's starts down. */
async function startBroker(): Promise<Broker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const userSockets = new Set<Socket>();
  const user = createServer((socket) => {
    userSockets.add(socket);
    socket.on('close', () => userSockets.delete(socket));
    aedes.handle(socket);
  });
  const userPort = await listen(user);
  let device: Server | undefined;
  const probe = createServer();
  const devicePort = await listen(probe);
  probe.close();
  await once(probe, 'close');
  const broker: Broker = {
    devicePort,
    userPort,
    up: async () => {
      device = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        aedes.handle(socket);
      });
      await listen(device, devicePort);
    },
    down: async () => {
      const d = device;
      device = undefined;
      if (!d) return;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => d.close(() => resolve()));
    },
    close: async () => {
      await broker.down();
      for (const s of userSockets) s.destroy();
      await new Promise<void>((resolve) => user.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
  open.push(() => broker.close());
  return broker;
}

interface Received {
  topic: string;
  payload: string;
  qos: number;
}

/** A user's client on the subscriber's listener, subscribed to every read topic. */
async function subscribe(port: number): Promise<{ client: MqttClient; received: Received[] }> {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clientId: `user-${process.pid}-${Math.random().toString(16).slice(2)}` });
  open.push(() => client.endAsync(true));
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString('utf8'), qos: packet.qos }));
  await client.subscribeAsync('+/read/#', { qos: 2 });
  return { client, received };
}

async function setup(): Promise<{ dir: string; data: string; profile: string; broker: Broker }> {
  const dir = await tempDir();
  const profile = join(dir, 'queue.yaml');
  await writeFile(profile, PROFILE);
  return { dir, data: join(dir, 'data'), profile, broker: await startBroker() };
}

function args(profile: string, broker: Broker, data?: string): string[] {
  return ['--http', '127.0.0.1:0', '--modbus', 'off', '--quiet', '--profile', profile, '--mqtt', `mqtt://127.0.0.1:${broker.devicePort}`, ...(data ? ['--data-dir', data] : [])];
}

async function put(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** A DO written over the emulator API (as a Modbus or REST client would). */
async function setDo(http: string, index: number, value: 0 | 1): Promise<void> {
  const res = await put(`http://${http}/sim/v1/slots/1/channels/${index}/attributes/doStatus`, { value });
  expect(res.status).toBe(200);
}

interface Status {
  enabled: boolean;
  connected: boolean;
  queued: number;
  restored: number;
  published: number;
  unsentQos0: number;
}

async function mqttStatus(http: string): Promise<Status> {
  return (await (await fetch(`http://${http}/sim/v1/mqtt`)).json()) as Status;
}

function topic(index: number, device = DEVICE): string {
  return `${device}/read/45MR-2600-0@DO-0${index}/doStatus`;
}

/** The changes made while the broker is away: QoS 1 and 2 ones in order, and one QoS 0. */
const OUTAGE: [number, 0 | 1][] = [
  [0, 1],
  [1, 1],
  [7, 1],
  [3, 1],
  [0, 0],
  [2, 1],
  [1, 0],
];
const KEPT = OUTAGE.filter(([index]) => index !== 7).map(([index, value]) => ({ topic: topic(index), payload: `{"value":${value}}`, qos: index === 3 ? 2 : 1 }));

async function outage(http: string): Promise<void> {
  for (const [index, value] of OUTAGE) await setDo(http, index, value);
  expect(await mqttStatus(http)).toMatchObject({ connected: false, queued: KEPT.length, unsentQos0: 1 });
}

async function stop(run: Started): Promise<void> {
  run.child.kill('SIGTERM');
  expect((await run.exited).code).toBe(0);
}

async function savedQueue(data: string): Promise<{ version: number; messages: { topic: string; payload: string; qos: number; retain: boolean }[] }> {
  return JSON.parse(await readFile(join(data, 'mqtt-queue.json'), 'utf8')) as never;
}

async function receive(received: Received[], count: number): Promise<Received[]> {
  return until(`${count} messages`, () => (received.length >= count ? received.slice() : undefined));
}

/**
 * Every message exactly once, and in the order sent within each QoS level: MQTT orders a
 * topic's messages per QoS level [MQTT-4.6.0], and aedes forwards a QoS 2 message only at PUBREL,
 * after QoS 1 messages the emulator sent behind it in the same window.
 */
function expectInOrder(got: Received[], sent: Received[]): void {
  expect(got).toHaveLength(sent.length);
  for (const qos of [1, 2]) expect(got.filter((m) => m.qos === qos)).toEqual(sent.filter((m) => m.qos === qos));
}

describe('MQTT queue across an emulator restart (#20)', () => {
  it('SIGTERM with the broker away, a new process on the same data dir, broker back: every QoS 1/2 message arrives once, in order, before the newer ones', async () => {
    const { dir, data, profile, broker } = await setup();
    const { received } = await subscribe(broker.userPort);
    const first = await startCli(args(profile, broker, data), dir);
    await outage(first.ready.http!);
    await stop(first);
    expect(await savedQueue(data)).toEqual({ version: 1, messages: KEPT.map((m) => ({ ...m, retain: false })) });

    // Its own ready file: the first one's is still in `dir`.
    const second = await startCli(args(profile, broker, data));
    const http = second.ready.http!;
    expect(await mqttStatus(http)).toMatchObject({ connected: false, restored: KEPT.length, queued: KEPT.length });
    expect(await (await fetch(`http://${http}/metrics`)).text()).toMatch(new RegExp(`^iothinx_mqtt_restored ${KEPT.length}$`, 'm'));
    // A change after the restart goes after what the last run left.
    await setDo(http, 4, 1);
    await broker.up();
    expectInOrder(await receive(received, KEPT.length + 1), [...KEPT, { topic: topic(4), payload: '{"value":1}', qos: 1 }]);
    await until('the queue acknowledged', async () => ((await mqttStatus(http)).queued === 0 ? true : undefined));
    // Saved within a second of the acks, without a stop: a kill -9 now would send nothing again.
    await untilSettled('the emptied queue on disk', async () => ((await savedQueue(data)).messages.length === 0 ? true : undefined));
    // Nothing more came: a change now is the next message.
    await setDo(http, 1, 1);
    expect((await receive(received, KEPT.length + 2)).slice(KEPT.length + 1)).toEqual([{ topic: topic(1), payload: '{"value":1}', qos: 1 }]);
  });

  it('keeps the queue across the in-process restart of PUT /sim/v1/config; messages on topics the new config no longer has still go out', async () => {
    const { dir, data, profile, broker } = await setup();
    const { received } = await subscribe(broker.userPort);
    const run = await startCli(args(profile, broker, data), dir);
    const http = run.ready.http!;
    await outage(http);
    const config = (await (await fetch(`http://${http}/sim/v1/config`)).json()) as { device: { name: string } };
    config.device.name = 'Renamed';
    expect((await put(`http://${http}/sim/v1/config`, config)).status).toBe(200);
    await untilSettled('the restarted MQTT service', async () => {
      const status = await mqttStatus(http);
      return status.enabled && status.restored === KEPT.length ? status : undefined;
    });
    await setDo(http, 0, 1);
    await broker.up();
    expectInOrder(await receive(received, KEPT.length + 1), [...KEPT, { topic: topic(0, 'Renamed'), payload: '{"value":1}', qos: 1 }]);
  });

  it('kill -9: what the periodic save wrote (within a second of the changes) is sent after the restart', async () => {
    const { dir, data, profile, broker } = await setup();
    const { received } = await subscribe(broker.userPort);
    const first = await startCli(args(profile, broker, data), dir);
    await outage(first.ready.http!);
    await untilSettled('the periodic save', async () => ((await savedQueue(data)).messages.length === KEPT.length ? true : undefined));
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startCli(args(profile, broker, data));
    expect(await mqttStatus(second.ready.http!)).toMatchObject({ restored: KEPT.length });
    await broker.up();
    expectInOrder(await receive(received, KEPT.length), KEPT);
  });

  it('SIGTERM while connected: what the broker acknowledged is not kept, so a restart sends nothing twice', async () => {
    const { dir, data, profile, broker } = await setup();
    const { received } = await subscribe(broker.userPort);
    await broker.up();
    const first = await startCli(args(profile, broker, data), dir);
    const http = first.ready.http!;
    await until('connected', async () => ((await mqttStatus(http)).connected ? true : undefined));
    const burst: Received[] = [];
    for (let round = 0; round < 3; round++) {
      for (let index = 0; index < 7; index++) {
        const value = round % 2 === 0 ? 1 : 0;
        await setDo(http, index, value);
        burst.push({ topic: topic(index), payload: `{"value":${value}}`, qos: index === 3 ? 2 : 1 });
      }
    }
    // At once, with messages still in flight: the stop waits for their acks (at most 1.5 s).
    await stop(first);
    // Empty, or never written: a queue that drained between two saves is not written again.
    const kept = await savedQueue(data).then((q) => q.messages, (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? [] : Promise.reject(error)));
    expect(kept).toEqual([]);
    const second = await startCli(args(profile, broker, data));
    expect(await mqttStatus(second.ready.http!)).toMatchObject({ restored: 0 });
    await setDo(second.ready.http!, 9, 1);
    expectInOrder(await receive(received, burst.length + 1), [...burst, { topic: topic(9), payload: '{"value":1}', qos: 1 }]);
  });

  it('warns about a corrupt file, naming it, and starts with an empty queue', async () => {
    const { dir, data, profile, broker } = await setup();
    const { received } = await subscribe(broker.userPort);
    const first = await startCli(args(profile, broker, data), dir);
    await stop(first);
    await writeFile(join(data, 'mqtt-queue.json'), '{"version":1,"messages":[{"topic":');
    const second = await startCli(args(profile, broker, data));
    const http = second.ready.http!;
    expect(await mqttStatus(http)).toMatchObject({ restored: 0, queued: 0 });
    const warning = second
      .stderr()
      .split('\n')
      .filter((l) => l.includes('the saved MQTT queue cannot be read'))
      .map((l) => JSON.parse(l) as { level: number; file: string; reason: string });
    expect(warning).toEqual([expect.objectContaining({ level: 40, file: join(data, 'mqtt-queue.json'), reason: expect.stringContaining('not JSON') })]);
    await broker.up();
    await setDo(http, 0, 1);
    expect(await receive(received, 1)).toEqual([{ topic: topic(0), payload: '{"value":1}', qos: 1 }]);
  });

  it('without a data dir nothing is kept: a restart starts with an empty queue, as before', async () => {
    const { dir, profile, broker } = await setup();
    const { received } = await subscribe(broker.userPort);
    const first = await startCli(args(profile, broker), dir);
    await outage(first.ready.http!);
    await stop(first);
    const second = await startCli(args(profile, broker));
    const http = second.ready.http!;
    expect(await mqttStatus(http)).toMatchObject({ restored: 0, queued: 0 });
    await broker.up();
    await until('connected', async () => ((await mqttStatus(http)).connected ? true : undefined));
    // The old messages would have gone first: the first message is the new change.
    await setDo(http, 2, 1);
    expect(await receive(received, 1)).toEqual([{ topic: topic(2), payload: '{"value":1}', qos: 1 }]);
  });
});
