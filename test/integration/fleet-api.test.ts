/**
 * #16 item 3: one control surface. A fleet started in-process with its API on port 0: list, add
 * and remove at run time, a device's /sim/v1 and /api through the fleet path (devices without a
 * listener of their own), fleet-wide field writes, faults and the shared clock, one event stream
 * naming the device, metrics with a `device` label, and 4xx naming the field.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetInput } from '../../src/config/fleet.js';
import { ApiFleets, call } from '../helpers/fleet-api.js';

const fleets = new ApiFleets();
const aborts: AbortController[] = [];

afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  await fleets.stopAll();
});

const startFleet = (count: number, input: FleetInput = {}, clock: 'manual' | 'real' = 'manual') => fleets.start(count, { input, clock });

interface Device {
  index: number;
  name: string;
  serialNumber: string;
  endpoints: Record<string, string | null>;
  health: { ready: boolean; mqtt: string };
  links: { sim: string; api: string };
}
interface Outcome {
  succeeded: number;
  failed: number;
  results: { device: string; ok: boolean; result?: Record<string, unknown>; error?: { statusCode: number; code: string; path: string | null } }[];
}

describe('the fleet API (/fleet/v1)', () => {
  it('lists the devices with endpoints and health, serves each device under its name, and adds and removes at run time', async () => {
    const { fleet, base } = await startFleet(3);
    const list = await call<{ devices: Device[] }>(`${base}/devices`);
    expect(list.status).toBe(200);
    expect(list.body.devices.map((d) => d.name)).toEqual(['ioThinx_4510-001', 'ioThinx_4510-002', 'ioThinx_4510-003']);
    const [first, second] = list.body.devices as [Device, Device];
    // The fleet API listens: a device's own HTTP listener is off by default, Modbus is on.
    expect(first.endpoints.http).toBeNull();
    expect(first.endpoints.modbus).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first.health).toEqual({ ready: true, mqtt: 'off' });
    expect(first.links.sim).toBe('/fleet/v1/devices/ioThinx_4510-001/sim/v1/');
    expect((await call(`${base}/health`)).body).toMatchObject({ status: 'ready', devices: 3, ready: 3, starting: [] });

    // One device's /sim/v1 and /api through the fleet path, each its own device.
    const device = await call<{ name: string; serialNumber: string }>(`http://${fleet.httpAddress}${second.links.sim}device`);
    expect(device.status).toBe(200);
    expect([device.body.name, device.body.serialNumber]).toEqual([second.name, second.serialNumber]);
    const sysInfo = await call<{ serialNumber: string }>(`http://${fleet.httpAddress}${second.links.api}sysInfo/device`, 'GET', undefined, { accept: 'vdn.dac.v2', 'content-type': 'application/json' });
    expect(sysInfo.status).toBe(200);
    expect(sysInfo.body.serialNumber).toBe(second.serialNumber);
    // A write through the fleet path goes through the device's own route (and its body rules).
    const put = await call(`${base}/devices/ioThinx_4510-002/sim/v1/slots/1/channels/0`, 'PUT', { level: 1 });
    expect(put.status).toBe(200);
    expect(fleet.device(2)!.device.channel(1, 0).field().level).toBe(1);
    expect(fleet.device(1)!.device.channel(1, 0).field().level).toBe(0);
    const bad = await call(`${base}/devices/ioThinx_4510-002/sim/v1/slots/1/channels/0`, 'PUT', { level: 7 });
    expect(bad.body).toMatchObject({ statusCode: 400, code: 'HTTP_BAD_REQUEST', path: 'level' });
    // The device's cross-site guard holds through the fleet path too.
    const form = await fetch(`${base}/devices/ioThinx_4510-002/sim/v1/slots/1/channels/0`, { method: 'PUT', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: 'x' });
    expect(form.status).toBe(403);
    expect((await call(`${base}/devices/nobody/sim/v1/device`)).body).toMatchObject({ statusCode: 404 });
    expect((await call(`${base}/devices/nobody`)).body).toMatchObject({ statusCode: 404, code: 'FLEET_DEVICE_UNKNOWN', path: 'name' });

    // Add at run time: 201, listed, served; the same index again is 409; a bad body names the field.
    const added = await call<Device>(`${base}/devices`, 'POST', { index: 10 });
    expect(added.status).toBe(201);
    expect(added.body.name).toBe('ioThinx_4510-010');
    expect((await call(`http://${fleet.httpAddress}${added.body.links.sim}health`)).status).toBe(200);
    expect((await call(`${base}/devices`, 'POST', { index: 10 })).body).toMatchObject({ statusCode: 409, code: 'FLEET_DEVICE_EXISTS' });
    expect((await call(`${base}/devices`, 'POST', { index: 'x' })).body).toMatchObject({ statusCode: 400, path: 'index' });
    expect((await call(`${base}/devices`, 'POST', { index: 4, extra: 1 })).body).toMatchObject({ statusCode: 400, path: 'extra' });

    // Remove: gone from the list and from the fleet path; the others keep answering.
    expect((await call(`${base}/devices/ioThinx_4510-001`, 'DELETE')).body).toEqual({ removed: 'ioThinx_4510-001' });
    expect((await call(`${base}/devices/ioThinx_4510-001`, 'DELETE')).status).toBe(404);
    expect((await call<{ devices: Device[] }>(`${base}/devices`)).body.devices.map((d) => d.index)).toEqual([2, 3, 10]);
    expect((await call(`${base}/devices/ioThinx_4510-001/sim/v1/health`)).status).toBe(404);
    expect((await call(`${base}/devices/ioThinx_4510-003/sim/v1/health`)).status).toBe(200);
  });

  it('keeps a device listener where the addressing names its port', async () => {
    const { fleet } = await startFleet(2, { addressing: { mode: 'ports', base: { http: 0, modbus: 0, snmp: null } } });
    const own = fleet.list()[0]!.addresses.http;
    expect(own).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await call<{ name: string }>(`http://${own}/sim/v1/device`)).body.name).toBe('ioThinx_4510-001');
  });

  it('sets the same field input on exactly the named devices, through the device field write (signal detached, journaled)', async () => {
    const { fleet, base } = await startFleet(4);
    // DI-02 of slot 1 runs a square wave in the default profile: the write takes over from it.
    const level = 1 - Number(fleet.device(2)!.device.channel(1, 2).field().level);
    const field = await call<Outcome>(`${base}/field`, 'PUT', { devices: ['ioThinx_4510-002', 'ioThinx_4510-004'], slot: 1, channel: 2, input: { level } });
    expect(field.status).toBe(200);
    expect(field.body).toMatchObject({ succeeded: 2, failed: 0 });
    expect(field.body.results.map((r) => [r.device, r.ok, r.result?.signal])).toEqual([
      ['ioThinx_4510-002', true, null],
      ['ioThinx_4510-004', true, null],
    ]);
    const levels = [1, 2, 3, 4].map((i) => fleet.device(i)!.device.channel(1, 2).field().level);
    const signals = [1, 2, 3, 4].map((i) => fleet.device(i)!.signals.get(fleet.device(i)!.device.channel(1, 2)) !== undefined);
    expect(signals).toEqual([true, false, true, false]);
    expect(levels).toEqual([1 - level, level, 1 - level, level]);
    const journal = fleet.device(2)!.device.journal.query().filter((e) => e.kind === 'change' && e.source === 'sim');
    expect(journal.map((e) => [e.kind === 'change' && e.attribute, e.kind === 'change' && e.value])).toContainEqual(['diStatus', level]);

    // Per device: one without the slot fails with its own error, the others succeed.
    await call(`${base}/devices`, 'POST', { index: 9 });
    const mixed = await call<Outcome>(`${base}/field`, 'PUT', { devices: 'all', slot: 1, channel: 0, input: { physical: 5 } });
    expect(mixed.body.failed).toBe(5);
    expect(mixed.body.results[0]!.error).toMatchObject({ statusCode: 409, code: 'DEVICE_NOT_APPLICABLE', path: 'input.physical' });
    const slot = await call<Outcome>(`${base}/field`, 'PUT', { devices: ['ioThinx_4510-001'], slot: 31, channel: 0, input: { level: 1 } });
    expect(slot.body.results[0]!.error).toMatchObject({ statusCode: 404, code: 'DEVICE_UNKNOWN_SLOT', path: 'slot' });

    // The whole request is refused, naming the field, before anything is applied.
    const unknown = await call(`${base}/field`, 'PUT', { devices: ['ioThinx_4510-001', 'nobody'], slot: 1, channel: 0, input: { level: 1 } });
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'FLEET_DEVICE_UNKNOWN', path: 'devices.1' });
    expect(fleet.device(1)!.device.channel(1, 0).field().level).toBe(0);
    expect((await call(`${base}/field`, 'PUT', { devices: [], slot: 1, channel: 0, input: { level: 1 } })).body).toMatchObject({ statusCode: 400, path: 'devices' });
    expect((await call(`${base}/field`, 'PUT', { devices: 'all', slot: 1, channel: 0, input: { level: 3 } })).body).toMatchObject({ statusCode: 400, path: 'input.level' });
    expect((await call(`${base}/field`, 'PUT', { devices: 'all', slot: 1, channel: 0, input: {} })).body).toMatchObject({ statusCode: 400, path: 'input' });
    const tooMany = Array.from({ length: 10_001 }, (_, i) => `d${i}`);
    expect((await call(`${base}/field`, 'PUT', { devices: tooMany, slot: 1, channel: 0, input: { level: 1 } })).body).toMatchObject({ statusCode: 400, path: 'devices' });
  });

  it('injects a fault on a selection and clears it; advances the one shared clock', async () => {
    const { fleet, base } = await startFleet(3);
    const fault = await call<Outcome>(`${base}/faults`, 'POST', { devices: ['ioThinx_4510-001', 'ioThinx_4510-003'], fault: { kind: 'module-failed', slot: 2 } });
    expect(fault.body).toMatchObject({ succeeded: 2, failed: 0 });
    expect([1, 2, 3].map((i) => fleet.device(i)!.device.faults.active().length)).toEqual([1, 0, 1]);
    const missing = await call<Outcome>(`${base}/faults`, 'POST', { devices: 'all', fault: { kind: 'module-removed', slot: 9 } });
    expect(missing.body.results[0]!.error).toMatchObject({ statusCode: 400, path: 'fault.slot' });
    expect((await call(`${base}/faults`, 'POST', { devices: 'all', fault: { kind: 'nope' } })).body).toMatchObject({ statusCode: 400, path: 'fault.kind' });
    const cleared = await call<Outcome>(`${base}/faults/clear`, 'POST', { devices: 'all' });
    expect(cleared.body.results.map((r) => r.result)).toEqual([{ cleared: 1 }, { cleared: 0 }, { cleared: 1 }]);

    const before = (await call<{ monotonic: number }>(`${base}/clock`)).body.monotonic;
    const advanced = await call<{ monotonic: number }>(`${base}/clock/advance`, 'POST', { ms: 5000 });
    expect(advanced.body.monotonic - before).toBe(5000);
    // Every device runs on that one clock.
    const uptimes = await Promise.all([1, 2, 3].map(async (i) => (await call<{ uptime: number }>(`${base}/devices/ioThinx_4510-00${i}/sim/v1/health`)).body.uptime));
    expect(new Set(uptimes).size).toBe(1);
    expect(uptimes[0]).toBeGreaterThanOrEqual(5);
    expect((await call(`${base}/clock/advance`, 'POST', { ms: -1 })).body).toMatchObject({ statusCode: 400, path: 'ms' });
  });

  it('answers 409 to a clock advance on the real clock', async () => {
    const { base } = await startFleet(1, {}, 'real');
    expect((await call(`${base}/clock/advance`, 'POST', { ms: 10 })).body).toMatchObject({ statusCode: 409, code: 'CLOCK_NOT_MANUAL' });
  });

  it('streams every device change with the device name, and devices coming and going', async () => {
    const { base } = await startFleet(2);
    const abort = new AbortController();
    aborts.push(abort);
    const res = await fetch(`${base}/events`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until_: (t: string) => boolean) => {
      while (!until_(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended: ${text}`);
        text += new TextDecoder().decode(value);
      }
    };
    await read((t) => t.includes('fleet events'));
    await call(`${base}/field`, 'PUT', { devices: ['ioThinx_4510-002'], slot: 1, channel: 0, input: { level: 1 } });
    await read((t) => t.includes('event: change'));
    const change = JSON.parse(/event: change\ndata: (.*)\n/.exec(text)![1]!) as { device: string; ioName: string; attribute: string; source: string };
    expect(change).toMatchObject({ device: 'ioThinx_4510-002', ioName: '45MR-1600-0@Button', attribute: 'diStatus', source: 'sim' });
    await call(`${base}/devices`, 'POST', { index: 5 });
    await read((t) => t.includes('event: device'));
    expect(text).toContain('"device":"ioThinx_4510-005","index":5,"action":"added"');
  });

  it('exports Prometheus metrics with a device label', async () => {
    const { base } = await startFleet(2);
    await call(`${base}/devices/ioThinx_4510-001/sim/v1/slots/1/channels/0`, 'PUT', { level: 1 });
    // Device 2 is changed only through the fleet-wide route, so its app was never built: its
    // metrics belong to the device and count from its start, not from the first scrape.
    expect((await call(`${base}/field`, 'PUT', { devices: ['ioThinx_4510-002'], slot: 1, channel: 4, input: { level: 1 } })).status).toBe(200);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('iothinx_fleet_devices 2');
    expect(text).toMatch(/^iothinx_device_uptime_seconds\{device="ioThinx_4510-001"\} /m);
    expect(text).toMatch(/^iothinx_device_uptime_seconds\{device="ioThinx_4510-002"\} /m);
    expect(text).toMatch(/^iothinx_changes_total\{device="ioThinx_4510-001",source="sim"\} [1-9]/m);
    expect(text).toMatch(/^iothinx_changes_total\{device="ioThinx_4510-002",source="sim"\} [1-9]/m);
    // One HELP and TYPE per family, whatever the number of devices.
    expect(text.match(/^# TYPE iothinx_device_uptime_seconds /gm)).toHaveLength(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
  });
});
