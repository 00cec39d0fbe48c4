// MQTT latency of iothinx-sim on an EXTERNAL broker (mosquitto), against that broker's own
// publish-to-subscriber round trip measured in the same run, sample by sample interleaved, over a
// plain listener and a TLS 1.2 one, at QoS 0 and QoS 1. Prints figures; never asserts a time.
//
//   bench process                                      child processes
//   ─────────────                                      ───────────────
//   Modbus/TCP client ── FC5 ─────────────────────────► iothinx-sim start --mqtt mqtt[s]://…
//   reference publisher (mqtt.js) ──┐                          │ doStatus message
//                                   ▼                          ▼
//   subscriber (mqtt.js) ◄──────── mosquitto (127.0.0.1, plain + TLS 1.2 listeners)
//   Modbus/TCP client ── FC5 ──► bench/lib/fc5-relay.mjs (the floor: one pre-encoded PUBLISH per
//                                 frame, no device, no mqtt.js) ──► mosquitto ──► subscriber
//
// One sample: the time from the trigger (reference.publish, or the FC5 frame written to the
// socket) to the message at the subscriber. The emulator is a real child process (what a user
// runs); its client, the reference publisher and the subscriber use the same connection kind.
// Target (issue #19): FC5 p50 at most 1.5x the broker round trip p50, per case. The floor shows
// what the extra process hop alone costs here: the emulator cannot beat it.
//
// BENCH_MQTT_SAMPLES (default 2000) samples per path and case. Skipped when mosquitto is absent
// (scripts/install-peers.sh installs it).
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupOnExit, launch, quantile, startEmulator, stdoutLine, stop, stopAll, whenReady } from './lib/children.mjs';
import { coilWriter } from './lib/coil-writer.mjs';
import { subscriber } from './lib/subscriber.mjs';

const SAMPLES = Number(process.env.BENCH_MQTT_SAMPLES ?? 2000);
const WARMUP = 500;
const TARGET = 1.5;
const MOSQUITTO = '/usr/sbin/mosquitto';

const dist = new URL('../dist/', import.meta.url);
const relayScript = new URL('./lib/fc5-relay.mjs', import.meta.url).pathname;

const us = (ms) => `${(ms * 1000).toFixed(0).padStart(5)} µs`;

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

async function makeCert(dir) {
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const cert = join(dir, 'broker.crt');
  const key = join(dir, 'broker.key');
  await writeFile(cert, pems.cert);
  await writeFile(key, pems.private);
  return { cert, key, pem: pems.cert };
}

/** mosquitto with a plain listener and a TLS 1.2 one; resolves once it runs. */
async function startMosquitto(dir, cert) {
  const plain = await freePort();
  const tls = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type notice',
      'log_type information',
      // Run as root, mosquitto would switch to user "mosquitto", who cannot read the temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      `listener ${plain} 127.0.0.1`,
      `listener ${tls} 127.0.0.1`,
      `cafile ${cert.cert}`,
      `certfile ${cert.cert}`,
      `keyfile ${cert.key}`,
      'tls_version tlsv1.2',
      // Nagle off towards the clients, as the clients here have it: with several topics in turn on
      // one connection, a small packet otherwise waits for the delayed ACK of the one before (40 ms).
      'set_tcp_nodelay true',
      '',
    ].join('\n'),
  );
  const child = launch(MOSQUITTO, ['-c', conf]);
  child.stdout.resume();
  await whenReady(child, 'mosquitto', stdoutLine(child, /mosquitto version \S+ running/, child.stderr));
  return { child, plain, tls };
}

/** The profile of one emulator: DO-00 published at QoS 0, DO-01 at QoS 1. */
async function writeProfile(dir, name, caFile) {
  const file = join(dir, `${name}.json`);
  const profile = {
    device: { name },
    slots: [{ slot: 1, module: '45MR-2600' }],
    internalRegisters: { quantities: { bool: 0, word: 0, dword: 0, float: 0 } },
    modbus: { idleTimeoutS: 0 },
    mqtt: {
      enabled: true,
      publishOnStart: false,
      clientId: `${name}-${process.pid}`,
      tls: { ca: caFile, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
      topics: [
        { ioName: '45MR-2600-0@DO-00', parameter: 'doStatus', enabled: true, qos: 0 },
        { ioName: '45MR-2600-0@DO-01', parameter: 'doStatus', enabled: true, qos: 1 },
      ],
    },
  };
  await writeFile(file, JSON.stringify(profile));
  return { file, profile };
}

/** The coil addresses of DO-00 and DO-01, from the build's own address map. */
async function coils(profileInput) {
  const [{ profileSchema }, { ManualClock }, { Device }, { ModbusService }, { pino }] = await Promise.all([
    import(new URL('config/profile.js', dist)),
    import(new URL('device/clock.js', dist)),
    import(new URL('device/device.js', dist)),
    import(new URL('modbus/service.js', dist)),
    import('pino'),
  ]);
  const profile = profileSchema.parse(profileInput);
  const clock = new ManualClock();
  const device = new Device(profile, clock);
  const map = new ModbusService(device, clock, profile.modbus, pino({ level: 'silent' })).map();
  const coil = (io) => map.find((r) => r.ioName === io && r.parameter === 'doStatus').address;
  const out = [coil('45MR-2600-0@DO-00'), coil('45MR-2600-0@DO-01')];
  device.dispose();
  return out;
}

async function sample(sub, topic, trigger) {
  const arrived = sub.next(topic);
  const t0 = performance.now();
  trigger();
  return (await arrived).at - t0;
}

/**
 * One connection kind: an emulator child, a reference publisher and a subscriber, all on `url`.
 * Returns the four paths (broker round trip and FC5, at QoS 0 and 1) and how to close them.
 */
async function setUpKind(mqtt, dir, kind, url, cert) {
  const name = `bench_${kind.replace(/\W/g, '')}`;
  const { file, profile } = await writeProfile(dir, name, cert.cert);
  const coil = await coils(profile);
  const tls = url.startsWith('mqtts:') ? { ca: cert.pem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } : {};
  const options = { reconnectPeriod: 0, ...tls };
  const sub = await subscriber(mqtt, url, [`${name}/#`, 'bench/ref/#', `bench/floor/${name}/#`], { options: { ...options, clientId: `bench-sub-${process.pid}-${name}` }, noDelay: true });
  const online = sub.next(`${name}/status`);
  // Its own directory: startEmulator's ready file must not be the last child's.
  const own = join(dir, name);
  mkdirSync(own);
  const { child, info } = await startEmulator(own, ['--profile', file, '--mqtt', url, '--http', 'off', '--https', 'off', '--modbus', '127.0.0.1:0', '--data-dir', own]);
  await online;
  const mb = await coilWriter(info.modbus);
  const reference = mqtt.connect(url, { ...options, clientId: `bench-ref-${process.pid}-${name}` });
  await once(reference, 'connect');
  reference.stream.setNoDelay(true);
  const state = [0, 0];
  const topicOf = (qos) => `${name}/read/45MR-2600-0@DO-0${qos}/doStatus`;
  // Each write flips the output, so every one is a change and publishes.
  const flip = (qos) => mb.writeCoil(coil[qos], (state[qos] ^= 1) === 1);
  // "online" comes before the client is ready, and a QoS 0 publication made before then is not
  // sent: a QoS 1 one waits in the outbox, so its arrival says the client is ready.
  await sample(sub, topicOf(1), () => flip(1));
  const floorPrefix = `bench/floor/${name}`;
  const relay = launch(process.execPath, [relayScript, url, floorPrefix, cert.cert]);
  const [, relayAddress] = await whenReady(relay, 'fc5-relay', stdoutLine(relay, /^listening (\S+)$/));
  const floor = await coilWriter(relayAddress);
  const floorState = [0, 0];
  const paths = [];
  for (const qos of [0, 1]) {
    let n = 0;
    const refTopic = `bench/ref/${kind}/${qos}`;
    paths.push({ kind, qos, path: 'ref', sub, topic: refTopic, trigger: () => reference.publish(refTopic, `{"value":${n++ & 1}}`, { qos }) });
    paths.push({ kind, qos, path: 'fc5', sub, topic: topicOf(qos), trigger: () => flip(qos) });
    paths.push({ kind, qos, path: 'floor', sub, topic: `${floorPrefix}/${qos}`, trigger: () => floor.writeCoil(qos, (floorState[qos] ^= 1) === 1) });
  }
  const close = async () => {
    mb.socket.destroy();
    floor.socket.destroy();
    await stop(relay);
    await reference.endAsync(true);
    await sub.client.endAsync(true);
    await stop(child);
  };
  return { paths, close };
}

export async function benchMqttMosquitto() {
  if (!existsSync(MOSQUITTO)) {
    console.log(`\nMQTT on mosquitto: skipped (${MOSQUITTO} is missing; scripts/install-peers.sh installs it)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'iothinx-bench-mosquitto-'));
  const cleanup = cleanupOnExit(dir);
  const kinds = [];
  try {
    const mqtt = await import('mqtt');
    const cert = await makeCert(dir);
    const broker = await startMosquitto(dir, cert);
    for (const [kind, url] of [['plain', `mqtt://127.0.0.1:${broker.plain}`], ['TLS 1.2', `mqtts://127.0.0.1:${broker.tls}`]]) {
      kinds.push(await setUpKind(mqtt, dir, kind, url, cert));
    }
    // Every path in one loop, the order rotated and reversed from round to round, so that the
    // machine's drift (other processes, CPU frequency), the emulator's warming up and whatever one
    // path leaves behind for the next fall on all of them alike.
    const paths = kinds.flatMap((k) => k.paths);
    for (let i = 0; i < WARMUP; i++) for (const p of paths) await sample(p.sub, p.topic, p.trigger);
    const samples = paths.map(() => []);
    const indexes = paths.map((_, k) => k);
    for (let i = 0; i < SAMPLES; i++) {
      const order = [...indexes.slice(i % paths.length), ...indexes.slice(0, i % paths.length)];
      for (const k of i & 1 ? order.reverse() : order) samples[k].push(await sample(paths[k].sub, paths[k].topic, paths[k].trigger));
    }
    const results = [];
    for (let k = 0; k < paths.length; k += 3) results.push({ kind: paths[k].kind, qos: paths[k].qos, samples: { ref: samples[k], fc5: samples[k + 1], floor: samples[k + 2] } });
    console.log(`\nMQTT Modbus coil write (FC5) to the message at a subscriber, mosquitto on 127.0.0.1, emulator a child process, ${SAMPLES} samples per path interleaved`);
    console.log(`  ${'case'.padEnd(13)} ${'broker round trip p50/p90/p99'.padEnd(29)}   ${'FC5 → message p50/p90/p99'.padEnd(29)}   ${'floor (fc5-relay) p50/p90/p99'.padEnd(29)}   p50 ratio`);
    for (const { kind, qos, samples } of results) {
      const q = (xs) => [0.5, 0.9, 0.99].map((p) => us(quantile(xs, p))).join(' ');
      const p50 = (xs) => quantile(xs, 0.5);
      const ratio = p50(samples.fc5) / p50(samples.ref);
      console.log(
        `  ${`${kind} QoS ${qos}`.padEnd(13)} ${q(samples.ref)}   ${q(samples.fc5)}   ${q(samples.floor)}   ${ratio.toFixed(2)}x ${ratio <= TARGET ? 'meets' : 'misses'} the target (<= ${TARGET}x); the floor ${(p50(samples.floor) / p50(samples.ref)).toFixed(2)}x, the emulator ${(p50(samples.fc5) / p50(samples.floor)).toFixed(2)}x the floor`,
      );
    }
  } finally {
    for (const k of kinds) await k.close();
    await stopAll();
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchMqttMosquitto();
