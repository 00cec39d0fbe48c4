/**
 * #18 item 2: the fixture's Modbus client. device.modbusClient() hands out connected
 * modbus-serial clients that stop() closes; readAttribute / writeAttribute find a channel's
 * parameter in the device's own address map and decode it in the configured word order.
 * Both fixture modes, both word orders, a fleet device, and the errors.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SimClientError, startDevice, startFleet, type StartedDevice } from '../../src/testing/index.js';
import { DeviceModbus } from '../../src/testing/modbus.js';
import { until } from '../helpers/until.js';

/**
 * The two registers of a REAL in address order, built with Buffer rather than the device's own
 * codec (src/modbus-pdu/words.ts), so that a wrong word order cannot pass on both sides.
 */
function floatRegisters(value: number, wordOrder: 'high-first' | 'low-first'): number[] {
  const buf = Buffer.alloc(4);
  buf.writeFloatBE(value);
  const [hi, lo] = [buf.readUInt16BE(0), buf.readUInt16BE(2)];
  return wordOrder === 'high-first' ? [hi, lo] : [lo, hi];
}

async function defaultProfile(): Promise<Record<string, Record<string, unknown>>> {
  return parse(await readFile('profiles/default.yaml', 'utf8')) as Record<string, Record<string, unknown>>;
}

describe.each(['child', 'in-process'] as const)('device.modbusClient() and the attribute helpers, %s mode', (mode) => {
  let device: StartedDevice;
  beforeAll(async () => {
    device = await startDevice({ mode, clock: 'manual' });
  });
  afterAll(() => device?.stop());

  it('reads a DI set on the field side (FC 2)', async () => {
    expect(await device.readAttribute('1/4', 'diStatus')).toBe(0);
    await device.client.setField('1/4', { level: 1 });
    expect(await device.readAttribute('1/4', 'diStatus')).toBe(1);
    expect(await device.modbusPoint('1/4', 'diStatus')).toMatchObject({ ioName: '45MR-1600-0@DI-04', table: 'discrete', type: 'bit', length: 1 });
  });

  it('writes a DO (FC 5) that the emulator API then reads', async () => {
    await device.writeAttribute('2/3', 'doStatus', 1);
    expect(await device.client.read('2/3', 'doStatus')).toBe(1);
    expect(await device.readAttribute('2/3', 'doStatus')).toBe(1);
    const [write] = await device.client.journal({ kind: 'write', source: 'modbus', ioName: '2/3', attribute: 'doStatus' });
    expect(write).toBeDefined();
  });

  it('reads a REAL AI (FC 4) in the configured word order, high word first by default', async () => {
    await device.client.setField('4/1', { physical: 12.5 });
    const expected = (await device.client.read('4/1', 'aiValueScaled')) as number;
    expect(await device.readAttribute('4/1', 'aiValueScaled')).toBeCloseTo(expected, 4);
    const point = await device.modbusPoint('4/1', 'aiValueScaled');
    expect(point).toMatchObject({ table: 'input', type: 'float', length: 2, wordOrder: 'high-first' });
    // The raw registers, as a SCADA sees them: the high word at the lower address.
    const raw = await device.modbusClient();
    const { data } = await raw.readInputRegisters(point.address, 2);
    expect(data).toEqual(floatRegisters(expected, 'high-first'));
  });

  it('writes and reads a 32-bit counter (FC 16, FC 3) past 65535, and a REAL AO', async () => {
    await device.writeAttribute('1/0', 'diCounterValue', 70_000);
    expect(await device.client.read('1/0', 'diCounterValue')).toBe(70_000);
    expect(await device.readAttribute('1/0', 'diCounterValue')).toBe(70_000);
    expect(await device.modbusPoint('1/0', 'diCounterValue')).toMatchObject({ table: 'holding', type: 'dword' });
    await device.writeAttribute('6/0', 'aoValueScaled', 12.25);
    // The AO keeps what its DAC resolution can output (close to 12.25); Modbus reads what the device holds.
    const held = (await device.client.read('6/0', 'aoValueScaled')) as number;
    expect(held).toBeCloseTo(12.25, 2);
    expect(await device.readAttribute('6/0', 'aoValueScaled')).toBeCloseTo(held, 4);
  });

  it('reads a signed WORD internal register by its ioName', async () => {
    await device.client.setInternalRegister('WIR-00', -5);
    expect(await device.readAttribute('WIR-00', 'wirValue')).toBe(-5);
  });

  it('takes signedness from the map row: the internal registers are signed, a channel is not (#18)', async () => {
    expect(await device.modbusPoint('WIR-00', 'wirValue')).toMatchObject({ type: 'word', signed: true });
    expect(await device.modbusPoint('DIR-00', 'dirValue')).toMatchObject({ type: 'dword', signed: true });
    expect(await device.modbusPoint('1/0', 'diCounterValue')).toMatchObject({ type: 'dword', signed: false });
    await device.writeAttribute('DIR-00', 'dirValue', -70_000);
    expect(await device.readAttribute('DIR-00', 'dirValue')).toBe(-70_000);
    await device.writeAttribute('WIR-00', 'wirValue', -32_768);
    expect(await device.readAttribute('WIR-00', 'wirValue')).toBe(-32_768);
  });

  it.each([
    ['2/3', 'doStatus', Number.NaN, /^the device: write 2\/3 doStatus \(coil \d+, bit\): NaN cannot be written; expected 0 or 1$/],
    ['2/3', 'doStatus', 2, /: 2 cannot be written; expected 0 or 1$/],
    ['2/0', 'doPulseOnWidth', 70_000, /^the device: write 2\/0 doPulseOnWidth \(holding \d+, word\): 70000 cannot be written; expected an integer 0\.\.65535 \(WORD\)$/],
    ['2/0', 'doPulseOnWidth', 1.5, /: 1\.5 cannot be written; expected an integer 0\.\.65535/],
    ['1/0', 'diCounterValue', -1, /diCounterValue .*: -1 cannot be written; expected an integer 0\.\.4294967295 \(DWORD\)$/],
    ['1/0', 'diCounterValue', 2 ** 32, /: 4294967296 cannot be written; expected an integer 0\.\.4294967295/],
    ['WIR-00', 'wirValue', 40_000, /^the device: write WIR-00 wirValue .*: 40000 cannot be written; expected an integer -32768\.\.32767 \(signed WORD\)$/],
    ['DIR-00', 'dirValue', 2 ** 31, /: 2147483648 cannot be written; expected an integer -2147483648\.\.2147483647 \(signed DWORD\)$/],
    ['6/0', 'aoValueScaled', Number.POSITIVE_INFINITY, /aoValueScaled .*: Infinity cannot be written; expected a number -3\.4\d*e\+38\.\.3\.4\d*e\+38 \(REAL\)$/],
  ])('refuses %s %s = %s with CLIENT_BAD_VALUE, naming the range, and sends nothing (#18)', async (ref, attribute, value, message) => {
    const { lastSeq } = await device.client.journalPage();
    const error = await device.writeAttribute(ref, attribute, value).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimClientError);
    expect(error).toMatchObject({ code: 'CLIENT_BAD_VALUE', status: null, message: expect.stringMatching(message) });
    // No Modbus request reached the device.
    expect(await device.client.journal({ source: 'modbus', since: lastSeq })).toEqual([]);
  });

  it('names the channel, the attribute and the parameters it has when the attribute is unknown', async () => {
    const error = await device.readAttribute('2/3', 'doStatuss').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SimClientError);
    expect(error).toMatchObject({ code: 'CLIENT_UNKNOWN_ATTRIBUTE', status: null });
    expect((error as Error).message).toMatch(/^2\/3 \(45MR-2600-0@DO-03\) has no Modbus parameter "doStatuss"; its parameters: .*doStatus/);
    await expect(device.writeAttribute('9/0', 'doStatus', 1)).rejects.toMatchObject({ code: 'CLIENT_UNKNOWN_ATTRIBUTE', message: expect.stringMatching(/^9\/0: no such channel/) });
    await expect(device.writeAttribute('1/4', 'diStatus', 1)).rejects.toMatchObject({
      code: 'CLIENT_READ_ONLY',
      message: expect.stringMatching(/^the device: write 1\/4 diStatus \(discrete \d+, bit\): a discrete input is read-only over Modbus$/),
    });
    await expect(device.writeAttribute('4/1', 'aiValueScaled', 1)).rejects.toMatchObject({ code: 'CLIENT_READ_ONLY', message: expect.stringMatching(/an input register is read-only/) });
  });

  it('wraps a Modbus exception reply as CLIENT_MODBUS_FAILED', async () => {
    // A DO in pulse mode refuses a doStatus write (device rule): the server answers with an exception.
    const error = await device.writeAttribute('2/1', 'doStatus', 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CLIENT_MODBUS_FAILED', message: expect.stringMatching(/^the device: write 2\/1 doStatus \(coil \d+, bit\): exception \d/) });
  });

  it('closes what it handed out: the server sees the connections go', async () => {
    const modbus = new DeviceModbus(device.client, device.modbus, 'the device');
    const before = await connections(device);
    const a = await modbus.client();
    await modbus.readAttribute('1/4', 'diStatus'); // the helpers' own connection
    expect(await connections(device)).toBe(before + 2);
    await modbus.close();
    expect(a.isOpen).toBe(false);
    await until('the server to count the connections closed', async () => ((await connections(device)) === before ? true : undefined));
    await expect(modbus.client()).rejects.toMatchObject({ code: 'CLIENT_STOPPED', message: expect.stringMatching(/^the device was stopped/) });
    await expect(modbus.readAttribute('1/4', 'diStatus')).rejects.toMatchObject({ code: 'CLIENT_STOPPED' });
  });
});

describe.each(['child', 'in-process'] as const)('startDevice() stop(), %s mode', (mode) => {
  it('closes the clients device.modbusClient() handed out, and the helpers\' own (#18)', async () => {
    const device = await startDevice({ mode, clock: 'manual' });
    try {
      const a = await device.modbusClient();
      const b = await device.modbusClient({ unitId: 1 });
      expect(await device.readAttribute('1/4', 'diStatus')).toBe(0);
      expect(await connections(device)).toBeGreaterThanOrEqual(3);
      expect([a.isOpen, b.isOpen]).toEqual([true, true]);
      await device.stop();
      expect([a.isOpen, b.isOpen]).toEqual([false, false]);
      await expect(a.readCoils(0, 1)).rejects.toThrow();
      await expect(device.modbusClient()).rejects.toMatchObject({ code: 'CLIENT_STOPPED' });
      await expect(device.readAttribute('1/4', 'diStatus')).rejects.toMatchObject({ code: 'CLIENT_STOPPED' });
    } finally {
      await device.stop();
    }
  });
});

async function connections(device: StartedDevice): Promise<number> {
  const status = await device.client.modbus();
  if (!('connections' in status)) throw new Error('the Modbus server does not listen');
  return status.connections;
}

describe('the other word order (modbus.wordOrder: low-first in the profile)', () => {
  let device: StartedDevice;
  beforeAll(async () => {
    const profile = await defaultProfile();
    device = await startDevice({ mode: 'in-process', clock: 'manual', profile: { ...profile, modbus: { ...profile.modbus, wordOrder: 'low-first' } } });
  });
  afterAll(() => device?.stop());

  it('decodes REALs and DWORDs low word first, as the registers carry them', async () => {
    await device.client.setField('4/1', { physical: 12.5 });
    const expected = (await device.client.read('4/1', 'aiValueScaled')) as number;
    const point = await device.modbusPoint('4/1', 'aiValueScaled');
    expect(point.wordOrder).toBe('low-first');
    expect(await device.readAttribute('4/1', 'aiValueScaled')).toBeCloseTo(expected, 4);
    const raw = await device.modbusClient();
    expect((await raw.readInputRegisters(point.address, 2)).data).toEqual(floatRegisters(expected, 'low-first'));
    await device.writeAttribute('1/0', 'diCounterValue', 70_000);
    expect(await device.client.read('1/0', 'diCounterValue')).toBe(70_000);
    const counter = await device.modbusPoint('1/0', 'diCounterValue');
    expect((await raw.readHoldingRegisters(counter.address, 2)).data).toEqual([70_000 & 0xffff, 70_000 >>> 16]);
  });
});

describe('a device without Modbus', () => {
  it('rejects modbusClient() and the helpers with CLIENT_NO_MODBUS', async () => {
    await using device = await startDevice({ mode: 'in-process', modbus: false });
    await expect(device.modbusClient()).rejects.toMatchObject({ name: 'SimClientError', code: 'CLIENT_NO_MODBUS', message: expect.stringMatching(/^the device has no Modbus\/TCP server/) });
    await expect(device.readAttribute('1/0', 'diStatus')).rejects.toMatchObject({ code: 'CLIENT_NO_MODBUS' });
  });
});

describe('a fleet device', () => {
  it('reads and writes through its own Modbus/TCP port', async () => {
    await using fleet = await startFleet({ mode: 'in-process', count: 2 });
    const second = fleet.device(fleet.devices[1]!.index);
    await second.client.setField('1/4', { level: 1 });
    expect(await second.readAttribute('1/4', 'diStatus')).toBe(1);
    expect(await fleet.devices[0]!.readAttribute('1/4', 'diStatus')).toBe(0);
    await second.writeAttribute('2/3', 'doStatus', 1);
    expect(await second.client.read('2/3', 'doStatus')).toBe(1);
    const client = await second.modbusClient();
    await fleet.stop();
    expect(client.isOpen).toBe(false);
  });
});
