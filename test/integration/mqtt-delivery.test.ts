/**
 * MQTT delivery guarantees against the embedded broker over real TCP: QoS 1 and 2, retain, the
 * retained online message and the last will on a killed connection, and no loss across a broker
 * outage (queued in order, bounded, drop-oldest), with reconnects on the manual clock.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_IRS, startBroker, startMqtt, stopMqtt, subscriber, VALUE_TOPICS } from '../helpers/mqtt-harness.js';

afterEach(stopMqtt);

const DO_RAIL = [{ slot: 1, module: '45MR-2600' }];
const value = (m: { json: unknown }) => (m.json as { value: unknown }).value;

describe('QoS and retain', () => {
  it('delivers at QoS 1 and QoS 2 as configured per topic', async () => {
    const f = await startMqtt({
      slots: DO_RAIL,
      internalRegisters: NO_IRS,
      mqtt: {
        enabled: true,
        publishOnStart: false,
        topics: [
          { ioName: '*@DO-0?', parameter: 'doStatus', enabled: true, qos: 1 },
          { ioName: '*@DO-01', qos: 2 },
        ],
      },
    });
    const sub = await subscriber(f.broker.port);
    f.device.channel(1, 0).write('doStatus', 1, 'modbus');
    f.device.channel(1, 1).write('doStatus', 1, 'modbus');
    const [q1] = await sub.waitFor((m) => m.topic.endsWith('@DO-00/doStatus'));
    const [q2] = await sub.waitFor((m) => m.topic.endsWith('@DO-01/doStatus'));
    expect(q1?.qos).toBe(1);
    expect(q2?.qos).toBe(2);
    await f.service.whenSent();
    expect(f.service.status()).toMatchObject({ published: 2, queued: 0, inFlight: 0 });
  });

  it('a late subscriber gets the last retained value', async () => {
    const f = await startMqtt({
      slots: DO_RAIL,
      internalRegisters: NO_IRS,
      mqtt: { enabled: true, publishOnStart: false, topics: [{ ioName: '*@DO-03', parameter: 'doStatus', enabled: true, qos: 1, retain: true }] },
    });
    const early = await subscriber(f.broker.port, ['ioThinx_4510/read/#']);
    const out = f.device.channel(1, 3);
    out.write('doStatus', 1, 'rest');
    out.write('doStatus', 0, 'rest');
    out.write('doStatus', 1, 'rest');
    await early.waitFor(() => true, 3);
    const late = await subscriber(f.broker.port, ['ioThinx_4510/read/#']);
    const [m] = await late.waitFor((m) => m.retain);
    expect(m).toMatchObject({ topic: 'ioThinx_4510/read/45MR-2600-0@DO-03/doStatus', retain: true });
    expect(value(m!)).toBe(1);
  });
});

describe('status topic and last will', () => {
  it('publishes a retained {"value":"online"} on connect', async () => {
    const f = await startMqtt({ slots: DO_RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true } });
    const late = await subscriber(f.broker.port, ['ioThinx_4510/status']);
    const [m] = await late.waitFor((m) => m.topic === 'ioThinx_4510/status');
    expect(m).toMatchObject({ text: '{"value":"online"}', retain: true, qos: 1 });
  });

  it('the broker publishes {"value":"offline"} when the emulator’s connection is cut', async () => {
    const f = await startMqtt({ slots: DO_RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, reconnect: { minMs: 1000, maxMs: 1000 } } });
    const sub = await subscriber(f.broker.port, ['ioThinx_4510/status']);
    await sub.waitFor((m) => m.text === '{"value":"online"}');
    const lost = once(f.service.events, 'connectionError');
    expect(f.broker.dropClient('ioThinx_4510_TAGCB1100001')).toBe(true);
    const [offline] = await sub.waitFor((m) => m.text === '{"value":"offline"}');
    expect(offline?.topic).toBe('ioThinx_4510/status');
    const [error] = await lost;
    expect(error).toMatchObject({ code: 'MQTT_CONNECTION_LOST', message: expect.stringContaining('connection lost') });
    expect(f.service.status()).toMatchObject({ connected: false, state: 'waiting', lastError: { code: 'MQTT_CONNECTION_LOST' } });
    // It comes back after the backoff, on the manual clock, and says so.
    f.clock.advance(1000);
    await f.service.whenConnected();
    await sub.waitFor((m) => m.text === '{"value":"online"}', 2);
  });

  it('an abrupt stop fires the will; a clean stop publishes offline itself and disconnects', async () => {
    const broker = await startBroker();
    const sub = await subscriber(broker.port, ['+/status']);
    const a = await startMqtt({ device: { name: 'a' }, slots: DO_RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true } }, { broker });
    const b = await startMqtt({ device: { name: 'b' }, slots: DO_RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, lastWill: { qos: 2, retain: false } } }, { broker });
    await sub.waitFor((m) => m.text === '{"value":"online"}', 2);
    await a.service.close({ abrupt: true });
    await sub.waitFor((m) => m.topic === 'a/status' && m.text === '{"value":"offline"}');
    await b.service.close();
    const [bOffline] = await sub.waitFor((m) => m.topic === 'b/status' && m.text === '{"value":"offline"}');
    expect(bOffline?.qos).toBe(2);
    expect(b.service.status().state).toBe('closed');
    // Retain follows lastWill.retain (a: retained, b: not), for online and offline alike.
    const late = await subscriber(broker.port, ['+/status']);
    const [retained] = await late.waitFor((m) => m.retain);
    expect(retained).toMatchObject({ topic: 'a/status', text: '{"value":"offline"}' });
    // The SUBACK of a second subscription comes after every retained message of the first.
    await late.client.subscribeAsync('b/#');
    expect(late.messages.map((m) => m.topic)).toEqual(['a/status']);
  });
});

describe('broker outage', () => {
  it('queues QoS 1 publications while the broker is down and delivers them all, in order, after reconnect', async () => {
    const first = await startBroker();
    const port = first.port;
    const f = await startMqtt({ slots: DO_RAIL, internalRegisters: NO_IRS, mqtt: { ...VALUE_TOPICS, publishOnStart: false } }, { broker: first });
    const lost = once(f.service.events, 'connectionError');
    await first.close();
    await lost;
    expect(f.service.status()).toMatchObject({ connected: false, state: 'waiting' });

    // 40 changes on 16 outputs while the broker is away.
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) {
      const index = (i * 7) % 16;
      const out = f.device.channel(1, index);
      const next = out.read('doStatus') === 1 ? 0 : 1;
      out.write('doStatus', next, 'modbus');
      expected.push(`${out.ioName}=${next}`);
    }
    expect(f.service.status()).toMatchObject({ queued: 40, dropped: 0, published: 0 });

    // A new broker on the same port; the user subscribes before the emulator is back.
    const second = await startBroker({ port });
    const sub = await subscriber(port, ['ioThinx_4510/#']);
    f.clock.advance(1000);
    await f.service.whenConnected();
    const got = await sub.waitFor((m) => m.topic.endsWith('/doStatus'), 40, 'queued doStatus messages');
    expect(got.map((m) => `${m.topic.split('/')[2]}=${String(value(m))}`)).toEqual(expected);
    // "online" went out before the queue.
    expect(sub.messages[0]?.text).toBe('{"value":"online"}');
    await f.service.whenSent();
    expect(f.service.status()).toMatchObject({ connected: true, queued: 0, published: 40, dropped: 0 });
    expect(second.clients).toBeGreaterThan(0);
  });

  it('drops the oldest when the queue is full, counts them, and does not queue QoS 0', async () => {
    const first = await startBroker();
    const port = first.port;
    const f = await startMqtt(
      {
        slots: DO_RAIL,
        internalRegisters: NO_IRS,
        mqtt: {
          enabled: true,
          publishOnStart: false,
          queue: { max: 5 },
          topics: [
            { ioName: '*@DO-00', parameter: 'doStatus', enabled: true, qos: 1 },
            { ioName: '*@DO-01', parameter: 'doStatus', enabled: true, qos: 0 },
          ],
        },
      },
      { broker: first },
    );
    const lost = once(f.service.events, 'connectionError');
    await first.close();
    await lost;
    const out = f.device.channel(1, 0);
    for (let i = 0; i < 8; i++) out.write('doStatus', i % 2 === 0 ? 1 : 0, 'modbus');
    f.device.channel(1, 1).write('doStatus', 1, 'modbus');
    expect(f.service.status()).toMatchObject({ queued: 5, dropped: 3, unsentQos0: 1 });
    await startBroker({ port });
    const sub = await subscriber(port, ['ioThinx_4510/read/#']);
    f.clock.advance(1000);
    await f.service.whenConnected();
    const got = await sub.waitFor(() => true, 5);
    // Changes 4..8 survive: 0,1,0,1,0.
    expect(got.map(value)).toEqual([0, 1, 0, 1, 0]);
    await f.service.whenSent();
    expect(f.service.status()).toMatchObject({ queued: 0, published: 5, dropped: 3 });
  });
});
