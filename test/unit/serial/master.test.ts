import { describe, expect, it } from 'vitest';
import { frameTiming, transmitMs } from '../../../src/serial/rtu-frame.js';
import { busRig } from './bus-rig.js';

describe('RTU master on the virtual bus (manual clock)', () => {
  it('reads holding registers, and the answer comes when the bytes would have crossed the wire', () => {
    const rig = busRig();
    rig.addSlave(1);
    const { result, at } = rig.run(1, [3, 0, 2, 0, 3]);
    expect(result).toEqual({ ok: true, pdu: Buffer.from([3, 6, 0x03, 0xea, 0x03, 0xeb, 0x03, 0xec]), attempts: 1 });
    // 8-byte request, t3.5 turnaround at the slave, 11-byte answer; 0.25 ms steps of the test loop.
    const expected = transmitMs(rig.line, 8) + frameTiming(rig.line).interFrameMs + transmitMs(rig.line, 11);
    expect(at).toBeGreaterThanOrEqual(expected);
    expect(at).toBeLessThan(expected + 0.25 + 1e-9);
  });

  it('reads coils and input registers, and writes with FC 5, 6, 15 and 16', () => {
    const rig = busRig();
    const { space } = rig.addSlave(4);
    expect(rig.run(4, [1, 0, 0, 0, 10]).result).toMatchObject({ ok: true, pdu: Buffer.from([1, 2, 0b01001001, 0b10]) });
    expect(rig.run(4, [4, 0, 99, 0, 1]).result).toMatchObject({ ok: true, pdu: Buffer.from([4, 2, 0x08, 0x33]) });
    expect(rig.run(4, [5, 0, 1, 0xff, 0]).result.ok).toBe(true);
    expect(rig.run(4, [6, 0, 7, 0x12, 0x34]).result.ok).toBe(true);
    expect(rig.run(4, [15, 0, 10, 0, 3, 1, 0b101]).result.ok).toBe(true);
    expect(rig.run(4, [16, 0, 20, 0, 2, 4, 0, 1, 0, 2]).result.ok).toBe(true);
    expect(space.coils.slice(0, 2)).toEqual([1, 1]);
    expect(space.holding[7]).toBe(0x1234);
    expect(space.coils.slice(10, 13)).toEqual([1, 0, 1]);
    expect(space.holding.slice(20, 22)).toEqual([1, 2]);
  });

  it('passes the slave\'s exception on without retrying it', () => {
    const rig = busRig({}, { retries: 3 });
    const { slave } = rig.addSlave(1);
    const { result } = rig.run(1, [3, 0, 99, 0, 2]);
    expect(result).toMatchObject({ ok: false, kind: 'exception', exceptionCode: 2, attempts: 1 });
    expect(slave.counters.requests).toBe(1);
  });

  it('times out after the response timeout, retries, and succeeds when the slave answers again', () => {
    const rig = busRig({}, { retries: 2, responseTimeoutMs: 100 });
    const { slave } = rig.addSlave(1);
    slave.setFault({ kind: 'no-answer', count: 1 });
    const { result, at } = rig.run(1, [3, 0, 0, 0, 1]);
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(slave.counters).toMatchObject({ requests: 2, faulted: 1, answers: 1 });
    expect(at).toBeGreaterThan(100 + transmitMs(rig.line, 8));
  });

  it('gives up after 1 + retries attempts with a timeout when no one answers', () => {
    const rig = busRig({}, { retries: 2, responseTimeoutMs: 50 });
    const { result, at } = rig.run(9, [3, 0, 0, 0, 1]);
    expect(result).toMatchObject({ ok: false, kind: 'timeout', attempts: 3 });
    expect(result.ok === false && result.detail).toMatch(/slave 9 did not answer within 50 ms \(after 3 attempts\)/);
    expect(at).toBeGreaterThanOrEqual(3 * (50 + transmitMs(rig.line, 8)));
  });

  it('detects a bad CRC and garbage as frame errors, and retries them', () => {
    const rig = busRig({}, { retries: 1 });
    const { slave } = rig.addSlave(1);
    slave.setFault({ kind: 'crc', count: null });
    expect(rig.run(1, [3, 0, 0, 0, 4]).result).toMatchObject({ ok: false, kind: 'crc', attempts: 2 });
    slave.setFault({ kind: 'garbage', count: null });
    const garbage = rig.run(1, [3, 0, 0, 0, 4]).result;
    expect(garbage.ok).toBe(false);
    expect(['crc', 'unexpected']).toContain(garbage.ok ? 'ok' : garbage.kind);
    slave.setFault({ kind: 'crc', count: 1 });
    expect(rig.run(1, [3, 0, 0, 0, 4]).result).toMatchObject({ ok: true, attempts: 2 });
  });

  it('times out on a slow answer beyond the timeout and takes one within it', () => {
    const rig = busRig({}, { retries: 0, responseTimeoutMs: 100 });
    const { slave } = rig.addSlave(1);
    slave.setFault({ kind: 'slow', delayMs: 150, count: null });
    expect(rig.run(1, [3, 0, 0, 0, 1]).result).toMatchObject({ ok: false, kind: 'timeout' });
    slave.setFault({ kind: 'slow', delayMs: 60, count: null });
    // The late answer of the first request is still on its way: it arrives while nobody waits.
    rig.clock.advance(200);
    expect(rig.run(1, [3, 0, 0, 0, 1]).result).toMatchObject({ ok: true });
    expect(rig.master.counters.bytesDiscarded).toBeGreaterThan(0);
  });

  it('keeps t3.5 of silence between an answer and the next request', () => {
    const rig = busRig({ baudRate: 9600 }, { interFrameDelayMs: null });
    rig.addSlave(1);
    const heard: number[] = [];
    const spy = rig.bus.attach('slave', 'spy');
    void spy.open();
    spy.onData(() => heard.push(rig.clock.monotonic()));
    let answers = 0;
    const answered: number[] = [];
    for (let i = 0; i < 2; i++) {
      rig.master.request(1, Buffer.from([3, 0, 0, 0, 1]), () => {
        answers++;
        answered.push(rig.clock.monotonic());
      });
    }
    for (let t = 0; t < 200 && answers < 2; t += 0.05) rig.clock.advance(0.05);
    expect(answers).toBe(2);
    // The second request left no earlier than t3.5 after the first answer's last byte.
    const secondRequestStart = heard[1]! - transmitMs(rig.line, 8);
    expect(secondRequestStart - answered[0]!).toBeGreaterThanOrEqual(frameTiming(rig.line).interFrameMs - 0.05);
  });

  it('strips its own echo on an echoing 2-wire adapter, even when the answer equals the request (FC 6)', () => {
    const rig = busRig({ echo: true });
    const { space } = rig.addSlave(1);
    expect(rig.run(1, [6, 0, 3, 0xab, 0xcd]).result).toMatchObject({ ok: true, pdu: Buffer.from([6, 0, 3, 0xab, 0xcd]) });
    expect(space.holding[3]).toBe(0xabcd);
    expect(rig.run(1, [3, 0, 3, 0, 1]).result).toMatchObject({ ok: true, pdu: Buffer.from([3, 2, 0xab, 0xcd]) });
  });

  it('answers only from the addressed slave on a shared bus', () => {
    const rig = busRig();
    rig.addSlave(1);
    const two = rig.addSlave(2);
    two.space.holding[0] = 42;
    expect(rig.run(2, [3, 0, 0, 0, 1]).result).toMatchObject({ ok: true, pdu: Buffer.from([3, 2, 0, 42]) });
    expect(rig.run(1, [3, 0, 0, 0, 1]).result).toMatchObject({ ok: true, pdu: Buffer.from([3, 2, 0x03, 0xe8]) });
  });

  it('garbles frames that collide on a half-duplex bus', () => {
    const rig = busRig({}, { retries: 0, responseTimeoutMs: 20 });
    const { slave } = rig.addSlave(1);
    // The slow answer to the first request lands while the second request is on the wire.
    slave.setFault({ kind: 'slow', delayMs: 25, count: 1 });
    rig.run(1, [3, 0, 0, 0, 1]);
    const second = rig.run(1, [3, 0, 0, 0, 60]);
    expect(rig.bus.counters.collisions).toBeGreaterThan(0);
    expect(second.result.ok).toBe(false);
  });

  it('fails at once with port-closed when the port is not open, and runs queued requests in order', () => {
    const rig = busRig();
    rig.addSlave(1);
    const order: number[] = [];
    for (const address of [5, 6, 7]) rig.master.request(1, Buffer.from([3, 0, address, 0, 1]), (r) => order.push(r.ok ? r.pdu.readUInt16BE(2) : -1));
    expect(rig.master.queued).toBe(2);
    rig.clock.advance(200);
    expect(order).toEqual([1005, 1006, 1007]);
    void rig.masterEnd.close();
    expect(rig.run(1, [3, 0, 0, 0, 1]).result).toMatchObject({ ok: false, kind: 'port-closed', attempts: 0 });
  });
});
