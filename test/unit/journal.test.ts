import { describe, expect, it } from 'vitest';
import { actors } from '../../src/device/actor.js';
import { ManualClock } from '../../src/device/clock.js';
import { Journal } from '../../src/device/journal.js';
import { rig } from './helpers.js';

describe('journal', () => {
  it('keeps the last `capacity` entries, numbered on, oldest first', () => {
    const clock = new ManualClock();
    const journal = new Journal(() => clock.now(), 3);
    for (let i = 0; i < 5; i++) {
      clock.advance(10);
      journal.record({ kind: 'request', source: 'modbus', peer: null, action: `r${i}` });
    }
    expect(journal.query().map((e) => [e.seq, e.action, e.at - clock.now()])).toEqual([
      [3, 'r2', -20],
      [4, 'r3', -10],
      [5, 'r4', 0],
    ]);
    expect(journal.lastSeq).toBe(5);
  });

  it('filters by every field together, since a seq, in a time window, and the last N', () => {
    const journal = new Journal(() => 1000);
    journal.record({ kind: 'write', source: 'modbus', peer: 'a:1', ioName: 'X', attribute: 'doStatus', value: 1, result: 'ok' });
    journal.record({ kind: 'write', source: 'rest', peer: 'b:2', ioName: 'X', attribute: 'doStatus', value: 0, result: 'ok' });
    journal.record({ kind: 'change', source: 'modbus', peer: 'a:1', ioName: 'X', attribute: 'doStatus', value: 1, previous: 0 });
    journal.record({ kind: 'write', source: 'modbus', peer: 'a:1', ioName: 'Y', attribute: 'doStatus', value: 1, result: 'ok' });
    expect(journal.query({ kind: 'write', source: 'modbus', ioName: 'X' }).map((e) => e.seq)).toEqual([1]);
    expect(journal.query({ peer: 'a:1' }).map((e) => e.seq)).toEqual([1, 3, 4]);
    expect(journal.query({ since: 2 }).map((e) => e.seq)).toEqual([3, 4]);
    expect(journal.query({ limit: 2 }).map((e) => e.seq)).toEqual([3, 4]);
    expect(journal.query({ from: 1001 })).toEqual([]);
    expect(journal.query({ to: 1000 }).length).toBe(4);
  });

  it('forgets on clear, and numbers go on', () => {
    const journal = new Journal(() => 0);
    journal.record({ kind: 'request', source: 'http', peer: null });
    journal.clear();
    expect(journal.query()).toEqual([]);
    expect(journal.record({ kind: 'request', source: 'http', peer: null }).seq).toBe(2);
    expect(journal.query().map((e) => e.seq)).toEqual([2]);
  });

  it('records every write attempt, refused ones with their code, before the changes they make', () => {
    const r = rig({ slots: [{ slot: 1, module: '45MR-2600' }] });
    const channel = r.device.channel(1, 3);
    actors.run({ peer: '127.0.0.2:5000' }, () => channel.write('doStatus', 1, 'modbus'));
    channel.write('doStatus', 1, 'rest');
    expect(() => channel.write('doStatus', 7, 'mqtt')).toThrow();
    const entries = r.device.journal.query({ ioName: channel.ioName, attribute: 'doStatus' });
    expect(entries.map((e) => [e.kind, e.source, e.peer, e.value, e.result ?? e.previous])).toEqual([
      ['write', 'modbus', '127.0.0.2:5000', 1, 'ok'],
      ['change', 'modbus', '127.0.0.2:5000', 1, 0],
      // The same value again: a write, no change.
      ['write', 'rest', null, 1, 'ok'],
      ['write', 'mqtt', null, 7, 'DEVICE_VALUE_OUT_OF_RANGE'],
    ]);
    expect(r.changes.at(-1)?.peer).toBe('127.0.0.2:5000');
  });
});
