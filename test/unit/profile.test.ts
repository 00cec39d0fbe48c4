import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { formatProblem, loadProfile, parseProfile, problemsOf } from '../../src/config/load.js';
import { profileSchema } from '../../src/config/profile.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { cleanupProcesses, tempDir } from '../helpers/process.js';
import { expectSimError, problems, rig } from './helpers.js';

const paths = (input: unknown) => problems(input).map((p) => p.path);
const one = (module: string, channels: unknown[]) => ({ slots: [{ slot: 1, module, channels }] });

afterEach(cleanupProcesses);

describe('profile: structure', () => {
  it('accepts an empty document and fills the defaults', () => {
    const profile = parseProfile('empty.yaml', '');
    expect(profile.slots).toEqual([]);
    expect(profile.wiring).toEqual([]);
    expect(profile.device.name).toBe('ioThinx_4510');
    expect(profile.internalRegisters.quantities).toEqual({ bool: 48, word: 48, dword: 48, float: 48 });
    expect(profile.modbus).toMatchObject({ enabled: true, unitId: 'any', wordOrder: 'high-first' });
  });

  it('parses YAML with mode names and builds a device from it', () => {
    const profile = parseProfile(
      'rig.yaml',
      [
        'slots:',
        '  - slot: 1',
        '    module: 45MR-3800-T',
        '    channels:',
        '      - { index: 0, mode: 4-20mA-burnout, burnoutThreshold: 3, scaling: { measured: [4, 20], scaled: [0, 100], unit: "%" } }',
        '  - slot: 2',
        '    module: 45MR-2600',
        '    channels:',
        '      - { index: 0, mode: pulse, pulse: { count: 3 } }',
      ].join('\n'),
    );
    expect(profile.slots[1]?.channels[0]?.pulse).toEqual({ count: 3, onWidth: 1000, offWidth: 1000 });
    const device = new Device(profile, new ManualClock());
    onTestFinished(() => device.dispose());
    expect(device.channel(1, 0).read('aiMode')).toBe(3);
    expect(device.channel(2, 0).read('doPulseOnWidth')).toBe(1000);
  });

  it('reports unknown keys and wrong types with their paths', () => {
    const found = problems({ slots: [{ slot: 1, module: '45MR-1600', chanels: [] }], device: { ip: 'x' } });
    expect(found.map((p) => p.path).sort()).toEqual(['device.ip', 'slots.0']);
    expect(found.find((p) => p.path === 'slots.0')?.message).toMatch(/chanels/);
    expect(paths(one('45MR-1600', [{ index: 0, level: 2 }]))).toEqual(['slots.0.channels.0.level']);
    // A failed check (slot >= 1) does not stop the cross-field rules, which see the gap too.
    expect(problems({ slots: [{ slot: 0, module: '45MR-1600' }] })).toEqual([
      { file: 'test.yaml', path: 'slots.0.slot', message: expect.stringMatching(/>=1/) },
      { file: 'test.yaml', path: 'slots.0.slot', message: expect.stringMatching(/without gaps/) },
    ]);
  });

  it('reports structural and cross-field problems together when the structure can still be read', () => {
    expect(paths({ slots: [{ slot: 1, module: '45MR-1600', bogus: 1, channels: [{ index: 5, mode: 'counter' }] }] })).toEqual([
      'slots.0',
      'slots.0.channels.0.mode',
    ]);
  });

  it('formats each problem as file: path: message and joins them in the error message', () => {
    let caught: unknown;
    try {
      parseProfile('bad.yaml', JSON.stringify(one('45MR-9000', [])));
    } catch (error) {
      caught = error;
    }
    const error = expectSimError(() => {
      throw caught;
    }, 'PROFILE_INVALID');
    const list = problemsOf(error)!;
    expect(list).toHaveLength(1);
    expect(formatProblem(list[0]!)).toMatch(/^bad\.yaml: slots\.0\.module: unknown module 45MR-9000; known: 45MR-1600, 45MR-1600-T, /);
    expect(error.message).toBe(list.map(formatProblem).join('\n'));
    expect(problemsOf(new Error('x'))).toBeUndefined();
  });
});

describe('profile: invalid YAML', () => {
  it('gives PROFILE_READ_FAILED with the line number', () => {
    const text = ['slots:', '  - slot: 1', '    module: 45MR-1600', '   channels: []', ''].join('\n');
    const error = expectSimError(() => parseProfile('broken.yaml', text), 'PROFILE_READ_FAILED');
    const list = problemsOf(error)!;
    expect(list.length).toBeGreaterThan(0);
    expect(list[0]).toMatchObject({ file: 'broken.yaml', path: 'line 4' });
    expect(error.message).toMatch(/^broken\.yaml: line 4: /);
  });

  it('refuses duplicate keys', () => {
    const error = expectSimError(() => parseProfile('dup.yaml', 'device:\n  name: a\n  name: b\n'), 'PROFILE_READ_FAILED');
    expect(problemsOf(error)?.[0]).toMatchObject({ file: 'dup.yaml', path: 'line 3' });
  });

  it('reads JSON as YAML', () => {
    expect(parseProfile('p.json', '{"slots": [{"slot": 1, "module": "45MR-2404"}]}').slots[0]?.module).toBe('45MR-2404');
  });
});

describe('profile: cross-field rules', () => {
  it('refuses counter mode on DI channel 5 at slots.0.channels.0.mode', () => {
    const found = problems(one('45MR-1600', [{ index: 5, mode: 'counter' }]));
    expect(found).toEqual([{ file: 'test.yaml', path: 'slots.0.channels.0.mode', message: 'only DI channels 0..3 of this module can be counters' }]);
    expect(paths(one('45MR-2606', [{ index: 2, mode: 1 }]))).toEqual(['slots.0.channels.0.mode']);
    expect(paths(one('45MR-2606', [{ index: 1, mode: 1 }]))).toEqual([]);
  });

  it('refuses counter settings on a channel that cannot count', () => {
    expect(paths(one('45MR-1600', [{ index: 4, counterValue: 3, counterRunning: false }]))).toEqual([
      'slots.0.channels.0.counterValue',
      'slots.0.channels.0.counterRunning',
    ]);
  });

  it('takes counterRetain on a counter-capable DI only, naming the path otherwise', () => {
    expect(paths(one('45MR-1600', [{ index: 3, mode: 'counter', counterRetain: true }]))).toEqual([]);
    expect(problems(one('45MR-1600', [{ index: 4, counterRetain: true }]))).toEqual([
      { file: 'test.yaml', path: 'slots.0.channels.0.counterRetain', message: 'counterRetain applies only to counter-capable channels' },
    ]);
    expect(paths(one('45MR-2600', [{ index: 0, counterRetain: true }]))).toEqual(['slots.0.channels.0.counterRetain']);
  });

  it('refuses pulse mode and pulse settings past the pulse-capable DOs, and an initial status in pulse mode', () => {
    expect(paths(one('45MR-2600', [{ index: 4, mode: 'pulse' }]))).toEqual(['slots.0.channels.0.mode']);
    expect(paths(one('45MR-2600', [{ index: 4, pulse: { count: 1 } }]))).toEqual(['slots.0.channels.0.pulse']);
    expect(paths(one('45MR-2606', [{ index: 10, mode: 'pulse' }]))).toEqual(['slots.0.channels.0.mode']);
    expect(paths(one('45MR-2600', [{ index: 0, mode: 'pulse', status: 1 }]))).toEqual(['slots.0.channels.0.status']);
  });

  it('refuses an unknown module', () => {
    expect(problems({ slots: [{ slot: 1, module: '45MR-1600' }, { slot: 2, module: '45MR-1234' }] })).toEqual([
      { file: 'test.yaml', path: 'slots.1.module', message: expect.stringMatching(/^unknown module 45MR-1234; known: /) },
    ]);
  });

  it('refuses slot gaps', () => {
    const found = problems({ slots: [{ slot: 1, module: '45MR-1600' }, { slot: 3, module: '45MR-2600' }] });
    expect(found).toEqual([
      { file: 'test.yaml', path: 'slots.1.slot', message: 'slots must be numbered 1..2 without gaps or repeats (a rail has no empty slots); found 3' },
    ]);
    expect(paths({ slots: [{ slot: 2, module: '45MR-1600' }] })).toEqual(['slots.0.slot']);
  });

  it('refuses a repeated slot number, pointing at the repeat', () => {
    expect(paths({ slots: [{ slot: 1, module: '45MR-1600' }, { slot: 1, module: '45MR-2600' }] })).toEqual(['slots.1.slot']);
    expect(paths({ slots: [{ slot: 2, module: '45MR-1600' }, { slot: 1, module: '45MR-2600' }, { slot: 2, module: '45MR-2404' }] })).toEqual([
      'slots.2.slot',
    ]);
  });

  it('refuses duplicate channel names', () => {
    const found = problems(
      one('45MR-1600', [
        { index: 0, name: 'Door' },
        { index: 1, name: 'Door' },
      ]),
    );
    expect(found).toEqual([{ file: 'test.yaml', path: 'slots.0.channels.1.name', message: 'channel name Door is already used by channel 0 of this module' }]);
  });

  it('refuses a channel name that repeats another channel’s default name', () => {
    // DI-00 keeps its default name, so naming channel 3 "DI-00" would give two channels one ioName.
    const found = problems(one('45MR-1600', [{ index: 3, name: 'DI-00' }]));
    expect(found).toEqual([{ file: 'test.yaml', path: 'slots.0.channels.0.name', message: 'channel name DI-00 is already used by channel 0 of this module' }]);
    // Swapping default names between configured channels is fine.
    expect(
      paths(
        one('45MR-1600', [
          { index: 0, name: 'DI-01' },
          { index: 1, name: 'DI-00' },
        ]),
      ),
    ).toEqual([]);
  });

  it('refuses a channel configured twice and an index past the module', () => {
    expect(paths(one('45MR-1600', [{ index: 2 }, { index: 2 }]))).toEqual(['slots.0.channels.1.index']);
    expect(problems(one('45MR-2404', [{ index: 4 }]))).toEqual([
      { file: 'test.yaml', path: 'slots.0.channels.0.index', message: '45MR-2404 has channels 0..3; there is no channel 4' },
    ]);
  });

  it('refuses duplicate module names, including a clash with a default name', () => {
    expect(
      paths({
        slots: [
          { slot: 1, module: '45MR-1600', name: 'IO' },
          { slot: 2, module: '45MR-2600', name: 'IO' },
        ],
      }),
    ).toEqual(['slots.1.name']);
    expect(
      paths({
        slots: [
          { slot: 1, module: '45MR-1600', name: '45MR-1600-1' },
          { slot: 2, module: '45MR-1600' },
        ],
      }),
    ).toEqual(['slots.1.name']);
  });

  it.each([
    ['45MR-1600', 'physical', 12, 'physical does not apply to a DI channel'],
    ['45MR-1600', 'status', 1, 'status does not apply to a DI channel'],
    ['45MR-2600', 'level', 1, 'level does not apply to a DO channel'],
    ['45MR-2404', 'pulse', { count: 1 }, 'pulse does not apply to a RELAY channel'],
    ['45MR-3800', 'temperature', 20, 'temperature does not apply to a AI channel'],
    ['45MR-4420', 'safeValue', 0, 'safeValue does not apply to a AO channel'],
    ['45MR-6600', 'output', 1, 'output does not apply to a RTD channel'],
    ['45MR-7210', 'filterMs', 5, 'filterMs does not apply to a SP channel'],
  ])('refuses a field that does not apply: %s %s', (module, key, value, message) => {
    expect(problems(one(module, [{ index: 0, [key]: value }]))).toEqual([{ file: 'test.yaml', path: `slots.0.channels.0.${key}`, message }]);
  });

  it('refuses a signal on an output', () => {
    expect(paths(one('45MR-2600', [{ index: 0, signal: { kind: 'constant', value: 1 } }]))).toEqual(['slots.0.channels.0.signal']);
    expect(paths(one('45MR-4420', [{ index: 0, signal: { kind: 'constant', value: 1 } }]))).toEqual(['slots.0.channels.0.signal']);
    expect(paths(one('45MR-7210', [{ index: 0, signal: { kind: 'constant', value: 24 } }]))).toEqual([]);
  });

  it('refuses modes a channel cannot take', () => {
    expect(problems(one('45MR-3800', [{ index: 0, mode: '0-10V' }]))[0]).toMatchObject({
      path: 'slots.0.channels.0.mode',
      message: 'mode 0-10V is not allowed here; allowed: 4, 3, 2, 0',
    });
    expect(paths(one('45MR-1600', [{ index: 0, mode: 'pulse' }]))).toEqual(['slots.0.channels.0.mode']);
    expect(paths(one('45MR-6600', [{ index: 0, mode: 'K' }]))).toEqual(['slots.0.channels.0.mode']);
    expect(paths(one('45MR-2404', [{ index: 0, mode: 0 }]))).toEqual(['slots.0.channels.0.mode']);
    expect(paths(one('45MR-6810', [{ index: 0, mode: 'k' }]))).toEqual([]);
  });

  it('checks AI settings against the mode', () => {
    expect(paths(one('45MR-3800', [{ index: 0, burnoutThreshold: 1 }]))).toEqual(['slots.0.channels.0.burnoutThreshold']);
    expect(paths(one('45MR-3800', [{ index: 0, mode: 3, burnoutThreshold: 1 }]))).toEqual([]);
    expect(paths(one('45MR-3800', [{ index: 0, mode: 3, burnoutThreshold: 4.5 }]))).toEqual(['slots.0.channels.0.burnoutThreshold']);
    expect(paths(one('45MR-3800', [{ index: 0, scaling: { measured: [2, 20], scaled: [0, 100] } }]))).toEqual(['slots.0.channels.0.scaling.measured.0']);
    expect(paths(one('45MR-3810', [{ index: 0, mode: '+-10V', scaling: { measured: [-10, 11], scaled: [0, 1] } }]))).toEqual([
      'slots.0.channels.0.scaling.measured.1',
    ]);
    expect(paths(one('45MR-3800', [{ index: 0, scaling: { measured: [8, 8], scaled: [0, 1] } }]))).toEqual(['slots.0.channels.0.scaling.measured']);
    expect(paths(one('45MR-3800', [{ index: 0, physical: 101 }]))).toEqual(['slots.0.channels.0.physical']);
  });

  it('refuses an AO output outside the mode range', () => {
    expect(problems(one('45MR-4420', [{ index: 0, mode: '4-20mA', output: 2 }]))).toEqual([
      { file: 'test.yaml', path: 'slots.0.channels.0.output', message: 'must be within 4..20 mA for this mode' },
    ]);
    expect(paths(one('45MR-4420', [{ index: 0, output: 10.5 }]))).toEqual(['slots.0.channels.0.output']);
    expect(paths(one('45MR-4420', [{ index: 0, mode: '+-10V', output: -10 }]))).toEqual([]);
  });

  describe('wiring', () => {
    const rail = (wiring: unknown[]) => ({
      slots: [
        { slot: 1, module: '45MR-1600', channels: [{ index: 2, name: 'Door' }] },
        { slot: 2, module: '45MR-2600' },
        { slot: 3, module: '45MR-2404' },
      ],
      wiring,
    });

    it('accepts DO or relay to DI by slot/index or ioName', () => {
      const profile = profileSchema.parse(rail([{ from: '2/0', to: '1/0' }, { from: '45MR-2404-0@RLY-01', to: '45MR-1600-0@Door', invert: true }]));
      expect(profile.wiring).toEqual([
        { from: '2/0', to: '1/0', invert: false },
        { from: '45MR-2404-0@RLY-01', to: '45MR-1600-0@Door', invert: true },
      ]);
    });

    it('refuses a wire to a DI that already has a signal', () => {
      const profile = { ...rail([{ from: '2/0', to: '1/4' }]), slots: [{ slot: 1, module: '45MR-1600', channels: [{ index: 4, signal: { kind: 'constant', value: 1 } }] }, { slot: 2, module: '45MR-2600' }] };
      expect(problems(profile)).toEqual([
        { file: 'test.yaml', path: 'wiring.0.to', message: '1/4 already has a signal; a DI is driven by a wire or a signal, not both' },
      ]);
    });

    it('refuses wiring from a DI', () => {
      expect(problems(rail([{ from: '1/3', to: '1/4' }]))).toEqual([{ file: 'test.yaml', path: 'wiring.0.from', message: 'must name a DO or relay, not a DI' }]);
    });

    it('refuses wiring to anything but a DI, unknown channels, and a DI driven twice', () => {
      expect(problems(rail([{ from: '2/0', to: '3/0' }]))).toEqual([{ file: 'test.yaml', path: 'wiring.0.to', message: 'must name a DI, not a RELAY' }]);
      expect(problems(rail([{ from: '2/16', to: '45MR-1600-0@DI-02' }]))).toEqual([
        { file: 'test.yaml', path: 'wiring.0.from', message: 'no channel 2/16' },
        { file: 'test.yaml', path: 'wiring.0.to', message: 'no channel 45MR-1600-0@DI-02' },
      ]);
      expect(paths(rail([{ from: '2/0', to: '1/5' }, { from: '2/1', to: '1/5' }]))).toEqual(['wiring.1.to']);
    });

    it('sees one DI driven twice under two spellings', () => {
      expect(problems(rail([{ from: '2/0', to: '1/5' }, { from: '2/1', to: '45MR-1600-0@DI-05' }]))).toEqual([
        { file: 'test.yaml', path: 'wiring.1.to', message: '45MR-1600-0@DI-05 is already driven by another wire' },
      ]);
      expect(paths(rail([{ from: '2/0', to: '45MR-1600-0@Door' }, { from: '2/1', to: '1/2' }]))).toEqual(['wiring.1.to']);
    });
  });

  it('refuses an internal register index out of range', () => {
    expect(
      problems({ internalRegisters: { quantities: { bool: 4, word: 48, dword: 48, float: 48 }, initial: [{ type: 'bool', index: 4, value: 1 }] } }),
    ).toEqual([{ file: 'test.yaml', path: 'internalRegisters.initial.0.index', message: 'there are 4 bool registers (0..3)' }]);
  });

  it('refuses an internal register initial value the register cannot hold', () => {
    const found = problems({
      internalRegisters: {
        initial: [
          { type: 'word', index: 0, value: 40000 },
          { type: 'bool', index: 0, value: 2 },
          { type: 'dword', index: 0, value: 1.5 },
          { type: 'float', index: 0, value: 1e39 },
          { type: 'word', index: 1, value: -32768 },
        ],
      },
    });
    expect(found.map((p) => p.path)).toEqual([
      'internalRegisters.initial.0.value',
      'internalRegisters.initial.1.value',
      'internalRegisters.initial.2.value',
      'internalRegisters.initial.3.value',
    ]);
    expect(found[0]?.message).toMatch(/-32768\.\.32767/);
  });

  it('reports several problems at once, in one pass', () => {
    const found = problems({
      slots: [
        { slot: 1, module: '45MR-1600', channels: [{ index: 5, mode: 'counter', physical: 3 }, { index: 16 }] },
        { slot: 3, module: '45MR-2600', channels: [{ index: 0, mode: 'pulse', status: 1 }] },
        { slot: 4, module: '45MR-0000' },
      ],
      internalRegisters: { initial: [{ type: 'word', index: 48, value: 0 }] },
      wiring: [{ from: '1/0', to: '1/1' }],
    });
    expect(found.map((p) => p.path)).toEqual([
      'slots.1.slot',
      'slots.2.slot',
      'slots.0.channels.0.physical',
      'slots.0.channels.0.mode',
      'slots.0.channels.1.index',
      'slots.1.channels.0.status',
      'slots.2.module',
      'internalRegisters.initial.0.index',
      'wiring.0.from',
    ]);
    expect(found.every((p) => p.file === 'test.yaml')).toBe(true);
  });
});

describe('profile files', () => {
  it('loads a profile file from disk', async () => {
    const dir = await tempDir();
    const file = join(dir, 'p.yaml');
    await writeFile(file, 'slots:\n  - { slot: 1, module: 45MR-1600 }\n');
    const profile = await loadProfile(file);
    expect(profile.slots[0]?.module).toBe('45MR-1600');
  });

  it('gives PROFILE_READ_FAILED for a missing file', async () => {
    const dir = await tempDir();
    const file = join(dir, 'missing.yaml');
    const error = await loadProfile(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expectSimError(() => {
      throw error;
    }, 'PROFILE_READ_FAILED');
    expect(problemsOf(error)).toEqual([{ file, path: '(file)', message: 'no such file' }]);
  });

  it('loads every profile in profiles/ and builds a device from it', async () => {
    const dir = new URL('../../profiles/', import.meta.url);
    const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const profile = await loadProfile(fileURLToPath(new URL(file, dir)));
      const r = rig(profile);
      expect(r.device.modules.length, file).toBe(profile.slots.length);
    }
  });
});
