/**
 * Malformed Modbus/TCP input: a frame whose MBAP header cannot be trusted (protocol id, length
 * field) closes its connection; a short or long PDU under a valid header is answered with an
 * exception. A well-behaved client on another connection is served throughout, and the test
 * process (which hosts the server) sees no uncaught error.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeClients, encodeFrame, exceptionCode, readPdu, wordsOf, writeRegisterPdu, type RawModbusClient } from '../helpers/modbus-client.js';
import { startModbus, stopModbus, type ModbusHarness } from '../helpers/modbus-harness.js';

let h: ModbusHarness;
let good: RawModbusClient;
let wirValue = 0;

beforeEach(async () => {
  h = await startModbus({ slots: [{ slot: 1, module: '45MR-2600' }] });
  good = await h.connect();
  wirValue = 0;
});

afterEach(async () => {
  await closeClients();
  await stopModbus();
});

/** The well-behaved client writes and reads back a WIR: served, and with the right data. */
async function goodClientServed(): Promise<void> {
  wirValue += 1;
  await good.call(writeRegisterPdu(0, wirValue));
  expect(wordsOf(await good.call(readPdu(3, 0, 1)))).toEqual([wirValue]);
}

/** Sends `bytes` on a fresh connection and awaits the server closing it without a reply. */
async function expectClosedWithoutReply(bytes: Buffer): Promise<void> {
  const bad = await h.connect();
  bad.writeRaw(bytes);
  await bad.closed;
  expect(bad.received).toEqual([]);
  expect(bad.framingError).toBeUndefined();
}

function header(tid: number, protocol: number, length: number, unit = 1): Buffer {
  const out = Buffer.alloc(7);
  out.writeUInt16BE(tid, 0);
  out.writeUInt16BE(protocol, 2);
  out.writeUInt16BE(length, 4);
  out[6] = unit;
  return out;
}

describe('malformed frames', () => {
  it('a protocol id other than 0 closes the connection', async () => {
    await goodClientServed();
    await expectClosedWithoutReply(encodeFrame(1, 1, readPdu(3, 0, 1), 1));
    await goodClientServed();
    await expectClosedWithoutReply(encodeFrame(1, 1, readPdu(3, 0, 1), 0xffff));
    await goodClientServed();
    expect(h.service.stats()).toMatchObject({ malformed: 2 });
  });

  it('a length field of 0, 1 or over 254 closes the connection', async () => {
    for (const length of [0, 1, 255, 300, 0xffff]) {
      await expectClosedWithoutReply(Buffer.concat([header(1, 0, length), readPdu(3, 0, 1)]));
      await goodClientServed();
    }
    // A header alone is enough to tell.
    await expectClosedWithoutReply(header(2, 0, 300));
    await goodClientServed();
    expect(h.service.stats()).toMatchObject({ malformed: 6, requests: 12 });
  });

  it('a truncated header, then the client closing, leaves the server serving others', async () => {
    const bad = await h.connect();
    bad.writeRaw(Buffer.from([0, 1, 0]));
    await goodClientServed();
    await bad.end();
    expect(bad.received).toEqual([]);
    await goodClientServed();
    // A full header with a truncated PDU, then close.
    const partial = await h.connect();
    partial.writeRaw(encodeFrame(3, 1, readPdu(3, 0, 1)).subarray(0, 9));
    await goodClientServed();
    await partial.end();
    await goodClientServed();
    expect(h.service.stats()).toMatchObject({ malformed: 0 });
  });

  it('garbage (an HTTP request, random bytes) closes the connection', async () => {
    await expectClosedWithoutReply(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await goodClientServed();
    await expectClosedWithoutReply(Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'latin1'));
    await goodClientServed();
  });

  it('a frame that is valid up to its PDU is answered with an exception, and the connection stays', async () => {
    const c = await h.connect();
    // Length 2: unit id and function code only.
    c.writeRaw(Buffer.concat([header(10, 0, 2), Buffer.from([3])]));
    expect(exceptionCode(await c.response(10))).toBe(3);
    c.writeRaw(Buffer.concat([header(11, 0, 2), Buffer.from([8])]));
    expect((await c.response(11)).pdu).toEqual(Buffer.from([0x88, 1]));
    // Function code 0 and 0x80+: the exception echoes fc | 0x80.
    c.writeRaw(Buffer.concat([header(12, 0, 2), Buffer.from([0])]));
    expect((await c.response(12)).pdu).toEqual(Buffer.from([0x80, 1]));
    c.writeRaw(Buffer.concat([header(13, 0, 6), Buffer.from([0x83, 0, 0, 0, 1])]));
    expect((await c.response(13)).pdu).toEqual(Buffer.from([0x83, 1]));
    // The largest valid length, 254: a 253-byte PDU that is too long for FC 3.
    c.writeRaw(encodeFrame(14, 1, Buffer.concat([readPdu(3, 0, 1), Buffer.alloc(248)])));
    expect(exceptionCode(await c.response(14))).toBe(3);
    expect(await c.readWords(3, 0, 1)).toHaveLength(1);
    expect(c.isClosed).toBe(false);
    await goodClientServed();
  });

  it('frames before a malformed one in the same write are answered, then the connection closes', async () => {
    const c = await h.connect();
    c.writeRaw(Buffer.concat([encodeFrame(1, 1, writeRegisterPdu(5, 55)), encodeFrame(2, 1, readPdu(3, 5, 1)), header(3, 7, 6), readPdu(3, 0, 1)]));
    await c.closed;
    expect(c.received.map((f) => f.tid)).toEqual([1, 2]);
    expect(wordsOf(c.received[1]!.pdu)).toEqual([55]);
    await goodClientServed();
  });
});
