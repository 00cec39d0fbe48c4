import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { problemsOf } from '../../src/config/load.js';
import { ManualClock } from '../../src/device/clock.js';
import { ExceptionCode, ModbusException } from '../../src/modbus-pdu/exceptions.js';
import { fieldDeviceSchema, type FieldDeviceInput } from '../../src/sim/field-device-schema.js';
import { FieldDevice, loadFieldDeviceFile } from '../../src/sim/field-device.js';
import { cleanupProcesses, tempDir } from '../helpers/process.js';
import { expectSimError } from './helpers.js';

type PointInput = FieldDeviceInput['points'][number];

/** A device from `points` on a fresh ManualClock, started, and stopped when the test ends. */
function fieldRig(points: PointInput[], options: Partial<FieldDeviceInput> = {}, seed = 1) {
  const clock = new ManualClock();
  const device = new FieldDevice(fieldDeviceSchema.parse({ name: 'test-device', points, ...options }), clock, seed);
  device.start();
  onTestFinished(() => device.stop());
  const registers = (table: 'holding' | 'input', address: number, quantity: number) => {
    const out = Buffer.alloc(2 * quantity);
    device.readRegisters(table, address, quantity, out, 0);
    return [...Array(quantity).keys()].map((i) => out.readUInt16BE(2 * i));
  };
  return { clock, device, registers };
}

/** Runs `fn` and returns the ModbusException it throws. */
function modbusError(fn: () => unknown): ModbusException {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ModbusException);
    return error as ModbusException;
  }
  throw new Error('expected a ModbusException');
}

/** The problems of an invalid definition as `path: message`. */
function issues(input: unknown): string[] {
  const result = fieldDeviceSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const ALL_TYPES: PointInput[] = [
  { name: 'u16', table: 'holding', address: 0, type: 'uint16', value: 65535 },
  { name: 'i16', table: 'holding', address: 1, type: 'int16', value: -2 },
  { name: 'u32', table: 'holding', address: 2, type: 'uint32', value: 0x12345678 },
  { name: 'i32', table: 'holding', address: 4, type: 'int32', value: -2 },
  { name: 'f32', table: 'holding', address: 6, type: 'float32', value: 1.5 },
];

describe('field device registers', () => {
  it('encodes each register type, high word first by default', () => {
    const r = fieldRig(ALL_TYPES);
    // 1.5 is 0x3FC00000 in IEEE-754 single precision.
    expect(r.registers('holding', 0, 8)).toEqual([0xffff, 0xfffe, 0x1234, 0x5678, 0xffff, 0xfffe, 0x3fc0, 0x0000]);
  });

  it('puts the low word first with wordOrder little', () => {
    const r = fieldRig(ALL_TYPES, { wordOrder: 'little' });
    expect(r.registers('holding', 2, 6)).toEqual([0x5678, 0x1234, 0xfffe, 0xffff, 0x0000, 0x3fc0]);
  });

  it('encodes a float32 as IEEE-754 and reads back the float32 value', () => {
    const r = fieldRig([{ name: 'voltage', table: 'input', address: 10, type: 'float32', value: 230.1 }]);
    expect(r.registers('input', 10, 2)).toEqual([0x4366, 0x199a]); // 230.1f = 0x4366199A
    expect(r.device.get('voltage')).toBe(Math.fround(230.1));
  });

  it('reads one word of a 32-bit value on its own', () => {
    const r = fieldRig(ALL_TYPES);
    expect(r.registers('holding', 3, 1)).toEqual([0x5678]);
  });

  it('scales integers to engineering units and rounds to the nearest count', () => {
    const r = fieldRig([{ name: 'temperature', table: 'input', address: 0, type: 'int16', scale: 0.1, value: -12.34 }]);
    expect(r.registers('input', 0, 1)).toEqual([0x10000 - 123]);
    expect(r.device.get('temperature')).toBeCloseTo(-12.3, 9);
  });

  it('reads coils and discrete inputs as bits', () => {
    const r = fieldRig([
      { name: 'run', table: 'coil', address: 0, type: 'bool', value: 1 },
      { name: 'reverse', table: 'coil', address: 1, type: 'bool' },
      { name: 'alarm', table: 'discrete', address: 5, type: 'bool', value: 1 },
    ]);
    expect([...r.device.readBits('coil', 0, 2)]).toEqual([1, 0]);
    expect([...r.device.readBits('discrete', 5, 1)]).toEqual([1]);
  });

  it('answers ILLEGAL DATA ADDRESS for an address no point covers, and leaves the output alone', () => {
    const r = fieldRig([
      { name: 'a', table: 'input', address: 0, type: 'uint16', value: 7 },
      { name: 'b', table: 'holding', address: 0, type: 'uint16' },
      { name: 'c', table: 'coil', address: 0, type: 'bool' },
    ]);
    const out = Buffer.alloc(4);
    expect(modbusError(() => r.device.readRegisters('input', 0, 2, out, 0)).code).toBe(ExceptionCode.IllegalDataAddress);
    expect(out).toEqual(Buffer.alloc(4));
    // Tables are separate: holding 0 exists, input 1 does not.
    expect(modbusError(() => r.registers('input', 1, 1)).code).toBe(ExceptionCode.IllegalDataAddress);
    expect(modbusError(() => r.device.readBits('discrete', 0, 1)).code).toBe(ExceptionCode.IllegalDataAddress);
    expect(modbusError(() => r.device.readBits('coil', 1, 1)).message).toContain('no coil at 1');
  });

  it('counts the calls it served and refused', () => {
    const r = fieldRig([{ name: 'a', table: 'holding', address: 0, type: 'uint16' }]);
    r.registers('holding', 0, 1);
    r.device.writeRegisters(0, [1]);
    expect(() => r.registers('holding', 1, 1)).toThrow(ModbusException);
    expect(r.device.counters).toEqual({ reads: 1, writes: 1, refused: 1 });
  });
});

describe('field device writes', () => {
  it('writes holding registers of every type', () => {
    const r = fieldRig(ALL_TYPES);
    r.device.writeRegisters(0, [0x1234, 0xffff, 0xdead, 0xbeef, 0x8000, 0x0000, 0xc120, 0x0000]);
    expect(ALL_TYPES.map((p) => r.device.get(p.name))).toEqual([0x1234, -1, 0xdeadbeef, -0x80000000, -10]);
  });

  it('writes one word of a 32-bit value and keeps the other', () => {
    const r = fieldRig(ALL_TYPES);
    r.device.writeRegisters(3, [0x0001]);
    expect(r.device.get('u32')).toBe(0x12340001);
    const little = fieldRig(ALL_TYPES, { wordOrder: 'little' });
    little.device.writeRegisters(2, [0x0001]); // the low word comes first
    expect(little.device.get('u32')).toBe(0x12340001);
  });

  it('writes a scaled set point in raw counts', () => {
    const r = fieldRig([{ name: 'frequencySetpoint', table: 'holding', address: 1, type: 'uint16', scale: 0.01, value: 50 }]);
    r.device.writeRegisters(1, [2550]);
    expect(r.device.get('frequencySetpoint')).toBeCloseTo(25.5, 9);
  });

  it('writes coils', () => {
    const r = fieldRig([
      { name: 'run', table: 'coil', address: 0, type: 'bool' },
      { name: 'reverse', table: 'coil', address: 1, type: 'bool', value: 1 },
    ]);
    r.device.writeBits(0, [1, 0]);
    expect([r.device.get('run'), r.device.get('reverse')]).toEqual([1, 0]);
  });

  it('refuses a write to a point marked writable: false, or past the map, and changes nothing', () => {
    const r = fieldRig([
      { name: 'setpoint', table: 'holding', address: 0, type: 'uint16', value: 1 },
      { name: 'serial', table: 'holding', address: 1, type: 'uint16', value: 42, writable: false },
      { name: 'run', table: 'coil', address: 0, type: 'bool', writable: false },
    ]);
    expect(modbusError(() => r.device.writeRegisters(0, [5, 6])).code).toBe(ExceptionCode.IllegalDataAddress);
    expect([r.device.get('setpoint'), r.device.get('serial')]).toEqual([1, 42]);
    expect(modbusError(() => r.device.writeRegisters(2, [1])).code).toBe(ExceptionCode.IllegalDataAddress);
    expect(modbusError(() => r.device.writeBits(0, [1])).message).toContain('read-only');
  });

  it('holds a written value until the signal takes its next step', () => {
    const r = fieldRig([
      { name: 'level', table: 'holding', address: 0, type: 'uint16', signal: { kind: 'steps', steps: [{ value: 10, holdMs: 100 }, { value: 20, holdMs: 100 }] } },
    ]);
    r.device.writeRegisters(0, [99]);
    r.clock.advance(99);
    expect(r.device.get('level')).toBe(99);
    r.clock.advance(1);
    expect(r.device.get('level')).toBe(20);
  });
});

describe('field device values and signals', () => {
  it('get, set and points() in engineering units', () => {
    const r = fieldRig([
      { name: 'temperature', table: 'input', address: 0, type: 'int16', scale: 0.1, unit: '°C', value: 21.5 },
      { name: 'limit', table: 'holding', address: 0, type: 'int16', writable: false },
    ]);
    r.device.set('temperature', 30.25);
    expect(r.registers('input', 0, 1)).toEqual([303]);
    expect(r.device.points()).toEqual([
      { name: 'temperature', table: 'input', address: 0, type: 'int16', unit: '°C', writable: false, value: expect.closeTo(30.3, 9) },
      { name: 'limit', table: 'holding', address: 0, type: 'int16', unit: undefined, writable: false, value: 0 },
    ]);
  });

  it('set refuses a value its type cannot hold, and an unknown point', () => {
    const r = fieldRig([
      { name: 'temperature', table: 'input', address: 0, type: 'int16', scale: 0.1 },
      { name: 'run', table: 'coil', address: 0, type: 'bool' },
    ]);
    expect(expectSimError(() => r.device.set('temperature', 3276.8), 'DEVICE_VALUE_OUT_OF_RANGE').message).toContain('int16 -32768..32767 × 0.1');
    r.device.set('temperature', 3276.7);
    expectSimError(() => r.device.set('temperature', Number.NaN), 'DEVICE_VALUE_OUT_OF_RANGE');
    expectSimError(() => r.device.set('run', 2), 'DEVICE_VALUE_OUT_OF_RANGE');
    expectSimError(() => r.device.set('nothing', 1), 'DEVICE_UNKNOWN_ATTRIBUTE');
  });

  it('signals advance with the clock, starting at their first value', () => {
    const r = fieldRig([
      { name: 'voltage', table: 'input', address: 0, type: 'float32', signal: { kind: 'sine', offset: 230, amplitude: 10, periodMs: 4000, sampleMs: 1000 } },
      { name: 'running', table: 'discrete', address: 0, type: 'bool', signal: { kind: 'square', periodMs: 200 } },
    ]);
    expect(r.device.get('voltage')).toBe(230);
    expect(r.device.get('running')).toBe(1);
    r.clock.advance(100);
    expect(r.device.get('running')).toBe(0);
    r.clock.advance(900);
    expect(r.device.get('voltage')).toBe(240);
    expect(r.registers('input', 0, 2)).toEqual([0x4370, 0x0000]); // 240f
    r.clock.advance(1000);
    expect(r.device.get('voltage')).toBeCloseTo(230, 4);
  });

  it('derives a random walk from the seed and the point name, so a run replays', () => {
    const points: PointInput[] = [{ name: 'load', table: 'input', address: 0, type: 'float32', signal: { kind: 'randomWalk', start: 10, step: 1, min: 0, max: 20, sampleMs: 100 } }];
    const walk = (seed: number) => {
      const r = fieldRig(points, {}, seed);
      return [1, 2, 3].map(() => (r.clock.advance(100), r.device.get('load')));
    };
    expect(walk(7)).toEqual(walk(7));
    expect(walk(7)).not.toEqual(walk(8));
  });

  it('stop clears every timer and keeps the values', () => {
    const r = fieldRig([{ name: 'v', table: 'input', address: 0, type: 'uint16', signal: { kind: 'ramp', from: 0, to: 100, periodMs: 1000, sampleMs: 100 } }]);
    r.clock.advance(300);
    expect(r.clock.pending()).toBe(1);
    r.device.stop();
    expect(r.clock.pending()).toBe(0);
    r.clock.advance(300);
    expect(r.device.get('v')).toBe(30);
  });
});

describe('field device schema', () => {
  const base = { name: 'meter' };

  it('fills defaults', () => {
    const d = fieldDeviceSchema.parse({ ...base, points: [{ name: 'a', table: 'input', address: 0, type: 'uint16' }] });
    expect(d).toMatchObject({ description: '', defaultSlaveId: 1, wordOrder: 'big', points: [{ value: 0 }] });
  });

  it('refuses overlapping addresses within a table, naming the point it clashes with', () => {
    expect(
      issues({
        ...base,
        points: [
          { name: 'a', table: 'input', address: 0, type: 'float32' },
          { name: 'b', table: 'input', address: 1, type: 'uint16' },
          { name: 'c', table: 'holding', address: 1, type: 'uint16' },
        ],
      }),
    ).toEqual(['points.1.address: input 1 overlaps point a at 0..1']);
  });

  it('refuses a type that does not fit its table', () => {
    expect(
      issues({
        ...base,
        points: [
          { name: 'a', table: 'coil', address: 0, type: 'uint16' },
          { name: 'b', table: 'holding', address: 0, type: 'bool' },
        ],
      }),
    ).toEqual([
      'points.0.type: a coil point holds one bit: type must be bool',
      'points.1.type: a holding register holds a number: use uint16, int16, uint32, int32 or float32',
    ]);
  });

  it('refuses values and signals outside the type, after scaling', () => {
    expect(
      issues({
        ...base,
        points: [
          { name: 'a', table: 'holding', address: 0, type: 'uint16', value: -1 },
          { name: 'b', table: 'input', address: 0, type: 'int16', scale: 0.1, value: 3276.7 },
          { name: 'c', table: 'input', address: 1, type: 'int16', scale: 0.1, signal: { kind: 'sine', offset: 3000, amplitude: 300, periodMs: 1000 } },
          { name: 'd', table: 'coil', address: 0, type: 'bool', value: 0.5 },
        ],
      }),
    ).toEqual([
      'points.0.value: -1 is outside uint16 0..65535',
      'points.2.signal: the signal spans 2700..3300, outside int16 -32768..32767 × 0.1',
      'points.3.value: 0.5 is outside a bool (0 or 1)',
    ]);
  });

  it('refuses duplicate names, addresses past 65535, and writable or scale where they do not apply', () => {
    expect(
      issues({
        ...base,
        points: [
          { name: 'a', table: 'input', address: 65535, type: 'uint32' },
          { name: 'a', table: 'input', address: 0, type: 'uint16', writable: true },
          { name: 'b', table: 'coil', address: 0, type: 'bool', scale: 2 },
        ],
      }),
    ).toEqual([
      'points.0.address: uint32 at 65535 takes 2 registers and runs past 65535',
      'points.1.name: duplicate point name a (also points.0)',
      'points.1.writable: input points are read-only over Modbus; writable applies to coil and holding only',
      'points.2.scale: a bool has no scale',
    ]);
  });

  it('checks the structure: device name, slave id, unknown keys', () => {
    expect(issues({ name: 'Power Meter', defaultSlaveId: 248, points: [{ name: 'a', table: 'input', address: 0, type: 'uint16', colour: 'red' }] })).toEqual([
      'name: lower-case letters, digits and -, starting with a letter or digit',
      'defaultSlaveId: Too big: expected number to be <=247',
      'points.0: Unrecognized key: "colour"',
    ]);
  });
});

describe('field device files', () => {
  const dir = new URL('../../profiles/field-devices/', import.meta.url);

  it('loads, validates and runs every shipped field device', async () => {
    const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
    expect(files).toEqual(['power-meter.yaml', 'temperature-transmitter.yaml', 'vfd.yaml']);
    for (const file of files) {
      const definition = loadFieldDeviceFile(fileURLToPath(new URL(file, dir)));
      expect(definition.name, file).toBe(file.replace(/\.yaml$/, ''));
      expect(definition.points.length, file).toBeLessThanOrEqual(40);
      const clock = new ManualClock();
      const device = new FieldDevice(definition, clock, 1);
      device.start();
      clock.advance(600_000);
      for (const point of device.points()) expect(Number.isFinite(point.value), `${file} ${point.name}`).toBe(true);
      device.stop();
      expect(clock.pending(), file).toBe(0);
    }
  });

  it('keeps the temperature transmitter\'s int16 and float32 copies in step', () => {
    const clock = new ManualClock();
    const device = new FieldDevice(loadFieldDeviceFile(fileURLToPath(new URL('temperature-transmitter.yaml', dir))), clock, 1);
    device.start();
    onTestFinished(() => device.stop());
    for (let i = 0; i < 5; i++) {
      clock.advance(37_000);
      expect(device.get('temperature')).toBeCloseTo(device.get('temperatureFloat'), 1);
    }
  });

  afterEach(cleanupProcesses);

  async function tempFile(name: string, text: string): Promise<string> {
    const file = join(await tempDir(), name);
    await writeFile(file, text);
    return file;
  }

  it('names the file and the path of every problem', async () => {
    const file = await tempFile('bad.yaml', 'name: bad\npoints:\n  - { name: a, table: coil, address: 0, type: uint16 }\n  - { name: b, table: holding, address: 0, type: int16, value: 40000 }\n');
    const error = expectSimError(() => loadFieldDeviceFile(file), 'PROFILE_INVALID');
    expect(error.message).toBe(`${file}: points.0.type: a coil point holds one bit: type must be bool\n${file}: points.1.value: 40000 is outside int16 -32768..32767`);
    expect(problemsOf(error)).toHaveLength(2);
  });

  it('reports unreadable files and broken YAML', async () => {
    const missing = join(tmpdir(), 'no-such-field-device.yaml');
    expect(expectSimError(() => loadFieldDeviceFile(missing), 'PROFILE_READ_FAILED').message).toBe(`${missing}: (file): no such file`);
    const file = await tempFile('broken.yaml', 'name: x\nname: y\n');
    expect(expectSimError(() => loadFieldDeviceFile(file), 'PROFILE_READ_FAILED').message).toMatch(/^.*broken\.yaml: line \d+: /);
  });
});
