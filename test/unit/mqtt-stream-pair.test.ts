/**
 * The in-memory connection between a fleet device's MQTT client and the fleet's broker
 * (src/mqtt/stream-pair.ts) behaves as a socket would: bytes cross both ways in order, an end or
 * a destroy reaches the other side, and a side that stops reading stops its peer's writes.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { streamPair } from '../../src/mqtt/stream-pair.js';

describe('streamPair', () => {
  it('carries bytes both ways, in order', async () => {
    const [a, b] = streamPair();
    const got: string[] = [];
    b.on('data', (chunk: Buffer) => got.push(chunk.toString()));
    a.write('one');
    a.write('two');
    const back = once(a, 'data');
    b.write('back');
    expect(String((await back)[0])).toBe('back');
    expect(got.join('')).toBe('onetwo');
  });

  it('ends the peer on end(), and closes it on destroy()', async () => {
    const [a, b] = streamPair();
    b.resume();
    const ended = once(b, 'end');
    a.end();
    await ended;
    // What was written before a destroy still arrives (a broker's CONNACK refusing a client), then
    // the reading peer ends and closes, as a socket whose peer closed.
    const [c, d] = streamPair();
    let got = '';
    d.on('data', (chunk: Buffer) => (got += chunk.toString()));
    const closed = once(d, 'close');
    c.write('last words');
    c.destroy();
    await closed;
    expect(got).toBe('last words');
    expect(d.destroyed).toBe(true);
  });

  it('holds writes while the peer does not read, and lets them go when it does', async () => {
    const [a, b] = streamPair();
    const chunk = Buffer.alloc(64 * 1024);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    let acknowledged = 0;
    // b is paused (no 'data' listener): the first hand-over fills its buffer, and a's later
    // writes wait for room, as on a socket whose peer stops reading.
    for (let i = 0; i < 20; i++) a.write(chunk, () => (acknowledged += 1));
    await turn();
    await turn();
    const before = acknowledged;
    for (let i = 0; i < 20; i++) a.write(chunk, () => (acknowledged += 1));
    await turn();
    await turn();
    expect(acknowledged).toBe(before);
    expect(b.readableLength).toBeGreaterThan(0);
    let received = 0;
    b.on('data', (c: Buffer) => (received += c.length));
    while (acknowledged < 40) await turn();
    while (received < 40 * chunk.length) await turn();
    expect(received).toBe(40 * chunk.length);
  });

  it('hands bytes over in a later turn of the event loop, not in the writer\'s own', async () => {
    const [a, b] = streamPair();
    let received = 0;
    b.on('data', (c: Buffer) => (received += c.length));
    a.write('x');
    a.write('y');
    await new Promise((resolve) => process.nextTick(resolve));
    expect(received).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toBe(2);
  });
});
