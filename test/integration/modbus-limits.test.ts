/**
 * What one Modbus/TCP client can make the server hold (issue #14 points 6 and 9): reply bytes
 * for a client that never reads (backpressure: the server stops reading it), and connection
 * slots held by frames that never complete (frame timeout; only complete requests reset the
 * idle timer). Each test runs the server's own handle() behind a listener of its own, so the
 * test sees the server side of every socket (bytes read, bytes still queued) as facts of
 * node:net, besides the server's stats. Time is the manual clock; nothing sleeps.
 *
 *   attacker ─► 100k pipelined requests, never reads ─► server pauses it (queue <= limit + 1 reply)
 *   other client ─► served meanwhile ─► attacker reads ─► every reply, in order
 *   16 slow-loris sockets ─► 1 byte / clock second ─► closed at frameTimeoutMs ─► a new client gets in
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema, type Profile, type ProfileInput } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { AddressMap } from '../../src/modbus/address-map.js';
import { ModbusTcpServer } from '../../src/modbus/server.js';
import { deviceRouter, ModbusUnit } from '../../src/modbus/unit.js';
import { ModbusService } from '../../src/modbus/service.js';
import { closeClients, encodeFrame, RawModbusClient, readPdu } from '../helpers/modbus-client.js';
import { listenHandled, silent } from '../helpers/modbus-harness.js';
import { until } from '../helpers/until.js';

const SLOTS: ProfileInput['slots'] = [
  { slot: 1, module: '45MR-1600' },
  { slot: 2, module: '45MR-2600' },
];
/** FC3, 125 holding registers at 0: a 12-byte request, a 259-byte reply (the largest there is). */
const BIG_READ = readPdu(3, 0, 125);
const BIG_REPLY = 7 + 2 + 250;
/** Over the limit by at most one reply (docs/security.md, Limits). */
const MAX_ADU = 260;

interface Served {
  profile: Profile;
  server: ModbusTcpServer;
  device: Device;
  clock: ManualClock;
  port: number;
  /** Server-side sockets, in accept order. */
  sockets: Socket[];
  unit: ModbusUnit;
}

const cleanups: (() => Promise<void>)[] = [];
const rawSockets = new Set<Socket>();

afterEach(async () => {
  for (const socket of rawSockets) socket.destroy();
  rawSockets.clear();
  await closeClients();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function serve(input: ProfileInput): Promise<Served> {
  const profile = profileSchema.parse(input);
  const clock = new ManualClock();
  const device = new Device(profile, clock);
  const unit = new ModbusUnit(device, clock, new AddressMap(device, profile.modbus), profile.modbus.watchdog, silent);
  const server = new ModbusTcpServer(clock, deviceRouter(unit, () => profile.modbus.unitId), profile.modbus, device.refusals, silent, profile.limits.modbus);
  const sockets: Socket[] = [];
  const listening = await listenHandled(server, (socket) => sockets.push(socket));
  cleanups.push(async () => {
    await listening.close();
    device.dispose();
  });
  return { profile, server, device, clock, port: listening.port, sockets, unit };
}

/** A plain socket that reads nothing until told to: no 'data' listener, so it never flows. */
async function silentSocket(port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1' });
  rawSockets.add(socket);
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/**
 * Starts reading `socket` and checks each reply as it comes: transaction ids 0, 1, 2, ... (mod
 * 2^16), every one a normal FC3 reply of `replyBytes`. Resolves with the count once `expected`
 * have come; rejects on the first one out of order.
 */
function readReplies(socket: Socket, expected: number, replyBytes: number): Promise<number> {
  const done = new Promise<number>((resolve, reject) => {
    let count = 0;
    let rest = Buffer.alloc(0);
    socket.on('close', () => reject(new Error(`closed after ${count} of ${expected} replies`)));
    socket.on('data', (chunk: Buffer) => {
      let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      while (data.length >= replyBytes) {
        const tid = data.readUInt16BE(0);
        if (tid !== (count & 0xffff) || data.readUInt16BE(4) !== replyBytes - 6 || data[7] !== 3) {
          reject(new Error(`reply ${count}: tid ${tid}, length ${data.readUInt16BE(4)}, fc ${data[7]}`));
          socket.destroy();
          return;
        }
        count += 1;
        data = data.subarray(replyBytes);
      }
      rest = Buffer.from(data);
      if (count === expected) resolve(count);
    });
  });
  // Awaited by the test; this only keeps a test that failed earlier from also reporting the close.
  done.catch(() => {});
  return done;
}

/** `n` FC3 requests, transaction ids 0..n-1 (mod 2^16), as one buffer. */
function pipeline(n: number, pdu: Buffer): Buffer {
  const one = encodeFrame(0, 1, pdu);
  const out = Buffer.alloc(n * one.length);
  for (let i = 0; i < n; i++) {
    one.copy(out, i * one.length);
    out.writeUInt16BE(i & 0xffff, i * one.length);
  }
  return out;
}

async function expectServed(client: RawModbusClient): Promise<void> {
  expect(await client.readWords(3, 0, 1)).toHaveLength(1);
}

describe('backpressure (limits.modbus.maxPendingReplyBytes)', () => {
  it('#14 soak: a chunk of pipelined requests is answered at most 256 per event-loop turn, so one client cannot hold the loop', async () => {
    const s = await serve({ slots: SLOTS });
    const N = 5000; // 60 KB of requests: one or two socket reads, 2,500+ requests each
    const client = await silentSocket(s.port);
    const all = readReplies(client, N, 7 + 2 + 2);
    // Requests answered in one go, without the loop getting a turn: the microtask queue runs
    // after every socket read's callback and every setImmediate, so it ends each burst.
    const bursts: number[] = [];
    let burst = 0;
    const answer = s.unit.answer.bind(s.unit);
    s.unit.answer = (...args) => {
      if (burst++ === 0)
        queueMicrotask(() => {
          bursts.push(burst);
          burst = 0;
        });
      return answer(...args);
    };
    client.write(pipeline(N, readPdu(3, 0, 1)));
    expect(await all).toBe(N);
    expect(s.server.stats.requests).toBe(N);
    expect(bursts.reduce((sum, n) => sum + n, 0)).toBe(N);
    expect(Math.max(...bursts)).toBe(256);
    expect(bursts.length).toBeGreaterThanOrEqual(Math.ceil(N / 256));
  });

  it('#14.6: a client that pipelines requests and never reads its replies cannot grow memory; others are served; it gets every reply in order once it reads', async () => {
    const s = await serve({ slots: SLOTS });
    const limit = s.profile.limits.modbus.maxPendingReplyBytes;
    expect(limit).toBe(64 * 1024);
    // 1.2 MB of requests asking for 26 MB of replies: the old server queued every one of them.
    const N = 100_000;
    const attacker = await silentSocket(s.port);
    attacker.write(pipeline(N, BIG_READ));
    await until('the server to stop reading the attacker', () => (s.server.stats.paused === 1 ? true : undefined));
    expect(s.device.refusals.get('modbus_backpressure')).toBeGreaterThanOrEqual(1);
    const [attackerSide] = s.sockets;
    expect(attackerSide!.writableLength).toBeLessThanOrEqual(limit + MAX_ADU);
    expect(s.server.stats.pendingReplyBytesPeak).toBeGreaterThan(limit);
    expect(s.server.stats.pendingReplyBytesPeak).toBeLessThanOrEqual(limit + MAX_ADU);
    const answeredWhilePaused = s.server.stats.requests;
    expect(answeredWhilePaused).toBeLessThan(N);

    // Another client is served while the attacker is held.
    const other = await RawModbusClient.connect(s.port);
    for (let i = 0; i < 20; i++) await expectServed(other);
    expect(s.server.stats).toMatchObject({ paused: 1, connections: 2, requests: answeredWhilePaused + 20 });
    expect(attackerSide!.writableLength).toBeLessThanOrEqual(limit + MAX_ADU);

    // The attacker reads at last: every reply, in order, none lost; the queue never went past the bound.
    expect(await readReplies(attacker, N, BIG_REPLY)).toBe(N);
    expect(s.server.stats.requests).toBe(N + 20);
    expect(s.server.stats.pendingReplyBytesPeak).toBeLessThanOrEqual(limit + MAX_ADU);
    await until('the attacker to be read from again', () => (s.server.stats.paused === 0 ? true : undefined));
    await expectServed(other);
  });

  it('#14.6: replies a modbus-slow fault holds back count too: the server stops reading until they are out', async () => {
    const s = await serve({ slots: SLOTS, limits: { modbus: { maxPendingReplyBytes: 8192 } } });
    s.device.faults.inject({ kind: 'modbus-slow', delayMs: 1000, count: null });
    const N = 2000; // 518 KB of replies, 63 times the limit
    const client = await silentSocket(s.port);
    const all = readReplies(client, N, BIG_REPLY);
    client.write(pipeline(N, BIG_READ));
    while (s.server.stats.requests < N) {
      const before = s.server.stats.requests;
      await until('the server to hold replies and stop reading', () => (s.server.stats.paused === 1 || s.server.stats.requests === N ? true : undefined));
      expect(s.server.stats.pendingReplyBytesPeak).toBeLessThanOrEqual(8192 + MAX_ADU);
      s.clock.advance(1000);
      await until('the held replies to go out and more requests to be answered', () => (s.server.stats.requests > before ? true : undefined));
    }
    s.clock.advance(1000);
    expect(await all).toBe(N);
    expect(s.device.refusals.get('modbus_backpressure')).toBeGreaterThanOrEqual(1);
    expect(s.server.stats.pendingReplyBytesPeak).toBeLessThanOrEqual(8192 + MAX_ADU);
  });

  // Held before #14 too (checked for point 6): kept so that it stays so.
  it('an incomplete frame buffers at most one ADU: a header is checked as soon as it is in', async () => {
    const s = await serve({ slots: SLOTS });
    const c = await RawModbusClient.connect(s.port);
    // A header announcing more than one ADU can hold is refused before its body arrives.
    c.writeRaw(Buffer.from([0, 1, 0, 0, 0xff, 0xff, 1]));
    await c.closed;
    expect(c.bytesReceived).toBe(0);
    expect(s.server.stats.malformed).toBe(1);
  });
});

describe('frame timeout (limits.modbus.frameTimeoutMs) and idle timeout', () => {
  /** Resolves once the server side of every socket has read `bytes` bytes. */
  const readBy = (s: Served, count: number, bytes: number) =>
    until(`the server to read ${bytes} byte(s) on ${count} sockets`, () =>
      s.sockets.length >= count && s.sockets.slice(0, count).every((socket) => socket.bytesRead >= bytes) ? true : undefined,
    );

  it('#14.9: maxConnections slow-loris clients dribbling one byte a second cannot keep others out past frameTimeoutMs', async () => {
    const s = await serve({ slots: SLOTS });
    const { maxConnections } = s.profile.modbus;
    expect(maxConnections).toBe(16);
    const frame = encodeFrame(1, 1, BIG_READ);
    const loris = await Promise.all(Array.from({ length: maxConnections }, () => RawModbusClient.connect(s.port)));
    for (const c of loris) c.writeRaw(frame.subarray(0, 1));
    await readBy(s, maxConnections, 1);
    // Four more bytes, one per clock second: the frame is still not complete at 4 s.
    for (let second = 1; second <= 4; second++) {
      s.clock.advance(1000);
      for (const c of loris) c.writeRaw(frame.subarray(second, second + 1));
      await readBy(s, maxConnections, second + 1);
      expect(s.server.stats.connections).toBe(maxConnections);
    }
    const early = RawModbusClient.open(s.port);
    await early.closed;
    expect(early.bytesReceived).toBe(0);
    expect(s.server.stats.refusedByLimit).toBe(1);
    // 5 s after each first byte: every slow-loris is closed, counted, and the slots are free.
    s.clock.advance(1000);
    await until('the slow-loris connections to be closed', () => (s.server.stats.connections === 0 ? true : undefined), 5000);
    await Promise.all(loris.map((c) => c.closed));
    expect(loris.every((c) => c.bytesReceived === 0)).toBe(true);
    expect(s.device.refusals.get('modbus_frame_timeout')).toBe(maxConnections);
    const fresh = await RawModbusClient.connect(s.port);
    await expectServed(fresh);
  });

  it('#14.9: bytes of a frame that never completes do not reset the idle timer; a complete request does', async () => {
    const s = await serve({ slots: SLOTS, modbus: { idleTimeoutS: 5 }, limits: { modbus: { frameTimeoutMs: 600_000 } } });
    const dribbler = await RawModbusClient.connect(s.port);
    const active = await RawModbusClient.connect(s.port);
    await expectServed(active);
    const frame = encodeFrame(1, 1, BIG_READ);
    for (let second = 0; second < 4; second++) {
      dribbler.writeRaw(frame.subarray(second, second + 1));
      await readBy(s, 1, second + 1);
      s.clock.advance(1000);
      await expectServed(active);
    }
    s.clock.advance(1000);
    await until('the dribbling connection to be closed as idle', () => (dribbler.isClosed ? true : undefined), 5000);
    expect(active.isClosed).toBe(false);
    await expectServed(active);
    expect(s.device.refusals.get('modbus_frame_timeout')).toBe(0);
  });

  // The other side of #14.9: the frame timeout never cuts a slow frame that does complete in time.
  it('a frame split over writes that completes within frameTimeoutMs is answered, and the next one has its own time', async () => {
    const s = await serve({ slots: SLOTS });
    const c = await RawModbusClient.connect(s.port);
    const one = encodeFrame(7, 1, readPdu(3, 0, 2));
    c.writeRaw(one.subarray(0, 5));
    await readBy(s, 1, 5);
    s.clock.advance(4900);
    // The rest, with the first 3 bytes of the next frame: that one starts its own clock now.
    const two = encodeFrame(8, 1, readPdu(3, 0, 1));
    c.writeRaw(Buffer.concat([one.subarray(5), two.subarray(0, 3)]));
    expect((await c.response(7)).pdu[0]).toBe(3);
    s.clock.advance(4900);
    c.writeRaw(two.subarray(3));
    expect((await c.response(8)).pdu[0]).toBe(3);
    s.clock.advance(10_000);
    // The sweep ran inside advance(): a close would show in the server's count at once.
    expect(s.server.stats.connections).toBe(1);
    await expectServed(c);
    expect(s.device.refusals.get('modbus_frame_timeout')).toBe(0);
  });

  it('#14.9: ModbusService applies the profile\'s limits.modbus (as the emulator passes them)', async () => {
    const profile = profileSchema.parse({ slots: SLOTS, limits: { modbus: { frameTimeoutMs: 1000 } } });
    const clock = new ManualClock();
    const device = new Device(profile, clock);
    const service = new ModbusService(device, clock, profile.modbus, silent, undefined, profile.limits.modbus);
    const address = await service.listen('127.0.0.1', 0);
    cleanups.push(async () => {
      await service.close();
      device.dispose();
    });
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    const c = await RawModbusClient.connect(port);
    // A complete request and, in the same write, the start of the next one: once the reply is
    // here, the server has the partial frame too (one 16-byte segment on loopback).
    c.writeRaw(Buffer.concat([encodeFrame(1, 1, readPdu(3, 0, 1)), encodeFrame(2, 1, BIG_READ).subarray(0, 4)]));
    await c.response(1);
    clock.advance(900);
    expect(service.stats()).toMatchObject({ connections: 1 });
    clock.advance(100);
    expect(service.stats()).toMatchObject({ connections: 0 });
    await until('the connection with the unfinished frame to be closed', () => (c.isClosed ? true : undefined), 5000);
    expect(device.refusals.get('modbus_frame_timeout')).toBe(1);
  });
});
