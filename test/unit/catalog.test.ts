import { describe, expect, it } from 'vitest';
import { allModels, findModel, MODEL_NAMES, modeCode, modeName, type ChannelType } from '../../src/device/catalog.js';
import { oneModule, problems, rig } from './helpers.js';

/** Channel types of each model, in module-wide index order. */
const EXPECTED: Record<string, [ChannelType, number][]> = {
  '45MR-1600': [['di', 16]],
  '45MR-1601': [['di', 16]],
  '45MR-2600': [['do', 16]],
  '45MR-2601': [['do', 16]],
  '45MR-2606': [
    ['di', 8],
    ['do', 8],
  ],
  '45MR-2404': [['relay', 4]],
  '45MR-3800': [['ai', 8]],
  '45MR-3810': [['ai', 8]],
  '45MR-4420': [['ao', 4]],
  '45MR-6600': [['rtd', 6]],
  '45MR-6810': [['tc', 8]],
  '45MR-7210': [['sp', 1]],
  '45MR-7820': [],
};

function expand(groups: [ChannelType, number][]): ChannelType[] {
  return groups.flatMap(([type, count]) => Array.from({ length: count }, () => type));
}

describe('catalog', () => {
  it('lists exactly the thirteen models', () => {
    expect(allModels().map((m) => m.model).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(MODEL_NAMES).toHaveLength(26);
  });

  describe.each(Object.entries(EXPECTED))('%s', (model, groups) => {
    it.each([model, `${model}-T`])('finds %s with the right channel groups', (name) => {
      const found = findModel(name);
      expect(found?.model).toBe(model);
      expect(found?.groups.map((g) => [g.type, g.count])).toEqual(groups);
      expect(MODEL_NAMES).toContain(name);
    });

    it.each([model, `${model}-T`])('builds %s on the rail with channels of the right types', (name) => {
      const { device } = rig({ slots: [{ slot: 1, module: name }] });
      const mod = device.module(1);
      expect(mod.model).toBe(name);
      expect(mod.channels.map((c) => c.type)).toEqual(expand(groups));
      expect(mod.channels.map((c) => c.index)).toEqual(expand(groups).map((_, i) => i));
    });
  });

  it('does not find unknown models or sloppy spellings', () => {
    expect(findModel('45MR-9999')).toBeUndefined();
    expect(findModel('45mr-1600')).toBeUndefined();
    expect(findModel('45MR-1600-TT')).toBeUndefined();
    expect(findModel('')).toBeUndefined();
  });

  it('gives the web UI type ids in enum order, none for 7210 and 7820', () => {
    const ids = Object.fromEntries(allModels().map((m) => [m.model, m.typeId]));
    expect(ids).toEqual({
      '45MR-1600': 0,
      '45MR-1601': 1,
      '45MR-2600': 2,
      '45MR-2601': 3,
      '45MR-2606': 4,
      '45MR-2404': 5,
      '45MR-3800': 6,
      '45MR-3810': 7,
      '45MR-4420': 8,
      '45MR-6600': 9,
      '45MR-6810': 10,
      '45MR-7210': null,
      '45MR-7820': null,
    });
  });

  it.each(['45MR-1600', '45MR-1601', '45MR-1600-T'])('makes only the first 4 DI of a %s counter-capable', (model) => {
    const { device } = rig({ slots: [{ slot: 1, module: model }] });
    const capable = device.module(1).channels.map((c) => c.hasAttribute('diCounterValue'));
    expect(capable).toEqual([...Array(4).fill(true), ...Array(12).fill(false)]);
  });

  it('makes only the first 2 DI of a 2606 counter-capable and only its first 2 DO pulse-capable', () => {
    const { device } = rig({ slots: [{ slot: 1, module: '45MR-2606' }] });
    const channels = device.module(1).channels;
    expect(channels.slice(0, 8).map((c) => c.hasAttribute('diCounterValue'))).toEqual([true, true, false, false, false, false, false, false]);
    expect(channels.slice(8).map((c) => c.hasAttribute('doPulseStatus'))).toEqual([true, true, false, false, false, false, false, false]);
  });

  it.each(['45MR-2600', '45MR-2601'])('makes only the first 4 DO of a %s pulse-capable', (model) => {
    const { device } = rig({ slots: [{ slot: 1, module: model }] });
    const capable = device.module(1).channels.map((c) => c.hasAttribute('doPulseOnWidth'));
    expect(capable).toEqual([...Array(4).fill(true), ...Array(12).fill(false)]);
  });

  it('offers current modes on the 3800 and voltage modes on the 3810', () => {
    expect(findModel('45MR-3800')?.groups[0]?.modes).toEqual([4, 3, 2, 0]);
    expect(findModel('45MR-3810')?.groups[0]?.modes).toEqual([1, 5, 0]);
    const r = rig({ slots: [{ slot: 1, module: '45MR-3800' }, { slot: 2, module: '45MR-3810' }] });
    expect(r.device.channel(1, 0).read('aiMode')).toBe(4);
    expect(r.device.channel(2, 0).read('aiMode')).toBe(1);
    // A voltage mode on the current module (and the reverse) is refused by the profile.
    expect(problems({ slots: [{ slot: 1, module: '45MR-3800', channels: [{ index: 0, mode: '0-10V' }] }] }).map((p) => p.path)).toEqual([
      'slots.0.channels.0.mode',
    ]);
    expect(problems({ slots: [{ slot: 1, module: '45MR-3810', channels: [{ index: 0, mode: '4-20mA' }] }] }).map((p) => p.path)).toEqual([
      'slots.0.channels.0.mode',
    ]);
  });

  it('defaults RTD to PT100 and TC to type K, and AO to 0-10V', () => {
    const r = rig({ slots: [{ slot: 1, module: '45MR-6600' }, { slot: 2, module: '45MR-6810' }, { slot: 3, module: '45MR-4420' }] });
    expect(r.device.channel(1, 0).read('rtdMode')).toBe(1);
    expect(r.device.channel(2, 0).read('tcType')).toBe(1);
    expect(r.device.channel(3, 0).read('aoMode')).toBe(1);
  });

  it('names modules per model in slot order: 45MR-1600-0, 45MR-1600-1', () => {
    const { device } = rig({
      slots: [
        { slot: 3, module: '45MR-1600' },
        { slot: 1, module: '45MR-1600' },
        { slot: 2, module: '45MR-2600' },
        { slot: 4, module: '45MR-2600', name: 'Outputs' },
        { slot: 5, module: '45MR-2600' },
      ],
    });
    expect(device.modules.map((m) => [m.slot, m.name])).toEqual([
      [1, '45MR-1600-0'],
      [2, '45MR-2600-0'],
      [3, '45MR-1600-1'],
      [4, 'Outputs'],
      [5, '45MR-2600-2'],
    ]);
  });

  it('counts -T variants apart from the plain model in default names', () => {
    const { device } = rig({ slots: [{ slot: 1, module: '45MR-1600' }, { slot: 2, module: '45MR-1600-T' }] });
    expect(device.modules.map((m) => m.name)).toEqual(['45MR-1600-0', '45MR-1600-T-0']);
  });

  it('names channels DI-00.., with the ioName module@channel', () => {
    const { ch } = oneModule('45MR-1600');
    expect(ch(0).name).toBe('DI-00');
    expect(ch(9).name).toBe('DI-09');
    expect(ch(15).name).toBe('DI-15');
    expect(ch(15).ioName).toBe('45MR-1600-0@DI-15');
  });

  it('indexes a 2606 module-wide: DI 0-7 then DO 8-15 named DO-00..DO-07', () => {
    const { ch, device } = oneModule('45MR-2606');
    expect(ch(0).type).toBe('di');
    expect(ch(7).name).toBe('DI-07');
    expect(ch(8).type).toBe('do');
    expect(ch(8).name).toBe('DO-00');
    expect(ch(15).name).toBe('DO-07');
    expect(device.module(1).channelsOf('do').map((c) => c.index)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(device.findIoName('45MR-2606-0@DO-00')).toBe(ch(8));
  });

  it('names the other channel types with their prefixes', () => {
    const r = rig({
      slots: [
        { slot: 1, module: '45MR-2404' },
        { slot: 2, module: '45MR-3800' },
        { slot: 3, module: '45MR-4420' },
        { slot: 4, module: '45MR-6600' },
        { slot: 5, module: '45MR-6810' },
        { slot: 6, module: '45MR-7210' },
        { slot: 7, module: '45MR-7820' },
      ],
    });
    expect(r.device.modules.map((m) => m.channels[0]?.name ?? null)).toEqual(['RLY-00', 'AI-00', 'AO-00', 'RTD-00', 'TC-00', 'SP-00', null]);
  });

  it('keeps a custom channel name and numbers the rest by type', () => {
    const { ch } = oneModule('45MR-1600', [{ index: 1, name: 'Door' }]);
    expect(ch(0).name).toBe('DI-00');
    expect(ch(1).name).toBe('Door');
    expect(ch(1).ioName).toBe('45MR-1600-0@Door');
    expect(ch(2).name).toBe('DI-02');
  });

  it('resolves modes by code or case-insensitive name', () => {
    expect(modeCode('ai', '4-20mA')).toBe(4);
    expect(modeCode('ai', '4-20MA-BURNOUT')).toBe(3);
    expect(modeCode('rtd', 'pt1000')).toBe(4);
    expect(modeCode('tc', 'K')).toBe(1);
    expect(modeCode('di', 'counter')).toBe(1);
    expect(modeCode('do', 1)).toBe(1);
    expect(modeCode('do', 2)).toBeUndefined();
    expect(modeCode('ai', 'nonsense')).toBeUndefined();
    expect(modeCode('relay', 0)).toBeUndefined();
    expect(modeName('ao', 3)).toBe('4-20mA');
    expect(modeName('tc', 50)).toBe('disable');
    expect(modeName('relay', 0)).toBe('0');
  });
});
