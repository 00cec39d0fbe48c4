import { describe, expect, it } from 'vitest';
import { listenAt } from '../../src/fleet/addressing.js';
import { expandTemplate, identityAt } from '../../src/fleet/identity.js';
import { fleetSchema, type FleetInput } from '../../src/config/fleet.js';
import { profileSchema } from '../../src/config/profile.js';

const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }] });
const fleet = (input: FleetInput = {}) => fleetSchema.parse(input);

describe('fleet identity templates', () => {
  it('expands {index}, {index:0N} and {name}', () => {
    expect(expandTemplate('Line1-{index:03}', { index: 7, name: 'x' })).toBe('Line1-007');
    expect(expandTemplate('{name}_{index}', { index: 1234, name: 'Pump' })).toBe('Pump_1234');
    expect(expandTemplate('SN{index:010}', { index: 42, name: 'x' })).toBe('SN0000000042');
  });

  it('makes 1,000 devices distinct on the wire by default: name, serial number, MAC, IP', () => {
    const ids = Array.from({ length: 1000 }, (_, k) => identityAt(profile, fleet(), k + 1).device);
    for (const field of ['name', 'serialNumber', 'mac', 'ip'] as const) expect(new Set(ids.map((d) => d[field])).size, field).toBe(1000);
    expect(ids[999]!.name).toBe('ioThinx_451-1000');
    expect(ids[0]).toMatchObject({ name: 'ioThinx_4510-001', serialNumber: 'TAGCB1100001', mac: '00:90:e8:00:00:02', ip: '192.168.127.2' });
    expect(ids[252]!.ip).toBe('192.168.127.254');
    expect(ids[253]!.ip).toBe('192.168.128.1');
    expect(ids.every((d) => !/\.(0|255)$/.test(d.ip))).toBe(true);
  });

  it('takes templates, and names the field and the device index when one makes a bad identity', () => {
    const f = fleet({ identity: { name: 'Line1-{index:03}', serialNumber: 'L1{index:06}', mqttClientId: 'plant/{name}' } });
    expect(identityAt(profile, f, 17)).toEqual({ device: expect.objectContaining({ name: 'Line1-017', serialNumber: 'L1000017' }), mqttClientId: 'plant/Line1-017' });
    expect(() => identityAt(profile, fleet({ identity: { name: 'AVeryLongLineName-{index:03}' } }), 3)).toThrow(/fleet\.identity\.name: device 3 would be "AVeryLongLineName-003"/);
    expect(() => identityAt(profile, fleet({ identity: { ip: '10.0.0.{index}' } }), 300)).toThrow(/fleet\.identity\.ip: device 300 would be "10\.0\.0\.300"/);
  });
});

describe('fleet addressing', () => {
  it('ports: base + k per service, 0 = the OS picks, null = off; past 65535 is refused', () => {
    const ports = fleet().addressing;
    expect(listenAt(ports, 0)).toEqual({ http: { host: '127.0.0.1', port: 20000 }, modbus: { host: '127.0.0.1', port: 10000 }, snmp: { host: '127.0.0.1', port: 30000 } });
    expect(listenAt(ports, 16).modbus).toEqual({ host: '127.0.0.1', port: 10016 });
    const free = fleet({ addressing: { mode: 'ports', base: { http: 0, modbus: 0, snmp: null } } }).addressing;
    expect(listenAt(free, 99)).toEqual({ http: { host: '127.0.0.1', port: 0 }, modbus: { host: '127.0.0.1', port: 0 }, snmp: null });
    expect(() => listenAt(ports, 40_000)).toThrow(/fleet\.addressing\.base\.http: device 40001 would need port 60000|fleet\.addressing\.base\.snmp/);
  });

  it('loopback: one address per device with the real ports, inside 127.0.0.0/8', () => {
    const lo = fleet({ addressing: { mode: 'loopback' } }).addressing;
    expect(listenAt(lo, 0)).toEqual({ http: { host: '127.0.1.1', port: 80 }, modbus: { host: '127.0.1.1', port: 502 }, snmp: { host: '127.0.1.1', port: 161 } });
    expect(listenAt(lo, 255).modbus).toEqual({ host: '127.0.2.0', port: 502 });
    expect(() => listenAt(fleet({ addressing: { mode: 'loopback', first: '10.0.0.1' } }).addressing, 0)).toThrow(/outside 127\.0\.0\.0\/8/);
  });
});
