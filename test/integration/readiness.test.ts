/**
 * #17: GET /sim/v1/health/ready says ready only once every service the device runs is up and its
 * MQTT client is connected (503 with the same body before, and while the client reconnects);
 * GET /sim/v1/health stays the liveness answer with its old body. The CLI takes its common flags
 * from IOTHINX_SIM_* variables (src/cli/env.ts), the command line winning.
 */
import { request } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Emulator } from '../../src/app/emulator.js';
import { loadProfile } from '../../src/config/load.js';
import { EmbeddedBroker } from '../../src/mqtt/broker.js';
import { SimClient } from '../../src/testing/client.js';
import { cleanupProcesses, runCli, startCliWith } from '../helpers/process.js';
import { until } from '../helpers/until.js';

const PROFILE = new URL('../../profiles/default.yaml', import.meta.url).pathname;
const free = { host: '127.0.0.1', port: 0 };
const logger = pino({ level: 'silent' });
const owned: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  for (const o of owned.splice(0).reverse()) await o.stop();
  await cleanupProcesses();
});

async function broker(port: number): Promise<EmbeddedBroker> {
  const started = await EmbeddedBroker.start({ host: '127.0.0.1', port }, logger);
  owned.push({ stop: () => started.close() });
  return started;
}

/** GET with a Host header of our choosing (fetch sends the URL's). */
function statusWithHost(address: string, path: string, host: string): Promise<number> {
  const [hostname, port] = address.split(':');
  return new Promise((resolve, reject) => {
    request({ host: hostname, port: Number(port), path, headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

async function ready(http: string): Promise<{ status: number; body: { status: string; services: Record<string, string> } }> {
  const res = await fetch(`http://${http}/sim/v1/health/ready`);
  return { status: res.status, body: (await res.json()) as { status: string; services: Record<string, string> } };
}

describe('GET /sim/v1/health/ready (#17)', () => {
  it('is 503 while the MQTT client is not connected to its broker and 200 once it is; /health stays 200 with its old body', async () => {
    // A broker that is gone: its port is known and nothing listens there.
    const gone = await broker(0);
    const port = gone.port;
    await gone.close();
    const emulator = await Emulator.start({ profile: await loadProfile(PROFILE), profileFile: PROFILE, logger, http: free, modbus: free, snmp: free, mqtt: `mqtt://127.0.0.1:${port}` });
    owned.push(emulator);
    const http = emulator.addresses.http!;

    const before = await ready(http);
    expect(before.status).toBe(503);
    expect(before.body).toEqual({ status: 'starting', services: { modbus: 'up', serial: 'off', http: 'up', mqtt: 'connecting', snmp: 'up' } });
    // The typed client gives the document on 503 too.
    expect(await new SimClient(`http://${http}`).readiness()).toEqual(before.body);
    const live = await fetch(`http://${http}/sim/v1/health`);
    expect(live.status).toBe(200);
    expect(Object.keys((await live.json()) as object).sort()).toEqual(['clock', 'lastSeq', 'status', 'uptime']);

    await broker(port);
    await emulator.mqttService!.whenConnected();
    const after = await ready(http);
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ status: 'ready', services: { modbus: 'up', serial: 'off', http: 'up', mqtt: 'connected', snmp: 'up' } });
  });

  it('goes back to 503 while an mqtt-disconnect fault holds the client off, and is 200 with every service off but HTTP', async () => {
    const emulator = await Emulator.start({ profile: await loadProfile(PROFILE), profileFile: PROFILE, logger, http: free, modbus: null, snmp: null, mqtt: 'embedded', broker: free });
    owned.push(emulator);
    const http = emulator.addresses.http!;
    expect(await ready(http)).toEqual({ status: 200, body: { status: 'ready', services: { modbus: 'off', serial: 'off', http: 'up', mqtt: 'connected', snmp: 'off' } } });

    const fault = await fetch(`http://${http}/sim/v1/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'mqtt-disconnect' }) });
    expect(fault.status).toBe(201);
    await until('503 while the client is held off', async () => ((await ready(http)).status === 503 ? true : undefined));
    expect((await ready(http)).body.services.mqtt).toBe('connecting');
    expect((await fetch(`http://${http}/sim/v1/faults`, { method: 'DELETE', headers: { 'content-type': 'application/json' } })).status).toBe(200);
    await until('200 once it reconnected', async () => ((await ready(http)).status === 200 ? true : undefined));
  });
});

describe('IOTHINX_SIM_* variables (#17)', () => {
  it('give start its listeners and allowed hosts; a flag on the command line wins', async () => {
    const env = { IOTHINX_SIM_HTTP: '127.0.0.1:0', IOTHINX_SIM_MODBUS: '127.0.0.1:0', IOTHINX_SIM_SNMP: 'off', IOTHINX_SIM_MQTT: 'embedded', IOTHINX_SIM_BROKER: '127.0.0.1:0', IOTHINX_SIM_QUIET: '1', IOTHINX_SIM_ALLOWED_HOSTS: 'plant-device, other' };
    const { ready: file } = await startCliWith(['start', '--modbus', 'off'], undefined, env);
    expect(file.modbus).toBeNull();
    expect(file.snmp).toBeNull();
    expect(file.broker).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await ready(file.http!)).status).toBe(200);
    expect(await statusWithHost(file.http!, '/sim/v1/health', 'plant-device:8080')).toBe(200);
    expect(await statusWithHost(file.http!, '/sim/v1/health', 'elsewhere:8080')).toBe(421);
    // Served under those names, not written into the config: a saved config does not keep them.
    const config = (await (await fetch(`http://${file.http}/sim/v1/config`)).json()) as { limits: { http: { allowedHosts: string[] } } };
    expect(config.limits.http.allowedHosts).not.toContain('plant-device');
  });

  it('give fleet its count and device host, and a bad value names the variable (exit 2)', async () => {
    const env = { IOTHINX_SIM_FLEET_COUNT: '2', IOTHINX_SIM_FLEET_HOST: '127.0.0.1', IOTHINX_SIM_HTTP: '127.0.0.1:0', IOTHINX_SIM_MQTT: 'off' };
    const { ready: file } = await startCliWith(['fleet', '--addressing', 'ports:0', '--quiet'], undefined, env);
    const devices = (file as unknown as { devices: { modbus: string }[] }).devices;
    expect(devices).toHaveLength(2);
    const health = await fetch(`http://${file.http}/fleet/v1/health`);
    expect(health.status).toBe(200);
    const bad = await runCli(['start', '--quiet'], 15_000, { IOTHINX_SIM_MODBUS: 'nowhere' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('IOTHINX_SIM_MODBUS=nowhere');
  });
});
