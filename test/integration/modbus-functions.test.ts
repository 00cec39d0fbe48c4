/**
 * Modbus/TCP function codes 1-6, 15, 16 and 23 against a real ModbusService on 127.0.0.1:0,
 * with every exception the server can answer, and the word order of 32-bit values. Addresses
 * come from the service's own map (service.map()), never from a hard-coded table.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../src/config/profile.js';
import {
  closeClients,
  dwordWords,
  floatWords,
  readPdu,
  readWritePdu,
  wordsDword,
  wordsFloat,
  wordsOf,
  wordsText,
  writeCoilPdu,
  writeCoilsPdu,
  writeRegisterPdu,
  writeRegistersPdu,
} from '../helpers/modbus-client.js';
import { startModbus, stopModbus, type ModbusHarness } from '../helpers/modbus-harness.js';

const PROFILE: ProfileInput = {
  device: { name: 'mbtest', serialNumber: 'TAGCB1100001' },
  slots: [
    { slot: 1, module: '45MR-1600', channels: [{ index: 0, mode: 'counter', counterValue: 0x12345678 }] },
    { slot: 2, module: '45MR-2600', channels: [{ index: 1, mode: 'pulse' }] },
    { slot: 3, module: '45MR-3800', channels: [{ index: 0, mode: '4-20mA', physical: 12 }] },
    { slot: 4, module: '45MR-7210' },
    { slot: 5, module: '45MR-2404' },
  ],
  internalRegisters: { initial: [{ type: 'word', index: 3, value: 1234 }] },
};

afterEach(async () => {
  await closeClients();
  await stopModbus();
});

async function setup(extra: Partial<ProfileInput> = {}) {
  const h = await startModbus({ ...PROFILE, ...extra });
  return { h, c: await h.connect() };
}

/** Address of the n-th holding/input/coil/discrete value of the system block (slot 0). */
function sys(h: ModbusHarness, parameter: string, n = 0): number {
  return h.row(0, parameter).address + n * h.row(0, parameter).length;
}

describe('reads', () => {
  it('FC1 reads coils: DO states after FC5 writes', async () => {
    const { h, c } = await setup();
    const do0 = h.at(2, 'doStatus', 0);
    expect(await c.readBits(1, do0, 4)).toEqual([0, 0, 0, 0]);
    await c.call(writeCoilPdu(do0, true));
    await c.call(writeCoilPdu(do0 + 3, true));
    expect(await c.readBits(1, do0, 4)).toEqual([1, 0, 0, 1]);
    // 19 coils: three bytes, the unused high bits of the last one zero.
    const pdu = await c.call(readPdu(1, do0, 19));
    expect([...pdu]).toEqual([1, 3, 0b0000_1001, 0, 0]);
  });

  it('FC2 reads discrete inputs: diStatus follows a field-side level change', async () => {
    const { h, c } = await setup();
    const di5 = h.at(1, 'diStatus', 5);
    expect(await c.readBits(2, di5, 1)).toEqual([0]);
    h.device.channel(1, 5).applyField({ level: 1 }, 'field');
    expect(await c.readBits(2, di5, 1)).toEqual([1]);
    expect(await c.readBits(2, h.at(1, 'diStatus', 0), 16)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // diMode: channel 0 is a counter.
    expect(await c.readBits(2, h.at(1, 'diMode', 0), 2)).toEqual([1, 0]);
  });

  it('FC3 reads holding registers: a WORD internal register and a DWORD counter', async () => {
    const { h, c } = await setup();
    expect(await c.readWords(3, sys(h, 'wirValue', 3), 1)).toEqual([1234]);
    const counter = await c.readWords(3, h.at(1, 'diCounterValue', 0), 2);
    expect(counter).toEqual([0x1234, 0x5678]);
    expect(wordsDword(counter)).toBe(h.device.channel(1, 0).read('diCounterValue'));
  });

  it('FC4 reads input registers: raw and scaled AI, identity strings', async () => {
    const { h, c } = await setup();
    const ai = h.device.channel(3, 0);
    expect(await c.readWords(4, h.at(3, 'aiValueRaw', 0), 1)).toEqual([ai.read('aiValueRaw')]);
    expect(ai.read('aiValueRaw')).toBeGreaterThan(0);
    expect(wordsFloat(await c.readWords(4, h.at(3, 'aiValueScaled', 0), 2))).toBe(12);
    const serial = await c.readWords(4, sys(h, 'serialNumber'), 6);
    expect(Buffer.from(serial.flatMap((w) => [w >> 8, w & 0xff])).toString('ascii')).toBe('TAGCB1100001');
    expect(wordsText(await c.readWords(4, sys(h, 'deviceName'), 8))).toBe('mbtest');
    // deviceDate of the manual clock's epoch, 2026-01-01 (UTC).
    expect(wordsDword(await c.readWords(4, sys(h, 'deviceDate'), 2))).toBe(20260101);
  });
});

describe('writes', () => {
  it('FC5 switches a DO on and off; the device and its change events show source modbus', async () => {
    const { h, c } = await setup();
    const do0 = h.at(2, 'doStatus', 0);
    const echo = await c.call(writeCoilPdu(do0, true));
    expect(echo).toEqual(writeCoilPdu(do0, true));
    expect(h.device.channel(2, 0).read('doStatus')).toBe(1);
    expect(h.changes).toContainEqual(expect.objectContaining({ slot: 2, index: 0, attribute: 'doStatus', value: 1, previous: 0, source: 'modbus' }));
    await c.call(writeCoilPdu(do0, false));
    expect(h.device.channel(2, 0).read('doStatus')).toBe(0);
    expect(h.changes.at(-1)).toMatchObject({ slot: 2, index: 0, attribute: 'doStatus', value: 0, previous: 1, source: 'modbus' });
  });

  it('FC5 with a value other than 0xFF00/0x0000 is exception 3 and changes nothing', async () => {
    const { h, c } = await setup();
    expect(await c.exception(writeCoilPdu(h.at(2, 'doStatus', 0), 0x1234))).toBe(3);
    expect(h.device.channel(2, 0).read('doStatus')).toBe(0);
    expect(h.changes).toEqual([]);
  });

  it('FC6 writes a WORD internal register (signed on the device) and a pulse width', async () => {
    const { h, c } = await setup();
    const wir5 = sys(h, 'wirValue', 5);
    expect(await c.call(writeRegisterPdu(wir5, 0xbeef))).toEqual(writeRegisterPdu(wir5, 0xbeef));
    expect(h.device.findIoName('WIR-05')!.read('irValue')).toBe(0xbeef - 0x10000);
    expect(await c.readWords(3, wir5, 1)).toEqual([0xbeef]);
    await c.call(writeRegisterPdu(h.at(2, 'doPulseOnWidth', 1), 250));
    expect(h.device.channel(2, 1).read('doPulseOnWidth')).toBe(250);
  });

  it('FC15 writes several DOs at once', async () => {
    const { h, c } = await setup();
    const do2 = h.at(2, 'doStatus', 2);
    const pattern = [1, 0, 1, 1, 0, 0, 0, 1, 1, 0];
    expect(await c.call(writeCoilsPdu(do2, pattern))).toEqual(writeCoilsPdu(do2, pattern).subarray(0, 5));
    expect(pattern.map((_, i) => h.device.channel(2, 2 + i).read('doStatus'))).toEqual(pattern);
    expect(await c.readBits(1, do2, 10)).toEqual(pattern);
    expect(h.changes.filter((ch) => ch.source === 'modbus')).toHaveLength(5);
  });

  it('FC16 presets a DWORD counter, writes a REAL, and a half write keeps the other half', async () => {
    const { h, c } = await setup();
    const counter = h.at(1, 'diCounterValue', 0);
    await c.call(writeRegistersPdu(counter, [0xdead, 0xbeef]));
    expect(h.device.channel(1, 0).read('diCounterValue')).toBe(0xdeadbeef);
    // Only the low word (second register, high-first): the high word stays 0xDEAD.
    await c.call(writeRegistersPdu(counter + 1, [0x0001]));
    expect(h.device.channel(1, 0).read('diCounterValue')).toBe(0xdead0001);
    // Only the high word.
    await c.call(writeRegistersPdu(counter, [0x0002]));
    expect(h.device.channel(1, 0).read('diCounterValue')).toBe(0x00020001);

    const fir2 = sys(h, 'firValue', 2);
    const echo = await c.call(writeRegistersPdu(fir2, floatWords(-3.5)));
    expect([...echo]).toEqual([16, fir2 >> 8, fir2 & 0xff, 0, 2]);
    expect(h.device.findIoName('FIR-02')!.read('irValue')).toBe(-3.5);
    expect(wordsFloat(await c.readWords(3, fir2, 2))).toBe(-3.5);
  });

  it('FC16 presets a pulse count through its DWORD', async () => {
    const { h, c } = await setup();
    await c.call(writeRegistersPdu(h.at(2, 'doPulseCount', 1), dwordWords(500)));
    expect(h.device.channel(2, 1).read('doPulseCount')).toBe(500);
  });

  it('FC23 writes, then reads, in one request', async () => {
    const { h, c } = await setup();
    const wir8 = sys(h, 'wirValue', 8);
    const pdu = await c.call(readWritePdu(wir8, 4, wir8 + 2, [77, 78]));
    expect(pdu[0]).toBe(23);
    expect(wordsOf(pdu)).toEqual([0, 0, 77, 78]);
    expect(h.device.findIoName('WIR-10')!.read('irValue')).toBe(77);
    expect(h.device.findIoName('WIR-11')!.read('irValue')).toBe(78);
  });
});

describe('exceptions', () => {
  it('1: an unsupported function code', async () => {
    const { c } = await setup();
    expect(await c.exception(Buffer.from([8, 0, 0, 0x12, 0x34]))).toBe(1);
    expect(await c.exception(Buffer.from([43, 14, 1, 0]))).toBe(1);
    expect(await c.exception(Buffer.from([0x7f]))).toBe(1);
  });

  it('2: unmapped addresses, ranges crossing into them, read-only registers, past 65535', async () => {
    const { h, c } = await setup();
    const map = h.service.map();
    const last = (table: string) => Math.max(...map.filter((r) => r.table === table).map((r) => r.address + r.length - 1));
    const lastHolding = last('holding');
    // Unmapped.
    expect(await c.exception(readPdu(3, lastHolding + 1, 1))).toBe(2);
    expect(await c.exception(readPdu(1, last('coil') + 1, 1))).toBe(2);
    expect(await c.exception(readPdu(2, 60_000, 1))).toBe(2);
    expect(await c.exception(readPdu(4, last('input') + 1, 1))).toBe(2);
    // From mapped into unmapped.
    expect(await c.readWords(3, lastHolding, 1)).toHaveLength(1);
    expect(await c.exception(readPdu(3, lastHolding, 2))).toBe(2);
    expect(await c.exception(readPdu(1, last('coil'), 2))).toBe(2);
    expect(await c.exception(writeRegistersPdu(lastHolding, [0, 0]))).toBe(2);
    // Read-only holding register: the 7210's spStatus.
    expect(await c.exception(writeRegisterPdu(h.at(4, 'spStatus', 0), 1))).toBe(2);
    // An FC16 that covers a writable and a read-only register writes neither.
    const lower = h.at(4, 'spLowerLimitValue', 0);
    expect(h.at(4, 'spStatus', 0)).toBe(lower - 1);
    expect(await c.exception(writeRegistersPdu(lower - 1, [0, ...floatWords(5)]))).toBe(2);
    expect(h.device.channel(4, 0).read('spLowerLimitValue')).toBe(12);
    // Address + quantity past 65536.
    expect(await c.exception(readPdu(3, 65_535, 2))).toBe(2);
    expect(await c.exception(readPdu(1, 65_000, 2000))).toBe(2);
    expect(await c.exception(writeCoilsPdu(65_535, [1, 1]))).toBe(2);
    expect(h.changes).toEqual([]);
  });

  it('2: a write to an input-only point (a discrete input, an input register)', async () => {
    // Blocks moved where the coil and holding tables have nothing, so the address is input-only.
    const { h, c } = await setup({ modbus: { baseAddresses: [{ slot: 1, discrete: 6000 }, { slot: 3, input: 5000 }] } });
    expect(h.at(1, 'diStatus', 0)).toBe(6000);
    expect(h.at(3, 'aiValueRaw', 0)).toBe(5000);
    expect(await c.readBits(2, 6000, 1)).toEqual([0]);
    expect(await c.exception(writeCoilPdu(6000, true))).toBe(2);
    expect(await c.exception(writeCoilsPdu(6000, [1]))).toBe(2);
    expect(await c.readWords(4, 5000, 1)).toHaveLength(1);
    expect(await c.exception(writeRegisterPdu(5000, 1))).toBe(2);
    expect(await c.exception(writeRegistersPdu(5000, [1]))).toBe(2);
    expect(await c.exception(readWritePdu(5000, 1, 5000, [1]))).toBe(2);
    expect(h.changes).toEqual([]);
  });

  it('3: quantity 0 or above each function code’s limit', async () => {
    const { h, c } = await setup();
    const coil = h.at(2, 'doStatus', 0);
    const wir = sys(h, 'wirValue', 0);
    for (const fc of [1, 2]) {
      expect(await c.exception(readPdu(fc, 0, 0))).toBe(3);
      expect(await c.exception(readPdu(fc, 0, 2001))).toBe(3);
    }
    for (const fc of [3, 4]) {
      expect(await c.exception(readPdu(fc, 0, 0))).toBe(3);
      expect(await c.exception(readPdu(fc, 0, 126))).toBe(3);
    }
    expect(await c.exception(writeCoilsPdu(coil, []))).toBe(3);
    expect(await c.exception(writeCoilsPdu(coil, new Array<number>(1969).fill(0)))).toBe(3);
    expect(await c.exception(writeRegistersPdu(wir, []))).toBe(3);
    // 124 registers with a matching byte count do not fit an ADU, so the quantity alone is sent.
    expect(await c.exception(writeRegistersPdu(wir, [0], { quantity: 124, byteCount: 2 }))).toBe(3);
    expect(await c.exception(readWritePdu(wir, 0, wir, [1]))).toBe(3);
    expect(await c.exception(readWritePdu(wir, 126, wir, [1]))).toBe(3);
    expect(await c.exception(readWritePdu(wir, 1, wir, [], { writeQuantity: 0, byteCount: 0 }))).toBe(3);
    expect(await c.exception(readWritePdu(wir, 1, wir, [1], { writeQuantity: 122, byteCount: 2 }))).toBe(3);
    // The limits themselves are accepted.
    expect(await c.readWords(3, wir, 125)).toHaveLength(125);
    expect(h.changes).toEqual([]);
  });

  it('3: byte count mismatch and wrong PDU lengths', async () => {
    const { h, c } = await setup();
    const coil = h.at(2, 'doStatus', 2);
    const wir = sys(h, 'wirValue', 0);
    expect(await c.exception(writeCoilsPdu(coil, [1, 1, 1], 2))).toBe(3);
    // Byte count right for the quantity, but the data is one byte short.
    expect(await c.exception(writeCoilsPdu(coil, new Array<number>(9).fill(1)).subarray(0, 7))).toBe(3);
    expect(await c.exception(writeRegistersPdu(wir, [1, 2], { byteCount: 3 }))).toBe(3);
    expect(await c.exception(writeRegistersPdu(wir, [1, 2]).subarray(0, 9))).toBe(3);
    expect(await c.exception(readWritePdu(wir, 1, wir, [1, 2], { byteCount: 2 }))).toBe(3);
    // A read with a trailing byte, a write with a missing one.
    expect(await c.exception(Buffer.concat([readPdu(3, wir, 1), Buffer.from([0])]))).toBe(3);
    expect(await c.exception(writeRegisterPdu(wir, 1).subarray(0, 4))).toBe(3);
    expect(await c.exception(Buffer.from([1]))).toBe(3);
    expect(h.changes).toEqual([]);
  });

  it('3: values the channel refuses', async () => {
    const { h, c } = await setup();
    // doPulseOnWidth must be 1..65535.
    expect(await c.exception(writeRegisterPdu(h.at(2, 'doPulseOnWidth', 1), 0))).toBe(3);
    // doPulseCount is 0..65535 on the device, though Modbus carries a DWORD.
    expect(await c.exception(writeRegistersPdu(h.at(2, 'doPulseCount', 1), dwordWords(65_536)))).toBe(3);
    // doStatus of a DO in pulse mode, alone and inside an FC15 that would change others too.
    expect(await c.exception(writeCoilPdu(h.at(2, 'doStatus', 1), true))).toBe(3);
    expect(await c.exception(writeCoilsPdu(h.at(2, 'doStatus', 0), [1, 1, 1]))).toBe(3);
    // doPulseStatus of a DO in DO mode.
    expect(await c.exception(writeCoilPdu(h.at(2, 'doPulseStatus', 0), true))).toBe(3);
    // A float that is not a number.
    expect(await c.exception(writeRegistersPdu(sys(h, 'firValue', 0), [0x7fc0, 0]))).toBe(3);
    expect(await c.exception(writeRegistersPdu(h.at(4, 'spLowerLimitValue', 0), floatWords(61)))).toBe(3);
    expect(h.changes).toEqual([]);
    expect(h.device.channel(2, 1).read('doPulseOnWidth')).toBe(1000);
    expect(h.device.channel(2, 0).read('doStatus')).toBe(0);
  });

  it('FC15 over a pulse-mode DO passes when it leaves that DO\'s bit as it is', async () => {
    const { h, c } = await setup();
    const first = h.at(2, 'doStatus', 0);
    expect(await c.call(writeCoilsPdu(first, [1, 0, 1]))).toEqual(writeCoilsPdu(first, [1, 0, 1]).subarray(0, 5));
    expect([0, 1, 2].map((i) => h.device.channel(2, i).read('doStatus'))).toEqual([1, 0, 1]);
  });

  it('a refused FC23 changes nothing: an unmapped read range is found before the write', async () => {
    const { h, c } = await setup();
    const wir = sys(h, 'wirValue', 0);
    expect(await c.exception(readWritePdu(60_000, 1, wir, [42]))).toBe(2);
    expect(h.device.findIoName('WIR-00')!.read('irValue')).toBe(0);
    expect(h.changes).toEqual([]);
  });

  it('counts requests and exceptions', async () => {
    const { h, c } = await setup();
    await c.readWords(3, 0, 1);
    await c.exception(readPdu(3, 0, 0));
    await c.exception(Buffer.from([8]));
    expect(h.service.stats()).toMatchObject({ requests: 3, exceptions: 2, malformed: 0, accepted: 1, connections: 1, enabled: true });
  });
});

describe('word order', () => {
  it('low-first swaps the two registers of DWORD and REAL values, in reads and writes', async () => {
    const { h, c } = await setup({ modbus: { wordOrder: 'low-first' } });
    const counter = h.at(1, 'diCounterValue', 0);
    expect(await c.readWords(3, counter, 2)).toEqual([0x5678, 0x1234]);
    expect(wordsFloat(await c.readWords(4, h.at(3, 'aiValueScaled', 0), 2), true)).toBe(12);
    expect(await c.readWords(4, h.at(3, 'aiValueScaled', 0), 2)).toEqual(floatWords(12, true));
    await c.call(writeRegistersPdu(counter, dwordWords(0xcafe0001, true)));
    expect(h.device.channel(1, 0).read('diCounterValue')).toBe(0xcafe0001);
    // The first register is now the low word.
    await c.call(writeRegisterPdu(counter, 0x0002));
    expect(h.device.channel(1, 0).read('diCounterValue')).toBe(0xcafe0002);
    const fir = sys(h, 'firValue', 1);
    await c.call(writeRegistersPdu(fir, floatWords(1.25, true)));
    expect(h.device.findIoName('FIR-01')!.read('irValue')).toBe(1.25);
    // A plain WORD is not affected.
    expect(await c.readWords(3, sys(h, 'wirValue', 3), 1)).toEqual([1234]);
  });

  it('high-first (default) puts the high word at the lower address', async () => {
    const { h, c } = await setup();
    const fir = sys(h, 'firValue', 1);
    await c.call(writeRegistersPdu(fir, floatWords(1.25)));
    expect(await c.readWords(3, fir, 2)).toEqual([0x3fa0, 0x0000]);
  });
});
