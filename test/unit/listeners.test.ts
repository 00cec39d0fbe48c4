/**
 * #15 item 4: one bad subscriber cannot break a write. For each listener mechanism (the shared
 * Listeners set, Device changes, the fault board, the journal, scenario run subscribers, the
 * EventEmitter helper the MQTT service uses, SSE streams) a throwing listener is logged, the
 * write or event that raised it completes, and the other listeners still hear of it.
 */
import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import type { Request, Response } from 'express';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { FaultBoard } from '../../src/device/faults.js';
import { Journal } from '../../src/device/journal.js';
import { emitSafely, Listeners, type ListenerLogger } from '../../src/device/listeners.js';
import { Refusals } from '../../src/device/refusals.js';
import { signalSchema } from '../../src/device/schema.js';
import { EventStreams } from '../../src/http/events.js';
import { ScenarioController } from '../../src/sim/scenario-control.js';
import type { RunEvent } from '../../src/sim/scenario-runner.js';
import { SignalRunner } from '../../src/sim/signals.js';
import { expectSimError } from './helpers.js';

interface Logged {
  obj: Record<string, unknown>;
  msg: string;
}

function recorder(): ListenerLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  return { lines, error: (obj, msg) => lines.push({ obj: obj as Record<string, unknown>, msg }) };
}

const boom = (): never => {
  throw new Error('bad subscriber');
};

function device(logger: ListenerLogger): Device {
  const profile = profileSchema.parse({ slots: [{ slot: 1, module: '45MR-2600' }, { slot: 2, module: '45MR-1600' }] });
  const d = new Device(profile, new ManualClock(), logger);
  onTestFinished(() => d.dispose());
  return d;
}

describe('Listeners', () => {
  it('calls every listener in order; one that throws is logged with its context and the rest go on', () => {
    const log = recorder();
    const set = new Listeners<number>('test', log, (n) => ({ n }));
    const heard: string[] = [];
    set.add((n) => heard.push(`a${n}`));
    set.add(boom);
    const remove = set.add((n) => heard.push(`c${n}`));
    expect(() => set.emit(1)).not.toThrow();
    remove();
    set.emit(2);
    expect(heard).toEqual(['a1', 'c1', 'a2']);
    expect(log.lines).toEqual([
      { obj: { err: expect.any(Error), n: 1 }, msg: 'test listener failed' },
      { obj: { err: expect.any(Error), n: 2 }, msg: 'test listener failed' },
    ]);
  });
});

describe('Device changes', () => {
  it('a throwing change listener does not stop the write or the other listeners, and is logged', () => {
    const log = recorder();
    const d = device(log);
    const heard: string[] = [];
    d.onChange(boom);
    d.onChange((c) => heard.push(`${c.attribute}=${c.value}`));
    d.channel(1, 0).write('doStatus', 1, 'modbus');
    expect(d.channel(1, 0).read('doStatus')).toBe(1);
    expect(heard).toEqual(['doStatus=1']);
    expect(log.lines).toEqual([{ obj: expect.objectContaining({ ioName: d.channel(1, 0).ioName, attribute: 'doStatus' }), msg: 'change listener failed' }]);
    expect(d.journal.query({ kind: 'change' })).toHaveLength(1);
  });
});

describe('fault board', () => {
  it('a throwing listener does not refuse or undo the fault, and the other listeners hear it', () => {
    const log = recorder();
    const board = new FaultBoard(() => 0, { logger: log });
    const heard: string[] = [];
    board.onChange(boom);
    board.onChange((e) => heard.push(`${e.type} ${e.fault.id}`));
    const fault = board.inject({ kind: 'modbus-drop', count: null });
    expect(board.active()).toEqual([fault]);
    expect(board.clear(fault.id)).toBe(true);
    expect(heard).toEqual(['injected f1', 'cleared f1']);
    expect(log.lines.map((l) => [l.msg, l.obj.fault])).toEqual([
      ['fault listener failed', 'f1'],
      ['fault listener failed', 'f1'],
    ]);
  });

  it('the owner still refuses a fault by throwing from apply; listeners hear nothing of it', () => {
    const heard: string[] = [];
    const board = new FaultBoard(() => 0, {
      apply: (e) => {
        if (e.type === 'injected') throw new Error('refused');
      },
    });
    board.onChange((e) => heard.push(e.type));
    expect(() => board.inject({ kind: 'modbus-drop', count: null })).toThrow('refused');
    expect(board.active()).toEqual([]);
    expect(heard).toEqual([]);
  });

  it('on a Device: a channel fault goes in past a throwing listener; a wrong input is still refused', () => {
    const log = recorder();
    const d = device(log);
    d.faults.onChange(boom);
    d.faults.inject({ kind: 'channel', target: '2/0', input: { level: 1 } });
    expect(d.channel(2, 0).read('diStatus')).toBe(1);
    const refused = expectSimError(() => d.faults.inject({ kind: 'channel', target: '2/1', input: { burnout: true } }), 'DEVICE_NOT_APPLICABLE');
    expect(refused.context.path).toBe('input');
    expect(d.faults.active()).toHaveLength(1);
    expect(log.lines.some((l) => l.msg === 'fault listener failed')).toBe(true);
  });
});

describe('journal', () => {
  it('a throwing entry listener does not stop the record or the other listeners, and is logged', () => {
    const log = recorder();
    const journal = new Journal(() => 0, 10, log);
    const heard: number[] = [];
    journal.onEntry(boom);
    journal.onEntry((e) => heard.push(e.seq));
    const entry = journal.record({ kind: 'fault', source: 'sim', peer: null, action: 'x', result: 'ok' });
    expect(entry.seq).toBe(1);
    expect(journal.query()).toEqual([entry]);
    expect(heard).toEqual([1]);
    expect(log.lines).toEqual([{ obj: { err: expect.any(Error), seq: 1, kind: 'fault' }, msg: 'journal listener failed' }]);
  });

  it("on a Device: a throwing journal listener does not break a channel write", () => {
    const log = recorder();
    const d = device(log);
    d.journal.onEntry(boom);
    const heard: string[] = [];
    d.onChange((c) => heard.push(c.attribute));
    d.channel(1, 1).write('doStatus', 1, 'rest');
    expect(d.channel(1, 1).read('doStatus')).toBe(1);
    expect(heard).toEqual(['doStatus']);
    // The write entry and the change entry, each logged once.
    expect(log.lines.filter((l) => l.msg === 'journal listener failed')).toHaveLength(2);
  });
});

describe('scenario subscribers', () => {
  it('a throwing subscriber does not stop the run or the other subscribers, and is logged', async () => {
    const log = recorder();
    const d = device(log);
    const clock = d.clock as ManualClock;
    const signals = new SignalRunner(clock, 1);
    const scenarios = new ScenarioController({ device: d, clock, signals }, log);
    onTestFinished(async () => {
      await scenarios.stop();
      signals.dispose();
    });
    const submitted = scenarios.start({ name: 'x', steps: [{ write: { target: '1/0', attribute: 'doStatus', value: 1 } }, { wait: 10 }] });
    if (!submitted.ok) throw new Error('refused');
    const heard: RunEvent['type'][] = [];
    scenarios.subscribe(submitted.run.id, boom);
    scenarios.subscribe(submitted.run.id, (e) => heard.push(e.type));
    const result = await scenarios.finished(submitted.run.id);
    expect(result?.status).toBe('passed');
    expect(d.channel(1, 0).read('doStatus')).toBe(1);
    expect(heard).toEqual(['step', 'step', 'end']);
    expect(log.lines.filter((l) => l.msg === 'scenario listener failed').map((l) => l.obj.run)).toEqual([submitted.run.id, submitted.run.id, submitted.run.id]);
  });
});

describe('signal runner', () => {
  it('a throwing change listener does not stop a signal: every step still applies, each failure logged', () => {
    const log = recorder();
    const d = device(log);
    const clock = d.clock as ManualClock;
    const signals = new SignalRunner(clock, 1, { warn: (obj, msg) => log.lines.push({ obj: obj as Record<string, unknown>, msg }) });
    onTestFinished(() => signals.dispose());
    const di = d.channel(2, 0);
    d.onChange(boom);
    const levels: number[] = [];
    let changes = 0;
    d.onChange((c) => {
      changes += 1;
      if (c.attribute === 'diStatus') levels.push(c.value);
    });
    signals.attach(di, signalSchema.parse({ kind: 'square', periodMs: 1000 }));
    clock.advance(2000);
    // High on attach, then a flip every 500 ms (duty 0.5).
    expect(levels).toEqual([1, 0, 1, 0, 1]);
    expect(signals.get(di)).toBeDefined();
    expect(log.lines.map((l) => l.msg)).toEqual(Array<string>(changes).fill('change listener failed'));
  });
});

describe('emitSafely (the MQTT service events)', () => {
  it('calls every listener, keeps once() semantics, and logs one that throws', async () => {
    const log = recorder();
    const emitter = new EventEmitter<{ message: [string] }>();
    const heard: string[] = [];
    emitter.on('message', boom);
    emitter.on('message', (m) => heard.push(m));
    const first = once(emitter, 'message');
    emitSafely(emitter, 'message', ['one'], log);
    emitSafely(emitter, 'message', ['two'], log);
    expect(await first).toEqual(['one']);
    expect(heard).toEqual(['one', 'two']);
    expect(emitter.listenerCount('message')).toBe(2);
    expect(log.lines.map((l) => [l.msg, l.obj.event])).toEqual([
      ['message listener failed', 'message'],
      ['message listener failed', 'message'],
    ]);
  });
});

/** The parts of a request and response EventStreams touches, over a fake socket. */
function fakeStream(write: (chunk: Buffer | string) => boolean): { req: Request; res: Response; written: string[]; destroyed: () => boolean } {
  const written: string[] = [];
  let destroyed = false;
  const socket = { remoteAddress: '127.0.0.9', get destroyed() { return destroyed; }, destroy: () => void (destroyed = true) };
  const res = Object.assign(new EventEmitter(), {
    socket,
    writableLength: 0,
    writableEnded: false,
    destroyed: false,
    status: () => res,
    setHeader: () => res,
    flushHeaders: () => {},
    write: (chunk: Buffer | string) => {
      written.push(chunk.toString());
      return write(chunk);
    },
    end: () => {},
  });
  const req = { method: 'GET', socket } as unknown as Request;
  return { req, res: res as unknown as Response, written, destroyed: () => destroyed };
}

describe('SSE streams', () => {
  it('a stream whose write throws is cut off and logged; the other streams and the write go on', async () => {
    const d = device(recorder());
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as { level: number; msg: string });
        done();
      },
    });
    const streams = new EventStreams(d, pino({ level: 'error' }, sink), { maxBufferBytes: 1 << 20, refusals: new Refusals() });
    let armed = false;
    const bad = fakeStream(() => {
      if (armed) throw new Error('socket gone odd');
      return true;
    });
    const good = fakeStream(() => true);
    streams.start(bad.req, bad.res, undefined);
    streams.start(good.req, good.res, undefined);
    onTestFinished(() => streams.closeAll());
    armed = true;
    d.channel(1, 0).write('doStatus', 1, 'modbus');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(d.channel(1, 0).read('doStatus')).toBe(1);
    expect(good.written.join('')).toContain('event: change');
    expect(bad.destroyed()).toBe(true);
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: 'event stream failed; cutting it off' })]);
    // The cut-off stream gets nothing more; the good one goes on.
    d.channel(1, 0).write('doStatus', 0, 'modbus');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(good.written.filter((w) => w.includes('event: change'))).toHaveLength(2);
    expect(lines).toHaveLength(1);
  });
});
