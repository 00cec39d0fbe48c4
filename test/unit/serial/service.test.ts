import { describe, expect, it, onTestFinished } from 'vitest';
import { profileSchema, type ProfileInput } from '../../../src/config/profile.js';
import { ManualClock } from '../../../src/device/clock.js';
import { Device } from '../../../src/device/device.js';
import { SerialService } from '../../../src/serial/service.js';
import { FieldDevice } from '../../../src/sim/field-device.js';
import { fieldDeviceSchema } from '../../../src/sim/field-device-schema.js';
import { mulberry32 } from '../../../src/sim/random.js';
import { problems } from '../helpers.js';
import pino from 'pino';

/** A small slave: holding 0..3 (uint16), input 0..3 as two float32, coils 0..7. */
const DEFINITION = fieldDeviceSchema.parse({
  name: 'test-slave',
  points: [
    { name: 'h0', table: 'holding', address: 0, type: 'uint16', value: 100 },
    { name: 'h1', table: 'holding', address: 1, type: 'int16', value: -5 },
    { name: 'h2', table: 'holding', address: 2, type: 'uint16', value: 7 },
    { name: 'h3', table: 'holding', address: 3, type: 'uint16', value: 8 },
    { name: 'volts', table: 'input', address: 0, type: 'float32', value: 230.5 },
    { name: 'amps', table: 'input', address: 2, type: 'float32', value: -1.25 },
    ...Array.from({ length: 8 }, (_, i) => ({ name: `c${i}`, table: 'coil', address: i, type: 'bool', value: i % 2 })),
  ],
});

const SERIAL = {
  port: 'virtual:bus',
  baudRate: 19_200,
  responseTimeoutMs: 100,
  retries: 1,
  profiles: [
    { name: 'holding', slaveId: 1, pointType: 3, startAddress: 0, length: 4, scanRate: 1, irType: 'word', irStart: 0, exceptionIr: 10 },
    { name: 'floats', slaveId: 1, pointType: 4, startAddress: 0, length: 4, scanRate: 2, irType: 'float', irStart: 0 },
    { name: 'coils', slaveId: 1, pointType: 1, startAddress: 0, length: 8, scanRate: 5, irType: 'bool', irStart: 0 },
  ],
} as const;

function serialRig(serial: object = SERIAL) {
  const clock = new ManualClock();
  const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-1600' }], serial } as ProfileInput);
  const device = new Device(profile, clock);
  const slave = new FieldDevice(DEFINITION, clock, 1);
  const service = new SerialService(device, clock, profile.serial, pino({ level: 'silent' }), [{ name: 'slave', slaveId: 1, space: slave, port: null, random: mulberry32(3) }]);
  onTestFinished(async () => {
    await service.close();
    device.dispose();
  });
  const ir = (name: string) => device.findIoName(name)!.read('irValue');
  const profileStatus = (name: string) => service.status().profiles.find((p) => p.name === name)!;
  return { clock, device, slave, service, ir, profileStatus };
}

describe('RTU master service (virtual bus, manual clock)', () => {
  it('fills WORD, FLOAT and BOOL IRs and keeps the RTU status words', async () => {
    const rig = serialRig();
    await rig.service.start();
    rig.clock.advance(1_000);
    expect([0, 1, 2, 3].map((i) => rig.ir(`WIR-0${i}`))).toEqual([100, -5, 7, 8]);
    expect([rig.ir('FIR-00'), rig.ir('FIR-01')]).toEqual([230.5, -1.25]);
    expect([0, 1, 2, 3].map((i) => rig.ir(`BIR-0${i}`))).toEqual([0, 1, 0, 1]);
    const status = rig.service.status();
    expect(status.port).toMatchObject({ state: 'open', kind: 'virtual' });
    expect(status.deviceStatus.slice(0, 3)).toEqual([0, 1, 0]);
    expect(status.deviceStatus[3]).toBe(status.profiles.reduce((n, p) => n + p.okCount, 0));
    expect(rig.profileStatus('holding')).toMatchObject({ state: 'ok', errorCode: 0, errorCount: 0 });
    expect(rig.profileStatus('holding').okCount).toBeGreaterThanOrEqual(9);
    expect(rig.device.head.rtuProfileErrorCode).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('reports each fault in the error code, the exception IR and the device status, and recovers', async () => {
    const rig = serialRig();
    await rig.service.start();
    rig.clock.advance(500);
    const cases = [
      [{ kind: 'no-answer' }, 0x0b, 'timeout'],
      [{ kind: 'crc' }, 0x0100, 'crc'],
      [{ kind: 'exception', exceptionCode: 6 }, 6, 'exception'],
    ] as const;
    for (const [fault, code, kind] of cases) {
      rig.service.setFault('slave', { ...fault, count: null });
      rig.clock.advance(1_500);
      expect(rig.profileStatus('holding')).toMatchObject({ state: 'error', errorCode: code });
      expect(rig.profileStatus('holding').lastError?.kind).toBe(kind);
      expect(rig.ir('WIR-10')).toBe(code);
      expect(rig.device.head.rtuProfileErrorCode[0]).toBe(code);
      expect(rig.device.head.rtuDeviceStatus[0]! & 0b111).toBe(0b111);
      rig.service.setFault('slave', { kind: 'none', count: null });
      rig.clock.advance(2_000);
      expect(rig.profileStatus('holding')).toMatchObject({ state: 'ok', errorCode: 0 });
      expect(rig.ir('WIR-10')).toBe(0);
      expect(rig.device.head.rtuDeviceStatus[0]).toBe(0);
    }
    // A slave slower than the timeout: no answer in time, and its late answers land on later
    // requests (another function: unexpected) or collide with them (bad CRC), as on a real bus.
    rig.service.setFault('slave', { kind: 'slow', delayMs: 400, count: null });
    rig.clock.advance(1_500);
    expect([0x0b, 0x0100, 0x0101]).toContain(rig.profileStatus('holding').errorCode);
    rig.service.setFault('slave', { kind: 'none', count: null });
    rig.clock.advance(2_000);
    expect(rig.profileStatus('holding')).toMatchObject({ state: 'ok', errorCode: 0 });
    const errors = rig.profileStatus('holding').errors;
    expect(errors.timeout).toBeGreaterThan(0);
    expect(errors.crc).toBeGreaterThan(0);
    expect(errors.exception).toBeGreaterThan(0);
    // The last good values stay in the IRs through the faults.
    expect(rig.ir('WIR-00')).toBe(100);
  });

  it('writes an IR changed from the northbound side through to the slave', async () => {
    const rig = serialRig();
    await rig.service.start();
    rig.clock.advance(200);
    rig.device.findIoName('WIR-02')!.write('irValue', 1234, 'modbus');
    rig.device.findIoName('BIR-00')!.write('irValue', 1, 'rest');
    rig.clock.advance(600);
    expect(rig.slave.get('h2')).toBe(1234);
    expect(rig.slave.get('c0')).toBe(1);
    expect(rig.profileStatus('holding').writes).toBe(1);
    expect(rig.profileStatus('coils').writes).toBe(1);
    // Input registers are read-only: changing their IR writes nothing.
    rig.device.findIoName('FIR-00')!.write('irValue', 1, 'rest');
    rig.clock.advance(100);
    expect(rig.profileStatus('floats').writes).toBe(0);
    expect(rig.slave.get('volts')).toBe(230.5);
  });

  it('counts a refused write-through as an error of its profile', async () => {
    const rig = serialRig();
    await rig.service.start();
    rig.clock.advance(200);
    rig.service.setFault('slave', { kind: 'exception', exceptionCode: 4, count: null });
    rig.device.findIoName('WIR-01')!.write('irValue', 9, 'mqtt');
    rig.clock.advance(50);
    rig.service.setFault('slave', { kind: 'none', count: null });
    expect(rig.profileStatus('holding')).toMatchObject({ writes: 1, writeErrors: 1 });
    expect(rig.profileStatus('holding').lastError).toMatchObject({ kind: 'exception', exceptionCode: 4 });
  });

  it('runs the same on every run: identical IR history with the manual clock', async () => {
    const history = async () => {
      const rig = serialRig();
      const seen: string[] = [];
      rig.device.onChange((c) => seen.push(`${c.at}:${c.ioName}=${c.value}`));
      await rig.service.start();
      rig.service.setFault('slave', { kind: 'garbage', count: 3 });
      rig.clock.advance(3_000);
      return { seen, status: rig.service.status().profiles.map((p) => [p.okCount, p.errorCount, p.lateness]) };
    };
    expect(await history()).toEqual(await history());
  });
});

describe('serial profile checks', () => {
  const base = { slots: [{ slot: 1, module: '45MR-1600' }] };
  const paths = (serial: object, extra: object = {}) => problems({ ...base, ...extra, serial }).map((p) => `${p.path}: ${p.message}`);
  const profileOf = (p: object) => ({ name: 'p', slaveId: 1, startAddress: 0, length: 4, irStart: 0, ...p });

  it('accepts the default profile\'s shapes', () => {
    expect(paths(SERIAL)).toEqual([]);
  });

  it('refuses a point type that does not fit the IR type, odd pairs and the wrong swap', () => {
    expect(paths({ profiles: [profileOf({ pointType: 1, irType: 'word' })] })).toEqual(['serial.profiles.0.irType: coils and input status fill BOOL IRs: use irType bool']);
    expect(paths({ profiles: [profileOf({ pointType: 3, irType: 'bool' })] })[0]).toMatch(/registers fill WORD/);
    expect(paths({ profiles: [profileOf({ pointType: 3, irType: 'float', length: 3 })] })[0]).toMatch(/length: a float takes two registers/);
    expect(paths({ profiles: [profileOf({ pointType: 3, irType: 'float', swap: 'byte' })] })[0]).toMatch(/swap: byte swap applies to WORD/);
    expect(paths({ profiles: [profileOf({ pointType: 3, irType: 'word', swap: 'word' })] })[0]).toMatch(/swap: word swap applies to DWORD/);
    expect(paths({ profiles: [profileOf({ pointType: 3, irType: 'word', length: 126 })] })[0]).toMatch(/length: registers: 1..125/);
  });

  it('refuses IR ranges that overlap, run past the quantity, or collide with an exception IR', () => {
    const two = [profileOf({ name: 'a', pointType: 3, irType: 'word' }), profileOf({ name: 'b', pointType: 4, irType: 'word', irStart: 2 })];
    expect(paths({ profiles: two })).toEqual(['serial.profiles.1.irStart: word IRs 2..5 overlap profile a (0..3)']);
    expect(paths({ profiles: [profileOf({ pointType: 3, irType: 'word', irStart: 46 })] })).toEqual(['serial.profiles.0.irStart: word IRs 46..49 do not exist: internalRegisters.quantities.word is 48']);
    expect(paths({ profiles: [profileOf({ pointType: 3, irType: 'word', exceptionIr: 3 })] })).toEqual(['serial.profiles.0.exceptionIr: word IRs 3..3 overlap profile p (0..3)']);
  });

  it('refuses field devices the bus cannot carry', () => {
    const device = { name: 'm', definition: 'power-meter' };
    expect(paths({ port: '/dev/ttyUSB0', fieldDevices: [device] })[0]).toMatch(/fieldDevices.0.port: a field device on the in-process bus needs serial.port virtual:NAME/);
    expect(paths({ port: 'virtual:x', interface: 'rs232', fieldDevices: [device, { ...device, name: 'n' }] })).toEqual(['serial.fieldDevices: RS-232 is point-to-point: one field device at most']);
    expect(paths({ port: 'virtual:x', fieldDevices: [device, device] })).toEqual(['serial.fieldDevices.1.name: field device name m is used twice']);
    expect(paths({ port: '/tmp/a', fieldDevices: [{ ...device, port: '/tmp/a' }] })[0]).toMatch(/the other end of the pty pair/);
    expect(paths({ interface: 'rs422', echo: true })).toEqual(['serial.echo: echo applies to rs485-2w only: the other interfaces send and receive on separate wires']);
  });
});
