/**
 * #18 item 4, CLI manners: `--help` on every command (that command's usage only, stdout, exit 0),
 * `--version`, usage errors with that command's usage only (stderr, exit 2), output piped into a
 * reader that stops early (no EPIPE stack trace), a port in use naming its service and flag, a
 * banner that lists every service that is on, and `validate` of each kind of file.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COMMAND_USAGE, usageOf, type Command } from '../../src/cli/args.js';
import { CLI, cleanupProcesses, runCli, startCli, startCliWith, tempDir } from '../helpers/process.js';
import { until } from '../helpers/until.js';

afterEach(cleanupProcesses);

const COMMANDS = Object.keys(COMMAND_USAGE) as Command[];
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The commands whose usage a text shows (`iothinx-sim NAME` at the start of a line). */
function commandsIn(text: string): string[] {
  return COMMANDS.filter((c) => new RegExp(`^ {2}iothinx-sim ${c} `, 'm').test(text));
}

describe('--help and --version', () => {
  it.each(COMMANDS)('%s --help prints its usage only, on stdout, exit 0', async (command) => {
    for (const flag of ['--help', '-h']) {
      const run = await runCli([command, flag]);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(`${usageOf(command)}\n`);
      expect(commandsIn(run.stdout)).toEqual([command]);
    }
  });

  it('--help after other flags, and the overview with every command', async () => {
    const late = await runCli(['start', '--clock', 'manual', '--help']);
    expect(late.code).toBe(0);
    expect(commandsIn(late.stdout)).toEqual(['start']);
    const overview = await runCli(['--help']);
    expect(overview.code).toBe(0);
    expect(commandsIn(overview.stdout)).toEqual(COMMANDS);
    expect(overview.stdout).toContain('iothinx-sim --version');
  });

  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`${VERSION}\n`);
    }
  });
});

describe('usage errors', () => {
  it.each<[Command, string[], string]>([
    ['start', ['--bogus'], "Unknown option '--bogus'"],
    ['start', ['--modbus', 'nowhere'], '--modbus: expected HOST:PORT'],
    ['map', ['--format', 'xml'], '--format: expected table, csv or json, got "xml"'],
    ['validate', [], 'validate: name at least one file'],
    ['validate', ['--kind', 'recipe', 'x.yaml'], '--kind: expected profile, scenario, field-device, got "recipe"'],
    ['fleet', ['--count', '0'], '--count: expected an integer 1..10000'],
    ['fleet', ['--gateway', 'nowhere:x'], '--gateway: expected HOST:PORT'],
    ['run-scenario', [], 'run-scenario: name the scenario file first'],
    ['field-device', ['--port', '/dev/null'], '--profile is required'],
    ['ctl', ['frobnicate'], 'ctl: unknown command "frobnicate"'],
    ['ctl', ['--bogus', 'health'], "ctl: Unknown option '--bogus'"],
    ['ctl', ['wait', '1/0', 'diStatus', '1', '--timeout', '9999999999'], 'ctl: --timeout: expected an integer 0..2147483647, got "9999999999"'],
  ])('%s %j: the message and that usage only, on stderr, exit 2', async (command, args, message) => {
    const run = await runCli([command, ...args]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(COMMAND_USAGE[command]);
    expect(commandsIn(run.stderr)).toEqual([command]);
    // Every command words it through usageError (src/cli/args.ts): the message, then `usage:` and its usage.
    expect(run.stderr.endsWith(`\n${usageOf(command)}\n`)).toBe(true);
  });

  it('no command: the overview on stderr, exit 2', async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(commandsIn(run.stderr)).toEqual(COMMANDS);
  });
});

describe('output into a reader that stops early', () => {
  // Each pipeline makes the write fail: the map (~120 KB) overflows the pipe's 64 KB before `head`
  // is gone; the others write after the reader closed its end, before node has even started.
  it.each([['map --format json | head -1'], ['--help | { exec <&-; }'], ['map --format json | { exec <&-; }'], ['--version | { exec <&-; }']])(
    'iothinx-sim %s: no EPIPE, no stack trace',
    (pipeline) => {
      const run = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${CLI} ${pipeline}`], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    },
  );
});

describe('a failing command into a reader that stops early', () => {
  it("run-scenario | head -1 keeps the scenario's exit code (80 KB of output: past the pipe's buffer, so EPIPE)", async () => {
    const dir = await tempDir();
    const scenario = join(dir, 'fails.yaml');
    await writeFile(scenario, ['name: fails', 'steps:', ...Array.from({ length: 200 }, (_, i) => `  - log: line ${i} ${"x".repeat(400)}`), '  - assert: { target: 1/0, attribute: diStatus, equals: 1 }', ''].join('\n'));
    const run = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${CLI} run-scenario ${scenario} --clock manual | head -1`], { encoding: 'utf8' });
    expect(run.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/EPIPE|at .*\.cjs/);
    expect(run.status).toBe(1);
  });
});

/** A TCP port held by this process for the test. */
async function heldTcpPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('a port in use', () => {
  const FREE = ['--http', '127.0.0.1:0', '--https', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--snmp', '127.0.0.1:0', '--mqtt', 'off', '--quiet'];

  it.each([
    ['modbus', 'Modbus/TCP'],
    ['http', 'HTTP'],
  ])('--%s: names the service and the flag, exit 1', async (flag, service) => {
    const held = await heldTcpPort();
    try {
      const run = await runCli(['start', ...FREE, `--${flag}`, `127.0.0.1:${held.port}`]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`iothinx-sim: ${service}: 127.0.0.1:${held.port} is in use; choose another with --${flag} HOST:PORT or --${flag} 127.0.0.1:0\n`);
    } finally {
      await held.close();
    }
  });

  it('--broker (embedded MQTT) and --snmp (UDP) too', async () => {
    const held = await heldTcpPort();
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const udpPort = udp.address().port;
    try {
      const broker = await runCli(['start', ...FREE, '--mqtt', 'embedded', '--broker', `127.0.0.1:${held.port}`]);
      expect(broker.code).toBe(1);
      expect(broker.stderr).toContain(`MQTT broker (embedded): 127.0.0.1:${held.port} is in use; choose another with --broker HOST:PORT or --broker 127.0.0.1:0`);
      const snmp = await runCli(['start', ...FREE, '--snmp', `127.0.0.1:${udpPort}`]);
      expect(snmp.code).toBe(1);
      expect(snmp.stderr).toContain(`SNMP: 127.0.0.1:${udpPort} is in use; choose another with --snmp HOST:PORT or --snmp 127.0.0.1:0`);
    } finally {
      udp.close();
      await held.close();
    }
  });

  it('fleet --http (the fleet API) and --gateway', async () => {
    const held = await heldTcpPort();
    try {
      const api = await runCli(['fleet', '--count', '2', '--addressing', 'ports:0', '--mqtt', 'off', '--quiet', '--http', `127.0.0.1:${held.port}`]);
      expect(api.code).toBe(1);
      expect(api.stderr).toContain(`fleet API (HTTP): 127.0.0.1:${held.port} is in use; choose another with --http HOST:PORT or --http 127.0.0.1:0`);
      const gateway = await runCli(['fleet', '--count', '2', '--addressing', 'ports:0', '--mqtt', 'off', '--quiet', '--gateway', `127.0.0.1:${held.port}`]);
      expect(gateway.code).toBe(1);
      expect(gateway.stderr).toContain(`Modbus gateway: 127.0.0.1:${held.port} is in use; choose another with --gateway HOST:PORT or --gateway 127.0.0.1:0`);
    } finally {
      await held.close();
    }
  });
});

describe('the start banner', () => {
  it('lists every service that is on: HTTP, Modbus/TCP, SNMP and an external MQTT broker without its password', async () => {
    // Nothing listens on port 1: the client keeps retrying, and start does not wait for an external broker.
    const started = await startCliWith(['start', '--http', '127.0.0.1:0', '--https', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--snmp', '127.0.0.1:0', '--mqtt', 'mqtt://user:secret@127.0.0.1:1']);
    const banner = await until('the banner', () => (started.stderr().includes('MQTT broker') ? started.stderr() : undefined));
    expect(banner).toContain(`web UI and APIs  http://${started.ready.http}/`);
    expect(banner).toContain(`Modbus/TCP       ${started.ready.modbus}`);
    expect(banner).toContain(`SNMP             udp ${started.ready.snmp}`);
    expect(banner).toContain('MQTT broker      mqtt://127.0.0.1:1  (external');
    expect(banner).not.toContain('secret');
  });

  it('names the embedded broker as such', async () => {
    const started = await startCli(['--http', '127.0.0.1:0', '--https', '127.0.0.1:0', '--modbus', 'off', '--mqtt', 'embedded', '--broker', '127.0.0.1:0']);
    const banner = await until('the banner', () => (started.stderr().includes('MQTT broker') ? started.stderr() : undefined));
    expect(banner).toContain(`MQTT broker      mqtt://${started.ready.broker}  (embedded`);
    expect(banner).not.toContain('Modbus/TCP');
  });
});

describe('validate: profiles, scenarios, field devices', () => {
  it('tells each shipped file’s kind', async () => {
    const run = await runCli(['validate', 'profiles/default.yaml', 'profiles/scenarios/default-io-selftest.yaml', 'profiles/field-devices/vfd.yaml', 'tank-station']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('profiles/default.yaml: ok (profile)\n');
    expect(run.stdout).toContain('profiles/scenarios/default-io-selftest.yaml: ok (scenario)\n');
    expect(run.stdout).toContain('profiles/field-devices/vfd.yaml: ok (field device)\n');
    expect(run.stdout).toMatch(/tank-station\.yaml: ok \(profile\)\n/);
  });

  it('a bare name is a shipped file of the --kind; an unknown one lists that kind’s names (#18 review)', async () => {
    const run = await runCli(['validate', '--kind', 'field-device', 'vfd', 'power-meter']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/profiles\/field-devices\/vfd\.yaml: ok \(field device\)\n/);
    expect(run.stdout).toMatch(/profiles\/field-devices\/power-meter\.yaml: ok \(field device\)\n/);
    const scenario = await runCli(['validate', '--kind', 'scenario', 'tank-station-selftest']);
    expect(scenario.code, scenario.stderr).toBe(0);
    expect(scenario.stdout).toMatch(/profiles\/scenarios\/tank-station-selftest\.yaml: ok \(scenario\)\n/);
    const unknown = await runCli(['validate', '--kind', 'field-device', 'tank-station']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'tank-station: (field device name): no field device of that name ships with iothinx-sim (power-meter, temperature-transmitter, vfd); name a file of your own by its path, e.g. ./tank-station.yaml\n',
    );
    expect(unknown.stdout).toBe('tank-station: 1 problem (field device)\n');
  });

  it('checks a scenario and a field device against their own schemas, naming file and path', async () => {
    const dir = await tempDir();
    const scenario = join(dir, 'bad-scenario.yaml');
    await writeFile(scenario, 'name: s\nsteps:\n  - { wait: -5 }\n');
    const device = join(dir, 'bad-device.yaml');
    await writeFile(device, 'name: d\npoints:\n  - { name: p, table: coil, address: 0, type: float99 }\n');
    const run = await runCli(['validate', scenario, device]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^${scenario.replace(/[.]/g, '\\.')}: steps\\.0\\.wait: `, 'm'));
    expect(run.stderr).toMatch(new RegExp(`^${device.replace(/[.]/g, '\\.')}: points\\.0\\.type: `, 'm'));
    expect(run.stdout).toContain(`${scenario}: 1 problem (scenario)\n`);
    expect(run.stdout).toContain(`${device}: 1 problem (field device)\n`);
  });

  it('says which kinds it expects for a file of none of them; --kind names one', async () => {
    const dir = await tempDir();
    const other = join(dir, 'recipe.yaml');
    await writeFile(other, 'ingredients: [flour, water]\n');
    const run = await runCli(['validate', other]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `${other}: (root): not a profile (slots:, device: ...), a scenario (steps:) or a field device definition (points:); name its kind with --kind profile|scenario|field-device\n`,
    );
    const forced = await runCli(['validate', '--kind', 'scenario', 'profiles/default.yaml']);
    expect(forced.code).toBe(2);
    expect(forced.stdout).toMatch(/profiles\/default\.yaml: \d+ problems? \(scenario\)/);
  });
});
