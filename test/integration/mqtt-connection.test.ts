/**
 * The client's connection: MQTT over TLS to the embedded broker with certificates made in the
 * test (CA-verified, TLS 1.2, client certificates), refusal of an untrusted broker, a wrong
 * password, and the reconnect backoff on the manual clock (1, 2, 4, 4 s with minMs 1000 and
 * maxMs 4000), each distinct error logged once.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttError } from '../../src/mqtt/connection.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { capturedLogger, NO_IRS, startBroker, startMqtt, stopMqtt, subscriber } from '../helpers/mqtt-harness.js';

let certs: CertSet;
beforeAll(async () => {
  certs = await makeCerts();
});
afterAll(async () => {
  await certs.remove();
});
afterEach(stopMqtt);

const RAIL = [{ slot: 1, module: '45MR-2600' }];
const TOPICS = [{ ioName: '*@DO-00', parameter: 'doStatus', enabled: true, qos: 1 as const }];

async function tlsBroker(options: { rogue?: boolean; maxVersion?: 'TLSv1.2' | 'TLSv1.3'; clientCa?: boolean } = {}) {
  return startBroker({
    tls: {
      cert: await certs.read(options.rogue ? certs.rogueServerCert : certs.serverCert),
      key: await certs.read(options.rogue ? certs.rogueServerKey : certs.serverKey),
      maxVersion: options.maxVersion ?? 'TLSv1.3',
      ...(options.clientCa ? { clientCa: await certs.read(certs.caCert) } : {}),
    },
  });
}

describe('TLS', () => {
  it('connects over TLS 1.2 to a broker whose certificate the configured CA signs, and publishes', async () => {
    const broker = await tlsBroker({ maxVersion: 'TLSv1.2' });
    const url = `mqtts://localhost:${broker.port}`;
    const f = await startMqtt(
      { slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, publishOnStart: false, tls: { ca: certs.caCert, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, topics: TOPICS } },
      { broker, service: { url } },
    );
    expect(f.service.status()).toMatchObject({ connected: true, url, lastError: null });
    const sub = await subscriber(url, ['ioThinx_4510/read/#'], { ca: await certs.read(certs.caCert) });
    f.device.channel(1, 0).write('doStatus', 1, 'modbus');
    const [m] = await sub.waitFor((m) => m.topic.endsWith('@DO-00/doStatus'));
    expect(m?.json).toMatchObject({ value: 1 });
  });

  it('resolves a relative mqtt.tls.ca against the profile directory, and presents a client certificate', async () => {
    const broker = await tlsBroker({ clientCa: true });
    const f = await startMqtt(
      {
        slots: RAIL,
        internalRegisters: NO_IRS,
        mqtt: { enabled: true, tls: { ca: basename(certs.caCert), cert: basename(certs.clientCert), key: basename(certs.clientKey), minVersion: 'TLSv1.3' }, topics: TOPICS },
      },
      { broker, service: { url: `mqtts://127.0.0.1:${broker.port}`, baseDir: dirname(certs.caCert) } },
    );
    expect(f.service.status().connected).toBe(true);
    // Without the client certificate the broker ends the handshake.
    const bare = await startMqtt(
      { device: { name: 'bare' }, slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, tls: { ca: certs.caCert }, topics: TOPICS } },
      { broker, service: { url: `mqtts://127.0.0.1:${broker.port}` }, connect: false },
    );
    const [error] = (await once(bare.service.events, 'connectionError')) as [MqttError];
    expect(error.code).toBe('MQTT_TLS_FAILED');
    expect(error.message).toContain('CERTIFICATE_REQUIRED');
  });

  it('refuses a broker whose certificate the CA did not sign, says so, logs it once, and retries', async () => {
    const broker = await tlsBroker({ rogue: true });
    const { logger, lines } = capturedLogger();
    const f = await startMqtt(
      { slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, tls: { ca: certs.caCert }, topics: TOPICS } },
      { broker, service: { url: `mqtts://localhost:${broker.port}` }, connect: false, logger },
    );
    const [first] = (await once(f.service.events, 'connectionError')) as [MqttError];
    expect(first.code).toBe('MQTT_TLS_FAILED');
    expect(first.message).toContain(`the broker's certificate is not trusted (not signed by the CA in mqtt.tls.ca (${certs.caCert}))`);
    expect(first.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);
    expect(f.service.status()).toMatchObject({ connected: false, state: 'waiting', attempts: 1, lastError: first });
    f.device.channel(1, 0).write('doStatus', 1, 'modbus');
    f.clock.advance(1000);
    const [second] = (await once(f.service.events, 'connectionError')) as [MqttError];
    expect(second.message).toBe(first.message);
    expect(f.service.status()).toMatchObject({ attempts: 2, queued: 1, published: 0 });
    expect(lines.filter((l) => l.code === 'MQTT_TLS_FAILED')).toHaveLength(1);
  });

  it('#14.17: a broker certificate for another host name is reported as such, not as "not signed by the CA"', async () => {
    // Signed by the configured CA, but for DNS:other.example only; the client connects to localhost.
    const broker = await startBroker({ tls: { cert: await certs.read(certs.otherHostCert), key: await certs.read(certs.otherHostKey) } });
    const f = await startMqtt(
      { slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, tls: { ca: certs.caCert }, topics: TOPICS } },
      { broker, service: { url: `mqtts://localhost:${broker.port}` }, connect: false },
    );
    const [error] = (await once(f.service.events, 'connectionError')) as [MqttError];
    expect(error.code).toBe('MQTT_TLS_FAILED');
    expect(error.message).toContain(`mqtts://localhost:${broker.port}: the broker's certificate is for another host name than "localhost"`);
    expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(error.message).not.toContain('not signed');
  });

  it('#14.17: a self-signed broker certificate is reported as self-signed', async () => {
    // A CA certificate is self-signed: served as the broker's own certificate it is a chain of one.
    const broker = await startBroker({ tls: { cert: await certs.read(certs.rogueCaCert), key: await certs.read(certs.rogueCaCert.replace(/\.crt$/, '.key')) } });
    const f = await startMqtt(
      { slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, tls: { ca: certs.caCert }, topics: TOPICS } },
      { broker, service: { url: `mqtts://localhost:${broker.port}` }, connect: false },
    );
    const [error] = (await once(f.service.events, 'connectionError')) as [MqttError];
    expect(error.code).toBe('MQTT_TLS_FAILED');
    expect(error.message).toContain(`the broker's certificate is self-signed and not trusted (not signed by the CA in mqtt.tls.ca (${certs.caCert}))`);
    expect(error.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('fails clearly when the broker cannot speak the minimum TLS version', async () => {
    const broker = await tlsBroker({ maxVersion: 'TLSv1.2' });
    const f = await startMqtt(
      { slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, tls: { ca: certs.caCert, minVersion: 'TLSv1.3' }, topics: TOPICS } },
      { broker, service: { url: `mqtts://localhost:${broker.port}` }, connect: false },
    );
    const [error] = (await once(f.service.events, 'connectionError')) as [MqttError];
    expect(error.code).toBe('MQTT_TLS_FAILED');
    expect(error.message).toContain('the TLS handshake failed (TLSv1.3):');
  });

  it('refuses to start when a TLS file is missing', async () => {
    await expect(
      startMqtt({ slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, tls: { ca: '/nonexistent/ca.crt' } } }, { service: { url: 'mqtts://localhost:1' } }),
    ).rejects.toMatchObject({ code: 'MQTT_TLS_CONFIG', message: 'mqtt.tls.ca: cannot read /nonexistent/ca.crt: ENOENT' });
  });
});

describe('authentication and backoff', () => {
  it('reports a wrong password clearly and retries with capped exponential backoff on the clock', async () => {
    const broker = await startBroker({ credentials: { username: 'device', password: 'secret1!' } });
    const { logger, lines } = capturedLogger();
    const f = await startMqtt(
      { slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, username: 'device', password: 'wrong', reconnect: { minMs: 1000, maxMs: 4000 } } },
      { broker, connect: false, logger },
    );
    const [error] = (await once(f.service.events, 'connectionError')) as [MqttError];
    expect(error).toEqual({
      code: 'MQTT_AUTH_FAILED',
      message: `mqtt://127.0.0.1:${broker.port}: the broker refused the login as user "device": bad username or password (CONNACK 4)`,
      at: '2026-01-01T00:00:00.000Z',
    });
    const attempts = () => f.service.status().attempts;
    expect(attempts()).toBe(1);
    for (const [wait, n] of [
      [1000, 2],
      [2000, 3],
      [4000, 4],
      [4000, 5],
    ] as const) {
      f.clock.advance(wait - 1);
      expect(attempts()).toBe(n - 1);
      const next = once(f.service.events, 'connectionError');
      f.clock.advance(1);
      expect(attempts()).toBe(n);
      await next;
    }
    expect(f.service.status()).toMatchObject({ connected: false, lastError: { code: 'MQTT_AUTH_FAILED', at: '2026-01-01T00:00:11.000Z' } });
    expect(lines.filter((l) => l.code === 'MQTT_AUTH_FAILED')).toHaveLength(1);
  });

  it('retries on real time when the device clock is manual (the broker’s keep-alive is real time)', async () => {
    const broker = await startBroker({ credentials: { username: 'device', password: 'secret1!' } });
    const f = await startMqtt(
      { slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, username: 'device', password: 'wrong', reconnect: { minMs: 100, maxMs: 100 } } },
      { broker, connect: false, service: { transportClock: undefined } },
    );
    await once(f.service.events, 'connectionError');
    // No clock.advance: the next attempt comes 100 ms of real time later.
    await once(f.service.events, 'connectionError');
    expect(f.service.status().attempts).toBe(2);
    expect(f.clock.pending()).toBe(0);
  });

  it('connects with the right username and password', async () => {
    const broker = await startBroker({ credentials: { username: 'device', password: 'secret1!' } });
    const f = await startMqtt({ slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, username: 'device', password: 'secret1!' } }, { broker });
    expect(f.service.status()).toMatchObject({ connected: true, attempts: 1, lastError: null, clientId: 'ioThinx_4510_TAGCB1100001' });
  });

  it('gives up on a broker that sends no CONNACK after connectTimeoutS of clock time', async () => {
    const silent = createServer((socket) => sockets.add(socket));
    const sockets = new Set<Socket>();
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const port = (silent.address() as AddressInfo).port;
    try {
      const f = await startMqtt(
        { slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, connectTimeoutS: 5 } },
        { service: { url: `mqtt://127.0.0.1:${port}` }, connect: false },
      );
      await once(silent, 'connection');
      const failed = once(f.service.events, 'connectionError');
      f.clock.advance(4999);
      expect(f.service.status().state).toBe('connecting');
      f.clock.advance(1);
      const [error] = (await failed) as [MqttError];
      expect(error).toMatchObject({ code: 'MQTT_CONNECT_FAILED', message: `mqtt://127.0.0.1:${port}: no CONNACK within 5000 ms` });
      expect(f.service.status()).toMatchObject({ state: 'waiting', attempts: 1 });
      // The abandoned socket is closed.
      await waitClosed(sockets);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('keeps trying an unreachable broker and resets the backoff after a success', async () => {
    const broker = await startBroker();
    const port = broker.port;
    await broker.close();
    const f = await startMqtt({ slots: RAIL, internalRegisters: NO_IRS, mqtt: { enabled: true, reconnect: { minMs: 500, maxMs: 8000 } } }, { broker: undefined, service: { url: `mqtt://127.0.0.1:${port}` }, connect: false });
    const [error] = (await once(f.service.events, 'connectionError')) as [MqttError];
    expect(error).toMatchObject({ code: 'MQTT_CONNECT_FAILED', message: expect.stringContaining('ECONNREFUSED') });
    const again = once(f.service.events, 'connectionError');
    f.clock.advance(500);
    await again;
    await startBroker({ port });
    f.clock.advance(1000);
    await f.service.whenConnected();
    expect(f.service.status().attempts).toBe(3);
  });
});

/** Resolves once every socket in the set has closed. */
async function waitClosed(sockets: Set<Socket>): Promise<void> {
  await Promise.all([...sockets].filter((s) => !s.closed).map((s) => once(s, 'close')));
}
