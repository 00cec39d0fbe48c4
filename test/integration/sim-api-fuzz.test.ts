/**
 * Bad input never yields a 5xx and never changes the device: every route of the emulator API
 * (taken from its own OpenAPI document) gets seeded garbage: malformed JSON, wrong types,
 * unknown fields, huge bodies, bad path parameters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { mulberry32, type Random } from '../../src/sim/random.js';
import { startSimApp, type SimApp } from '../helpers/sim-app.js';

const profile = profileSchema.parse({
  slots: [
    { slot: 1, module: '45MR-1600', channels: [{ index: 0, mode: 'counter' }] },
    { slot: 2, module: '45MR-2600', channels: [{ index: 1, mode: 'pulse' }] },
    { slot: 3, module: '45MR-3800' },
    { slot: 4, module: '45MR-6810' },
  ],
  serial: { port: 'virtual:bus', fieldDevices: [{ name: 'meter', definition: 'power-meter' }] },
});

let sim: SimApp | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const GARBAGE: ((r: Random) => string)[] = [
  () => '{"value":',
  () => 'null',
  () => '[]',
  () => '"text"',
  () => '{"value":"1"}',
  () => '{"value":1e400}',
  () => '{"level":2}',
  () => '{"physical":"12"}',
  () => '{"signal":{"kind":"square"}}',
  () => '{"signal":{"kind":"nope","periodMs":1}}',
  () => '{"ms":-1}',
  () => '{"ms":1e12}',
  () => '{"entries":[{"ip":"300.1.1.1"}]}',
  () => '{"overrides":[{"slot":99}]}',
  () => '{"slots":"none"}',
  () => '{"unknownField":true}',
  () => '{"__proto__":{"polluted":true}}',
  (r) => JSON.stringify({ value: Math.floor(r() * 1e6) - 5e5, extra: r() }),
  (r) => Array.from({ length: 1 + Math.floor(r() * 64) }, () => String.fromCharCode(Math.floor(r() * 256))).join(''),
  () => `{"value":"${'x'.repeat(1_100_000)}"}`,
];

const PARAMS: Record<string, string[]> = {
  slot: ['1', '2', '99', '-1', '1.5', 'x', '0'],
  index: ['0', '1', '64', '-1', 'abc'],
  attribute: ['doStatus', 'diCounterValue', 'nope', 'aiValueRaw'],
  ioName: ['WIR-00', 'FIR-01', 'XIR-00', '%ZZ'],
  name: ['meter', 'nope', '%ZZ'],
  point: ['ctPrimary', 'voltageL1', 'nope'],
};

function fill(path: string, r: Random): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const options = PARAMS[name] ?? ['x'];
    return options[Math.floor(r() * options.length)]!;
  });
}

describe('/sim/v1 fuzz', () => {
  it('answers every malformed request with a 4xx and changes nothing', async () => {
    sim = await startSimApp(profile);
    const { device, modbus, config } = sim;
    const base = `http://${sim.listener.address}`;
    const doc = (await (await fetch(`${base}/sim/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const targets = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m === 'put' || m === 'post')
        .map((method) => ({ path, method: method.toUpperCase() })),
    );
    expect(targets.length).toBeGreaterThan(8);
    const before = JSON.stringify(device.snapshot());
    const accessBefore = JSON.stringify(modbus.accessibleIps());
    const r = mulberry32(42);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 600; i++) {
      const target = targets[Math.floor(r() * targets.length)]!;
      const body = GARBAGE[Math.floor(r() * GARBAGE.length)]!(r);
      const contentType = r() < 0.9 ? 'application/json' : 'text/plain';
      const res = await fetch(`${base}/sim/v1${fill(target.path, r)}`, { method: target.method, headers: { 'content-type': contentType }, body });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${target.method} ${target.path} with ${body.slice(0, 60)}`).toBeLessThan(500);
    }
    // Every body above is invalid for every route, so nothing may have changed.
    expect(statuses.get(200)).toBeUndefined();
    expect(JSON.stringify(device.snapshot())).toBe(before);
    expect(device.lastSeq).toBe(0);
    expect(JSON.stringify(modbus.accessibleIps())).toBe(accessBefore);
    expect(config.applied).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
