/**
 * The MQTT client against mosquitto from Debian (/usr/sbin/mosquitto 2.x) with a TLS 1.2
 * listener, a password file (mosquitto_passwd -c -b) and allow_anonymous false, using a CA and
 * server certificate the test makes with openssl; mosquitto_sub and mosquitto_pub play the user.
 * A second listener presents a certificate from another CA, which the emulator must refuse.
 *
 * The emulator runs in-process, built through src/app with MQTT as the profile says, its
 * transport on a ManualClock so the tests drive reconnects and keep-alive.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { profileSchema, type ProfileInput } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { Emulator } from '../../src/app/emulator.js';
import type { Device } from '../../src/device/device.js';
import type { MqttService } from '../../src/mqtt/service.js';
import type { MqttError } from '../../src/mqtt/connection.js';
import type { WriteResult } from '../../src/mqtt/writes.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { logger } from '../helpers/mqtt-harness.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
const USER = 'device';
const PASSWORD = 'Secret-42';
const WAIT_MS = 10_000;

let certs: CertSet;
const children = new Set<ChildProcess>();
const emulators = new Set<Emulator>();

beforeAll(async () => {
  certs = await makeCerts();
  const r = spawnSync('mosquitto_passwd', ['-c', '-b', join(certs.dir, 'passwd'), USER, PASSWORD], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mosquitto_passwd failed (install the peers with scripts/install-peers.sh): ${r.stderr ?? r.error?.message}`);
});

afterEach(async () => {
  for (const emulator of [...emulators]) {
    emulators.delete(emulator);
    await emulator.mqttService?.close({ abrupt: true });
    await emulator.stop();
  }
  for (const child of [...children]) await stop(child);
});

afterAll(async () => {
  await certs.remove();
});

/** A port free now (bound to 0 and released); mosquitto cannot take port 0 and report it. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

async function stop(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** Resolves with the first output line matching `pattern`; fails naming what it waited for. */
function lineOf(child: ChildProcess, pattern: RegExp, what: string, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const source = child[stream];
    if (!source) return reject(new Error(`${what}: no ${stream}`));
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const line = seen.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) done(() => resolve(line));
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`${what}: the process exited (${code}) first; output: ${seen}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`waited ${WAIT_MS} ms for ${what}; output: ${seen}`))), WAIT_MS);
    const done = (settle: () => void) => {
      clearTimeout(timer);
      source.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    source.on('data', onData);
    child.on('exit', onExit);
  });
}

interface Mosquitto {
  port: number;
  roguePort: number;
  child: ChildProcess;
}

/** mosquitto with a TLS 1.2 listener (our CA) and one with a certificate from another CA. */
async function startMosquitto(ports?: { port: number; roguePort: number }): Promise<Mosquitto> {
  const port = ports?.port ?? (await freePort());
  const roguePort = ports?.roguePort ?? (await freePort());
  const conf = join(certs.dir, `mosquitto-${port}.conf`);
  await writeFile(
    conf,
    [
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${join(certs.dir, 'passwd')}`,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      // Run as root, mosquitto would switch to user "mosquitto", who cannot read the temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `listener ${port} 127.0.0.1`,
      `cafile ${certs.caCert}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      'tls_version tlsv1.2',
      `listener ${roguePort} 127.0.0.1`,
      `cafile ${certs.rogueCaCert}`,
      `certfile ${certs.rogueServerCert}`,
      `keyfile ${certs.rogueServerKey}`,
      'tls_version tlsv1.2',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  await lineOf(child, /mosquitto version \S+ running/, 'mosquitto to start', 'stderr');
  return { port, roguePort, child };
}

const TLS_ARGS = () => ['-h', 'localhost', '--cafile', certs.caCert, '--tls-version', 'tlsv1.2', '-u', USER, '-P', PASSWORD];

/**
 * mosquitto_sub -v on `topic`, resolved once subscribed: it also subscribes to a retained probe
 * published just before, whose arrival proves the subscription (and flushes its stdout, which
 * is block-buffered on a pipe until a message is printed).
 */
async function mosquittoSub(port: number, topic: string): Promise<{ child: ChildProcess; lines: string[]; message(pattern: RegExp, what: string, n?: number): Promise<string> }> {
  const probe = `probe/${process.pid}/${port}/${Math.random().toString(16).slice(2)}`;
  const pub = spawnSync('mosquitto_pub', [...TLS_ARGS(), '-p', String(port), '-q', '1', '-r', '-t', probe, '-m', 'ready'], { encoding: 'utf8' });
  if (pub.status !== 0) throw new Error(`mosquitto_pub (probe) failed: ${pub.stderr}`);
  const child = spawn('mosquitto_sub', [...TLS_ARGS(), '-p', String(port), '-q', '1', '-v', '-t', topic, '-t', probe], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of [...waiters]) wake();
  });
  /** The n-th line matching `pattern`. */
  const message = (pattern: RegExp, what: string, n = 1) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`waited ${WAIT_MS} ms for ${what}; mosquitto_sub printed:\n${lines.join('\n')}`)), WAIT_MS);
      const check = () => {
        const line = lines.filter((l) => pattern.test(l))[n - 1];
        if (line === undefined) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(line);
      };
      waiters.add(check);
      check();
    });
  await message(new RegExp(`^${probe} ready$`), 'mosquitto_sub to subscribe');
  return { child, lines, message };
}

const RAIL = { slots: [{ slot: 1, module: '45MR-2600' }], internalRegisters: { quantities: { bool: 0, word: 1, dword: 0, float: 0 } } };

async function emulator(port: number, mqtt: Record<string, unknown> = {}): Promise<{ service: MqttService; device: Device; clock: ManualClock }> {
  const profile = profileSchema.parse({
    ...RAIL,
    mqtt: {
      enabled: true,
      url: `mqtts://localhost:${port}`,
      username: USER,
      password: PASSWORD,
      tls: { ca: certs.caCert, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
      publishOnStart: false,
      defaults: { qos: 1, trigger: 'onChangeWhereAllowed' },
      topics: [{ class: 'value', enabled: true }],
      ...mqtt,
    },
  } satisfies ProfileInput);
  const clock = new ManualClock();
  // Built through src/app, MQTT as the profile says, the transport on the test's clock.
  const emulator = await Emulator.start({ profile, clock, logger, mqtt: 'profile', mqttService: { transportClock: clock } });
  emulators.add(emulator);
  return { service: emulator.mqttService!, device: emulator.device, clock };
}

describe('mosquitto (TLS 1.2, password file, no anonymous)', () => {
  it('the emulator connects with username, password and the CA; mosquitto_sub receives value messages', async () => {
    const broker = await startMosquitto();
    const sub = await mosquittoSub(broker.port, 'ioThinx_4510/#');
    const e = await emulator(broker.port);
    await e.service.whenConnected();
    await sub.message(/^ioThinx_4510\/status \{"value":"online"\}$/, 'the online message');
    e.device.channel(1, 4).write('doStatus', 1, 'modbus');
    e.device.internalRegisters.word[0]?.write('irValue', -12, 'rtu');
    const line = await sub.message(/^ioThinx_4510\/read\/45MR-2600-0@DO-04\/doStatus /, 'the doStatus message');
    expect(JSON.parse(line.slice(line.indexOf(' ') + 1))).toEqual({ value: 1, ts: '2026-01-01T00:00:00.000Z' });
    await sub.message(/^ioThinx_4510\/read\/WIR-00\/irValue \{"value":-12,/, 'the WIR-00 message');
    await e.service.whenSent();
    expect(e.service.status()).toMatchObject({ connected: true, lastError: null, published: 2 });
  });

  it('takes writes from mosquitto_pub and fires the last will when the connection dies', async () => {
    const broker = await startMosquitto();
    const e = await emulator(broker.port);
    await e.service.whenConnected();
    const write = once(e.service.events, 'write') as Promise<[WriteResult]>;
    const pub = spawnSync('mosquitto_pub', [...TLS_ARGS(), '-p', String(broker.port), '-q', '1', '-t', 'ioThinx_4510/write/45MR-2600-0@DO-07/doStatus', '-m', '{"value":1}'], { encoding: 'utf8' });
    expect(pub.status, pub.stderr).toBe(0);
    const [result] = await write;
    expect(result).toEqual({ topic: 'ioThinx_4510/write/45MR-2600-0@DO-07/doStatus', accepted: true });
    expect(e.device.channel(1, 7).read('doStatus')).toBe(1);

    // The retained online message reaches a late subscriber; a dead connection brings the will.
    const sub = await mosquittoSub(broker.port, 'ioThinx_4510/status');
    await sub.message(/^ioThinx_4510\/status \{"value":"online"\}$/, 'the retained online message');
    await e.service.close({ abrupt: true });
    await sub.message(/^ioThinx_4510\/status \{"value":"offline"\}$/, 'the last will');
  });

  it('loses nothing across a mosquitto restart: QoS 1 queued and delivered in order', async () => {
    const broker = await startMosquitto();
    const e = await emulator(broker.port);
    await e.service.whenConnected();
    const lost = once(e.service.events, 'connectionError');
    await stop(broker.child);
    await lost;
    const expected: string[] = [];
    for (let i = 0; i < 12; i++) {
      const out = e.device.channel(1, i % 3);
      const next = out.read('doStatus') === 1 ? 0 : 1;
      out.write('doStatus', next, 'modbus');
      expected.push(`${out.ioName} ${next}`);
    }
    expect(e.service.status().queued).toBe(12);
    const again = await startMosquitto({ port: broker.port, roguePort: broker.roguePort });
    const sub = await mosquittoSub(again.port, 'ioThinx_4510/read/#');
    e.clock.advance(1000);
    await e.service.whenConnected();
    await sub.message(/^ioThinx_4510\/read\//, 'the 12 queued messages', 12);
    const got = sub.lines.filter((l) => l.startsWith('ioThinx_4510/read/')).map((l) => `${l.split(' ')[0]?.split('/')[2]} ${(JSON.parse(l.slice(l.indexOf(' ') + 1)) as { value: number }).value}`);
    expect(got).toEqual(expected);
    await e.service.whenSent();
    expect(e.service.status()).toMatchObject({ queued: 0, published: 12, dropped: 0 });
  });

  it('reports a wrong password as MQTT_AUTH_FAILED', async () => {
    const broker = await startMosquitto();
    const e = await emulator(broker.port, { password: 'wrong' });
    const [error] = (await once(e.service.events, 'connectionError')) as [MqttError];
    expect(error.code).toBe('MQTT_AUTH_FAILED');
    expect(error.message).toMatch(/refused the login as user "device": (bad username or password|not authorized) \(CONNACK [45]\)/);
  });

  it('refuses a broker whose certificate is not signed by the configured CA', async () => {
    const broker = await startMosquitto();
    const e = await emulator(broker.roguePort);
    const [error] = (await once(e.service.events, 'connectionError')) as [MqttError];
    expect(error.code).toBe('MQTT_TLS_FAILED');
    // #14.17: the message says which trust failure it is: here a rogue CA's chain.
    expect(error.message).toContain("the broker's certificate chains to a CA that is not trusted (not signed by the CA in mqtt.tls.ca");
    expect(e.service.status()).toMatchObject({ connected: false, published: 0 });
  });
});
