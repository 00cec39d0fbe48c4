// Issue #9, part 5: Prometheus metrics at GET /metrics, scraped over real HTTP and parsed from
// the text exposition, against the bundled CLI (prom-client loaded lazily inside the bundle).
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { cleanupProcesses, startCli } from '../helpers/process.js';
import { RawModbusClient, readPdu } from '../helpers/modbus-client.js';
import { startSimApp, type SimApp } from '../helpers/sim-app.js';
import { until } from '../helpers/until.js';
import { basic, getFrom } from '../helpers/http.js';

const RTU_GATEWAY = new URL('../../profiles/rtu-gateway.yaml', import.meta.url).pathname;
const API_HEADERS = { accept: 'vdn.dac.v2', 'content-type': 'application/json' };

const apps: SimApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await cleanupProcesses();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition's sample lines (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels, or undefined. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).sort().join();
  return samples.find((s) => s.name === name && Object.entries(s.labels).sort().join() === want)?.value;
}

async function scrape(http: string, headers: Record<string, string> = {}): Promise<Sample[]> {
  const res = await fetch(`http://${http}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}



describe('GET /metrics (CLI, rtu-gateway profile)', () => {
  it('counts requests per protocol and result, and reads MQTT, serial, faults and refusals at scrape time', async () => {
    const started = await startCli(['--profile', RTU_GATEWAY, '--http', '127.0.0.1:0', '--https', 'off', '--modbus', '127.0.0.1:0', '--mqtt', 'embedded', '--broker', '127.0.0.1:0', '--quiet']);
    const { http, modbus, mqtt } = started.ready;
    const sim = `http://${http}/sim/v1`;
    const modbusPort = Number(modbus!.split(':').pop());

    // Modbus: good reads (FC 3) and reads out of the map (exception 2), in runs and in turn (the
    // tallies remember the pair counted last).
    const client = await RawModbusClient.connect(modbusPort);
    const map = (await (await fetch(`${sim}/modbus/map`)).json()) as { table: string; address: number }[];
    const holding = map.find((r) => r.table === 'holding')!;
    await client.readWords(3, holding.address, 1);
    await client.readWords(3, holding.address, 1);
    expect(await client.exception(readPdu(3, 0xfff0, 1))).toBe(2);
    await client.readWords(3, holding.address, 1);
    expect(await client.exception(readPdu(3, 0xfff0, 1))).toBe(2);
    await client.end();

    // Device API: a 200 and a 4xx (missing headers); /sim/v1: one field write.
    expect((await fetch(`http://${http}/api/sysInfo/device`, { headers: API_HEADERS })).status).toBe(200);
    expect((await fetch(`http://${http}/api/sysInfo/device`)).status).toBeGreaterThanOrEqual(400);
    const put = await fetch(`${sim}/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level: 1 }) });
    expect(put.status).toBe(200);

    // MQTT: one accepted write, one refused.
    const broker = await connectAsync(mqtt!);
    try {
      await broker.publishAsync('RtuGateway01/write/45MR-2600-0@DO-01/doStatus', JSON.stringify({ value: 1 }), { qos: 1 });
      await broker.publishAsync('RtuGateway01/write/45MR-2600-0@DO-01/doStatus', 'not json', { qos: 1 });
      await until('both MQTT writes', async () => (valueOf(await scrape(http!), 'iothinx_mqtt_writes_received_total') === 2 ? true : undefined));
    } finally {
      await broker.endAsync();
    }

    // Serial: the transmitter stops answering; its polls time out while the meter's succeed.
    const fault = await fetch(`${sim}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'serial', device: 'tt1', fault: { kind: 'no-answer' } }) });
    expect(fault.status).toBeLessThan(300);
    const s = await until('polls of both kinds', async () => {
      const samples = await scrape(http!);
      return (valueOf(samples, 'iothinx_serial_poll_errors_total', { profile: 'tt1', kind: 'timeout' }) ?? 0) > 0 && (valueOf(samples, 'iothinx_serial_polls_ok_total', { profile: 'meterVI' }) ?? 0) > 0 ? samples : undefined;
    });

    expect(valueOf(s, 'iothinx_modbus_requests_total', { function: '3', result: 'ok' })).toBe(3);
    expect(valueOf(s, 'iothinx_modbus_requests_total', { function: '3', result: 'exception_2' })).toBe(2);
    expect(valueOf(s, 'iothinx_requests_total', { source: 'modbus', result: 'ok' })).toBe(3);
    expect(valueOf(s, 'iothinx_requests_total', { source: 'modbus', result: 'exception_2' })).toBe(2);
    // /sim/v1 journals its writes only: the PUT above and the fault POST.
    expect(valueOf(s, 'iothinx_requests_total', { source: 'rest', result: '2xx' })).toBe(1);
    expect(valueOf(s, 'iothinx_requests_total', { source: 'rest', result: '4xx' })).toBe(1);
    expect(valueOf(s, 'iothinx_requests_total', { source: 'http', result: '2xx' })).toBe(2);
    expect(valueOf(s, 'iothinx_requests_total', { source: 'mqtt', result: 'ok' })).toBe(1);
    expect(s.filter((x) => x.name === 'iothinx_requests_total' && x.labels.source === 'mqtt' && x.labels.result !== 'ok').map((x) => x.value)).toEqual([1]);
    expect(valueOf(s, 'iothinx_writes_total', { source: 'mqtt', result: 'ok' })).toBe(1);
    // Changes: the /sim/v1 field write (source sim) and the MQTT write.
    expect(valueOf(s, 'iothinx_changes_total', { source: 'sim' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(s, 'iothinx_changes_total', { source: 'mqtt' })).toBeGreaterThanOrEqual(1);

    expect(valueOf(s, 'iothinx_mqtt_connected')).toBe(1);
    expect(valueOf(s, 'iothinx_mqtt_writes_rejected_total')).toBe(1);
    expect(valueOf(s, 'iothinx_mqtt_published_total')).toBeGreaterThan(0);
    expect(valueOf(s, 'iothinx_mqtt_queue_length')).toBeGreaterThanOrEqual(0);
    expect(valueOf(s, 'iothinx_mqtt_dropped_total')).toBe(0);

    const port = s.find((x) => x.name === 'iothinx_serial_port_open');
    expect(port).toMatchObject({ labels: { kind: 'virtual' }, value: 1 });
    expect(valueOf(s, 'iothinx_serial_polls_total', { profile: 'meterVI' })).toBeGreaterThanOrEqual(valueOf(s, 'iothinx_serial_polls_ok_total', { profile: 'meterVI' })!);
    expect(valueOf(s, 'iothinx_serial_poll_errors_total', { profile: 'meterVI', kind: 'timeout' })).toBe(0);
    expect(valueOf(s, 'iothinx_serial_profile_error_code', { profile: 'tt1' })).toBe(0x0b);
    expect(valueOf(s, 'iothinx_faults_active', { kind: 'serial' })).toBe(1);
    expect(valueOf(s, 'iothinx_faults_active', { kind: 'modbus-drop' })).toBe(0);
    expect(valueOf(s, 'iothinx_device_uptime_seconds')).toBeGreaterThanOrEqual(0);
    expect(valueOf(s, 'iothinx_journal_entries')).toBeGreaterThan(0);
    expect(valueOf(s, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(s.some((x) => x.name === 'nodejs_eventloop_lag_seconds')).toBe(true);

    // The accessible-IP list with additional restrictions: only 127.0.0.1 may talk, to Modbus and HTTP.
    const list = { enabled: true, additionalRestrictions: true, entries: [{ ip: '127.0.0.1', netmask: '255.255.255.255', active: true }] };
    expect((await fetch(`${sim}/modbus/accessible-ips`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(list) })).status).toBe(200);
    const refused = RawModbusClient.open(modbusPort, { localAddress: '127.0.0.2' });
    await refused.closed;
    expect(await getFrom('127.0.0.2', http!, '/metrics')).toBe('ECONNRESET');
    const after = await scrape(http!);
    expect(valueOf(after, 'iothinx_connections_refused_total', { service: 'modbus', reason: 'accessible_ip_list' })).toBe(1);
    expect(valueOf(after, 'iothinx_connections_refused_total', { service: 'modbus', reason: 'connection_limit' })).toBe(0);
    expect(valueOf(after, 'iothinx_connections_refused_total', { service: 'http', reason: 'accessible_ip_list' })).toBe(1);
  });

  it('starts afresh after an in-process restart (PUT /sim/v1/config), with a registry of its own', async () => {
    const started = await startCli(['--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'off', '--quiet']);
    const http = started.ready.http!;
    const api = () => fetch(`http://${http}/api/sysInfo/device`, { headers: API_HEADERS });
    await api();
    expect(valueOf(await scrape(http), 'iothinx_requests_total', { source: 'rest', result: '2xx' })).toBe(1);
    const config = await (await fetch(`http://${http}/sim/v1/config`)).json();
    const put = await fetch(`http://${http}/sim/v1/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(config) });
    expect(put.status).toBe(200);
    // The restart happens once the PUT's response is out: wait for the new device's first request to count alone.
    const samples = await until('the restarted emulator', async () => {
      const res = await api().catch(() => undefined);
      if (res?.status !== 200) return undefined;
      const s = await scrape(http);
      return valueOf(s, 'iothinx_requests_total', { source: 'http', result: '2xx' }) === undefined ? s : undefined;
    });
    expect(valueOf(samples, 'iothinx_requests_total', { source: 'rest', result: '2xx' }) ?? 0).toBeLessThanOrEqual(1);
    // Modbus and MQTT are off: no samples, and no error.
    expect(samples.some((x) => x.name.startsWith('iothinx_mqtt_'))).toBe(false);
    expect(samples.some((x) => x.name === 'iothinx_modbus_connections')).toBe(false);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});

describe('GET /metrics with accounts on', () => {
  it('needs the User role, as the GET /sim/v1 routes do', async () => {
    const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }], http: { accounts: { enabled: true } } });
    const sim = await startSimApp(profile);
    apps.push(sim);
    const http = sim.listener.address;
    const anonymous = await fetch(`http://${http}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    const samples = await scrape(http, { authorization: basic('admin', 'moxa') });
    expect(valueOf(samples, 'iothinx_faults_active', { kind: 'serial' })).toBe(0);
    // Built through src/app as every device is: the HTTP listener's refusals are counted too.
    expect(valueOf(samples, 'iothinx_connections_refused_total', { service: 'http', reason: 'accessible_ip_list' })).toBe(0);
  });
});
