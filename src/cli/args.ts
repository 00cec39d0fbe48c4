/**
 * Command-line parsing for `iothinx-sim start|validate|map`. Addresses are HOST:PORT (port 0 =
 * pick a free one); a bad flag is a CLI_USAGE error, which main turns into exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MQTT_URL } from '../config/mqtt-url.js';
import { SimError } from '../errors.js';

import type { ListenAddress } from '../app/emulator.js';

export type { ListenAddress };

export interface StartOptions {
  profile: string | undefined;
  dataDir: string | undefined;
  http: ListenAddress | null;
  https: ListenAddress | null;
  modbus: ListenAddress | null;
  mqtt: 'off' | 'embedded' | 'profile' | string;
  /** Where the embedded broker listens (when the client uses `embedded`). */
  broker: ListenAddress | null;
  /** Where the SNMP agent listens when the profile turns it on (the device's port is 161). */
  snmp: ListenAddress | null;
  clock: 'real' | 'manual';
  seed: number;
  readyFile: string | undefined;
  logLevel: string | undefined;
  quiet: boolean;
  /** `--scenario FILE`: a scenario run once the emulator is ready (src/cli/scenario-command.ts). */
  scenario: string | undefined;
}

/** `ctl`'s usage (src/cli/ctl.ts), here with the others so that ctl can use usageError without an import cycle. */
export const CTL_USAGE = `  iothinx-sim ctl [--url URL] COMMAND     (URL default: $IOTHINX_URL or http://127.0.0.1:8080)
      get SLOT/INDEX [ATTRIBUTE]           the channel as JSON, or one attribute's value
      set SLOT/INDEX --level 0|1 | --physical N | --burnout true|false | --temperature N | --voltage N | --fault true|false
      write SLOT/INDEX ATTRIBUTE VALUE     a write as a protocol would do it (doStatus, diCounterReset ...)
      wait SLOT/INDEX ATTRIBUTE VALUE [--timeout MS]   exit 0 once equal, 1 after MS (default 5000)
      advance MS                           move a manual clock forward
      fault JSON                           inject a fault, print its id
      clear-faults                         clear every fault
      journal [--kind K] [--source S] [--ioName N] [--attribute A] [--peer P] [--since SEQ] [--limit N]   JSON lines
      health                               the health document`;

export const FIELD_DEVICE_USAGE = `  iothinx-sim field-device --port PATH --profile NAME|FILE [--slave-id N] [--baud N] [--parity none|even|odd]
                    [--data-bits 7|8] [--stop-bits 1|2] [--fault KIND[:ARG]] [--control HOST:PORT] [--seed N] [--ready-file FILE] [--log-level LEVEL]
      NAME: power-meter, temperature-transmitter, vfd (profiles/field-devices); KIND: no-answer, slow:MS, crc, exception:CODE, garbage`;

/** Where a Kubernetes StatefulSet (or any supervisor) puts the fleet's first index, e.g. from the pod ordinal. */
export const FIRST_INDEX_ENV = 'IOTHINX_SIM_FLEET_FIRST';
/** A StatefulSet pod's ordinal (or its name, NAME-ORDINAL): first index = ordinal × count + 1 (src/cli/fleet-first.ts). */
export const ORDINAL_ENV = 'IOTHINX_SIM_FLEET_ORDINAL';

/** The names `--profile NAME` takes (src/config/profile-name.ts; test/unit/profile-name.test.ts keeps this in step with profiles/). */
export const SHIPPED_PROFILES = 'default, packaging-line, rtu-gateway, tank-station';

export const FLEET_USAGE = `  iothinx-sim fleet [--profile NAME|FILE] [--count N] [--first K] [--seed N] [--addressing ports|ports:0|loopback]
                    [--http HOST:PORT|off] [--device-http] [--host HOST] [--gateway HOST:PORT|off] [--mqtt URL|embedded|profile|off] [--broker HOST:PORT]
                    [--clock real|manual] [--scenario FILE] [--ready-file FILE] [--log-level LEVEL] [--quiet]
      N devices from the profile (its fleet: section, else defaults), each distinct on the wire; NAME: a shipped profile (${SHIPPED_PROFILES});
      --first also from ${FIRST_INDEX_ENV}, or from ${ORDINAL_ENV} (a pod ordinal O, or a pod name ending in -O):
      first = O × count + 1; ports:0 = every port picked by the OS (the fleet API's too,
      unless --http names one); --http: the fleet API /fleet/v1 (default 127.0.0.1:8080), every device
      under /fleet/v1/devices/NAME/; a device's own HTTP listener is then off unless fleet.addressing names its port or --device-http;
      --host: where the devices listen with ports addressing (default the profile's, 127.0.0.1);
      --gateway: one Modbus/TCP port for the fleet where unit id u selects device first + u - 1 (fleet.gateway; default off);
      --scenario: a scenario whose steps name fleet devices (device: NAME), queued as run s1 of /fleet/v1/scenarios before the ready file`;

export const RUN_SCENARIO_USAGE = `  iothinx-sim run-scenario FILE [the start options; defaults --clock manual, every service on port 0, --mqtt off]
      runs the scenario on a fresh emulator, one line per step; exit 0 passed, 1 failed, 2 invalid file or options`;

export const START_USAGE = `  iothinx-sim start [--profile NAME|FILE] [--data-dir DIR] [--http HOST:PORT|off] [--https HOST:PORT|off]
                    [--modbus HOST:PORT|off] [--scenario FILE]
                    [--mqtt URL|embedded|off] [--broker HOST:PORT] [--snmp HOST:PORT|off] [--clock real|manual] [--seed N] [--ready-file FILE]
                    [--log-level LEVEL] [--quiet]
      NAME: a shipped profile (${SHIPPED_PROFILES}); FILE: a path (one with a / or a .yaml/.yml/.json extension)
      the common flags of start and fleet also from IOTHINX_SIM_* variables (IOTHINX_SIM_MODBUS=0.0.0.0:502 ...;
      docs/container.md); a flag on the command line wins`;

export const VALIDATE_USAGE = `  iothinx-sim validate [--kind profile|scenario|field-device] FILE|NAME...
      checks each file against the schema of its kind, told by its keys (or --kind): a profile (slots:,
      device: ...), a scenario (steps:) or a field device definition (points:); exit 0 with "FILE: ok (KIND)",
      or 2 with one "file: path: message" line per problem; NAME: a shipped profile (${SHIPPED_PROFILES}),
      with --kind scenario or field-device a shipped one of that kind (profiles/scenarios, profiles/field-devices)`;

export const MAP_USAGE = `  iothinx-sim map [--profile NAME|FILE] [--format table|csv|json]
      the profile's Modbus address table; NAME: a shipped profile (${SHIPPED_PROFILES})`;

/** Each command's usage: what `COMMAND --help` prints (stdout, exit 0) and what follows its usage errors (stderr, exit 2). */
export const COMMAND_USAGE = {
  start: START_USAGE,
  validate: VALIDATE_USAGE,
  map: MAP_USAGE,
  fleet: FLEET_USAGE,
  'run-scenario': RUN_SCENARIO_USAGE,
  'field-device': FIELD_DEVICE_USAGE,
  ctl: CTL_USAGE,
} as const;

export type Command = keyof typeof COMMAND_USAGE;

export function isCommand(name: string | undefined): name is Command {
  return name !== undefined && Object.hasOwn(COMMAND_USAGE, name);
}

/** `iothinx-sim --help`: every command's usage. */
export const USAGE = `usage:
${Object.values(COMMAND_USAGE).join('\n')}
  iothinx-sim COMMAND --help | -h      that command's usage only
  iothinx-sim --version | -V           the package version`;

/** One command's usage, as `COMMAND --help` prints it. */
export function usageOf(command: Command): string {
  return `usage:\n${COMMAND_USAGE[command]}`;
}

/** A usage error of one command: the message, then that command's usage only (main prints it to stderr, exit 2). */
export function usageError(command: Command, message: string): SimError {
  return new SimError('CLI_USAGE', `${message}\n${usageOf(command)}`);
}

const usage = (message: string): SimError => usageError('start', message);

type Fail = (message: string) => SimError;

/** An integer flag within [min, max] (a seed, a count, an index). */
export function parseInteger(flag: string, text: string, min: number, max: number, fail: Fail = usage): number {
  if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) throw fail(`${flag}: expected an integer ${min}..${max}, got "${text}"`);
  return Number(text);
}

export function parseClock(text: string, fail: Fail = usage): 'real' | 'manual' {
  if (text !== 'real' && text !== 'manual') throw fail(`--clock: expected real or manual, got "${text}"`);
  return text;
}

/** --mqtt: a broker URL, embedded, profile (as the profile says) or off. */
export function parseMqtt(text: string, fail: Fail = usage): string {
  if (text !== 'off' && text !== 'profile' && !MQTT_URL.test(text)) {
    throw fail(`--mqtt: expected a URL (mqtt://, mqtts://, ws://, wss://), embedded, profile or off, got "${text}"`);
  }
  return text;
}

/** A seed fits V8's small integers and the seeded random generator's 32 bits. */
export const SEED_RANGE = [-(2 ** 31), 2 ** 31 - 1] as const;

export function parseAddress(flag: string, value: string, fail: Fail = usage): ListenAddress | null {
  if (value === 'off') return null;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65_535) throw fail(`--${flag}: expected HOST:PORT, PORT or off, got "${value}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/**
 * Flags only (no positionals), strict: an unknown or malformed flag becomes a usage error made by
 * `fail`, so each command words it with its own usage text.
 */
type Flags<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<typeof parseArgs<{ args: string[]; strict: true; allowPositionals: false; options: O }>>['values'];

export function parseFlags<const O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, fail: (message: string) => SimError = usage): Flags<O> {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values;
  } catch (error) {
    throw fail((error as Error).message);
  }
}

export function parseStart(argv: string[], fail: Fail = usage): StartOptions {
  const values = parseFlags(argv, {
    profile: { type: 'string' },
    'data-dir': { type: 'string' },
    http: { type: 'string', default: '127.0.0.1:8080' },
    https: { type: 'string', default: '127.0.0.1:8443' },
    modbus: { type: 'string', default: '127.0.0.1:5020' },
    mqtt: { type: 'string', default: 'profile' },
    broker: { type: 'string', default: '127.0.0.1:1883' },
    snmp: { type: 'string', default: '127.0.0.1:1161' },
    clock: { type: 'string', default: 'real' },
    seed: { type: 'string', default: '1' },
    'ready-file': { type: 'string' },
    'log-level': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    scenario: { type: 'string' },
  }, fail);
  const clock = parseClock(values.clock, fail);
  const seed = parseInteger('--seed', values.seed, ...SEED_RANGE, fail);
  const mqtt = parseMqtt(values.mqtt, fail);
  return {
    profile: values.profile,
    dataDir: values['data-dir'],
    http: parseAddress('http', values.http, fail),
    https: parseAddress('https', values.https, fail),
    modbus: parseAddress('modbus', values.modbus, fail),
    mqtt,
    broker: parseAddress('broker', values.broker, fail),
    snmp: parseAddress('snmp', values.snmp, fail),
    clock,
    seed,
    readyFile: values['ready-file'],
    logLevel: values['log-level'],
    quiet: values.quiet,
    scenario: values.scenario,
  };
}

/**
 * `run-scenario FILE [start options]`: the start options with defaults for a one-shot run (a
 * manual clock, every service on a free port, MQTT off); flags given override them.
 */
export function parseRunScenario(argv: string[]): { file: string; options: StartOptions } {
  const [file, ...flags] = argv;
  const fail = (message: string) => usageError('run-scenario', message);
  if (file === undefined || file.startsWith('-')) throw fail('run-scenario: name the scenario file first');
  const defaults = ['--clock', 'manual', '--http', '127.0.0.1:0', '--https', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--broker', '127.0.0.1:0', '--snmp', '127.0.0.1:0'];
  const options = parseStart([...defaults, ...flags], fail);
  if (options.scenario !== undefined) throw fail('run-scenario: the scenario is the first argument, not --scenario');
  return { file, options };
}

export interface MapOptions {
  profile: string | undefined;
  format: 'table' | 'csv' | 'json';
}

export function parseMap(argv: string[]): MapOptions {
  const fail = (message: string) => usageError('map', message);
  const values = parseFlags(argv, { profile: { type: 'string' }, format: { type: 'string', default: 'table' } }, fail);
  if (values.format !== 'table' && values.format !== 'csv' && values.format !== 'json') throw fail(`--format: expected table, csv or json, got "${values.format}"`);
  return { profile: values.profile, format: values.format };
}
