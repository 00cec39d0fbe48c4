/**
 * Trap trigger rules and the default attribute (docs/snmp-traps.md), without sockets.
 */
import snmp from 'net-snmp';
import { describe, expect, it } from 'vitest';
import { fires, mainAttribute, netSnmpUser, TRIGGER_CODES } from '../../src/snmp/traps.js';
import { rig } from './helpers.js';

describe('fires', () => {
  it.each([
    ['onChange', 0, 1, undefined, true],
    ['onChange', 3.5, 3.25, undefined, true],
    ['onChange', 1, 1, undefined, false],
    ['onToOff', 1, 0, undefined, true],
    ['onToOff', 7, 0, undefined, true],
    ['onToOff', 0, 1, undefined, false],
    ['onToOff', 2, 1, undefined, false],
    ['offToOn', 0, 1, undefined, true],
    ['offToOn', 0, -4, undefined, true],
    ['offToOn', 1, 0, undefined, false],
    ['offToOn', 1, 2, undefined, false],
    ['greater', 10, 11, 10, true],
    ['greater', 5, 20, 10, true],
    ['greater', 9, 10, 10, false],
    ['greater', 11, 12, 10, false],
    ['greater', 12, 5, 10, false],
    ['less', 10, 9, 10, true],
    ['less', 20, 5, 10, true],
    ['less', 11, 10, 10, false],
    ['less', 9, 8, 10, false],
    ['less', 5, 12, 10, false],
    ['greater', 0, 5, undefined, false],
  ] as const)('%s %d -> %d (threshold %s): %s', (trigger, previous, value, threshold, expected) => {
    expect(fires(trigger, previous, value, threshold)).toBe(expected);
  });

  it('codes follow eventTriggerType in the MIB', () => {
    expect(TRIGGER_CODES).toEqual({ onChange: 1, onToOff: 2, offToOn: 3, greater: 4, less: 5 });
  });
});

describe('mainAttribute', () => {
  it('is the first value-class attribute of each channel type', () => {
    const { device } = rig({
      slots: [
        { slot: 1, module: '45MR-1600' },
        { slot: 2, module: '45MR-2600' },
        { slot: 3, module: '45MR-3800' },
        { slot: 4, module: '45MR-2404' },
      ],
      internalRegisters: { quantities: { bool: 1, word: 1, dword: 1, float: 1 } },
    });
    expect(mainAttribute(device.channel(1, 0))).toBe('diStatus');
    expect(mainAttribute(device.channel(2, 0))).toBe('doStatus');
    expect(mainAttribute(device.channel(3, 0))).toBe('aiValueScaled');
    expect(mainAttribute(device.channel(4, 0))).toBe('relayStatus');
    expect(mainAttribute(device.internalRegisters.float[0]!)).toBe('irValue');
  });
});

describe('netSnmpUser', () => {
  it('maps protocols and drops keys the level does not use', () => {
    expect(netSnmpUser({ name: 'a', level: 'authPriv', authProtocol: 'md5', authKey: 'k'.repeat(8), privProtocol: 'des', privKey: 'p'.repeat(8), access: 'read-only' })).toEqual({
      name: 'a',
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols.md5,
      authKey: 'kkkkkkkk',
      privProtocol: snmp.PrivProtocols.des,
      privKey: 'pppppppp',
    });
    expect(netSnmpUser({ name: 'b', level: 'noAuthNoPriv', authProtocol: 'sha', privProtocol: 'aes', access: 'read-only' })).toEqual({ name: 'b', level: snmp.SecurityLevel.noAuthNoPriv });
  });
});
