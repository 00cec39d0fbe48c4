import { describe, expect, it } from 'vitest';
import { resolveChannelRef } from '../../src/config/profile.js';
import { connectWiring } from '../../src/sim/wiring.js';
import { rig, type ChannelInput } from './helpers.js';

function wiredRig(outputs: ChannelInput[] = [], inputs: ChannelInput[] = []) {
  const r = rig({
    slots: [
      { slot: 1, module: '45MR-2600', channels: outputs },
      { slot: 2, module: '45MR-1600', channels: inputs },
      { slot: 3, module: '45MR-2404' },
    ],
  });
  return r;
}

describe('wiring', () => {
  it('resolves "slot/index" and ioName references', () => {
    const { device } = wiredRig();
    expect(resolveChannelRef(device, '1/3')).toBe(device.channel(1, 3));
    expect(resolveChannelRef(device, '45MR-1600-0@DI-02')).toBe(device.channel(2, 2));
    expect(resolveChannelRef(device, '9/0')).toBeUndefined();
    expect(resolveChannelRef(device, '1/16')).toBeUndefined();
    expect(resolveChannelRef(device, 'nope')).toBeUndefined();
  });

  it('mirrors doStatus into the DI level, with source wiring', () => {
    const r = wiredRig();
    const out = r.device.channel(1, 0);
    const di = r.device.channel(2, 0);
    const disconnect = connectWiring(r.device, [{ from: out, to: di, invert: false }]);
    expect(di.read('diStatus')).toBe(0);
    out.write('doStatus', 1, 'modbus');
    expect(di.read('diStatus')).toBe(1);
    expect(r.changes.map((c) => [c.ioName, c.attribute, c.value, c.source])).toEqual([
      ['45MR-2600-0@DO-00', 'doStatus', 1, 'modbus'],
      ['45MR-1600-0@DI-00', 'diStatus', 1, 'wiring'],
    ]);
    out.write('doStatus', 0, 'modbus');
    expect(di.read('diStatus')).toBe(0);
    disconnect();
    out.write('doStatus', 1, 'modbus');
    expect(di.read('diStatus')).toBe(0);
  });

  it('does not react to other outputs or other attributes', () => {
    const r = wiredRig([{ index: 0, mode: 'pulse', pulse: { count: 0, onWidth: 10, offWidth: 10 } }]);
    const di = r.device.channel(2, 5);
    connectWiring(r.device, [{ from: r.device.channel(1, 1), to: di, invert: false }]);
    r.device.channel(1, 2).write('doStatus', 1, 'rest');
    r.device.channel(1, 0).write('doPulseCount', 1, 'rest');
    expect(di.read('diStatus')).toBe(0);
  });

  it('inverts when asked, from the initial state too', () => {
    const r = wiredRig([{ index: 1, status: 1 }]);
    const di0 = r.device.channel(2, 4);
    const di1 = r.device.channel(2, 5);
    connectWiring(r.device, [
      { from: r.device.channel(1, 0), to: di0, invert: true },
      { from: r.device.channel(1, 1), to: di1, invert: true },
    ]);
    expect(di0.read('diStatus')).toBe(1); // DO off, inverted
    expect(di1.read('diStatus')).toBe(0); // DO on, inverted
    r.device.channel(1, 0).write('doStatus', 1, 'rest');
    r.device.channel(1, 1).write('doStatus', 0, 'rest');
    expect(di0.read('diStatus')).toBe(0);
    expect(di1.read('diStatus')).toBe(1);
  });

  it('copies an output that starts on into the DI at connect', () => {
    const r = wiredRig([{ index: 3, status: 1 }]);
    const di = r.device.channel(2, 7);
    connectWiring(r.device, [{ from: r.device.channel(1, 3), to: di, invert: false }]);
    expect(di.read('diStatus')).toBe(1);
    expect(r.changesOf('diStatus')).toMatchObject([{ value: 1, source: 'wiring' }]);
  });

  it('wires a relay into a DI', () => {
    const r = wiredRig();
    const relay = r.device.channel(3, 0);
    const di = r.device.channel(2, 8);
    connectWiring(r.device, [{ from: relay, to: di, invert: false }]);
    relay.write('relayStatus', 1, 'rest');
    expect(di.read('diStatus')).toBe(1);
  });

  it('lets a counter DI count the pulses of a wired pulse DO', () => {
    const r = wiredRig([{ index: 0, mode: 'pulse', pulse: { count: 5, onWidth: 20, offWidth: 20 } }], [{ index: 0, mode: 'counter' }]);
    const out = r.device.channel(1, 0);
    const counter = r.device.channel(2, 0);
    connectWiring(r.device, [{ from: out, to: counter, invert: false }]);
    out.write('doPulseStatus', 1, 'rest');
    r.clock.advance(1000);
    expect(out.read('doPulseStatus')).toBe(0);
    expect(counter.read('diCounterValue')).toBe(5);
    expect(counter.read('diStatus')).toBe(0);
  });

  it('passes the level through the DI filter', () => {
    const r = wiredRig([], [{ index: 1, filterMs: 5 }]);
    const out = r.device.channel(1, 0);
    const di = r.device.channel(2, 1);
    connectWiring(r.device, [{ from: out, to: di, invert: false }]);
    out.write('doStatus', 1, 'rest');
    expect(di.read('diStatus')).toBe(0);
    r.clock.advance(5);
    expect(di.read('diStatus')).toBe(1);
  });
});
