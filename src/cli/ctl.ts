/**
 * `iothinx-sim ctl [--url URL] COMMAND`: the emulator API from shell scripts, through the same
 * SimClient the test fixture uses. Exit codes: 0 ok, 1 failed (timeout, device unreachable, a
 * 5xx), 2 usage or a 4xx from the API, whose message names the field.
 */
import { parseArgs } from 'node:util';
import { SimClient, type FieldInput, type FaultSpecInput, type JournalQuery } from '../testing/client.js';
import { isSimClientError } from '../testing/errors.js';
import { httpTransport } from '../testing/http-transport.js';
import { isSimError, type SimError } from '../errors.js';
import { parseInteger, usageError } from './args.js';

/** A usage error: `ctl: MESSAGE`, then ctl's usage only (src/cli/args.ts); runCtl prints it and returns 2. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function usage(message: string): SimError {
  return usageError('ctl', `ctl: ${message}`);
}

const FIELD_FLAGS = ['level', 'physical', 'burnout', 'temperature', 'voltage', 'fault'] as const;
const JOURNAL_FLAGS = ['kind', 'source', 'ioName', 'attribute', 'peer', 'since', 'from', 'to', 'limit'] as const;
/** Which flags each command takes; any other is a usage error rather than ignored. */
const FLAGS: Record<string, readonly string[]> = {
  get: [],
  set: FIELD_FLAGS,
  write: [],
  wait: ['timeout'],
  advance: [],
  fault: [],
  'clear-faults': [],
  journal: JOURNAL_FLAGS,
  health: [],
};
const ARITY: Record<string, [number, number]> = {
  get: [1, 2],
  set: [1, 1],
  write: [3, 3],
  wait: [3, 3],
  advance: [1, 1],
  fault: [1, 1],
  'clear-faults': [0, 0],
  journal: [0, 0],
  health: [0, 0],
};

function number(what: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw usage(`${what}: expected a number, got "${text}"`);
  return n;
}

function boolean(what: string, text: string): boolean {
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw usage(`${what}: expected true or false, got "${text}"`);
}

function fieldInput(values: Record<string, string | undefined>): FieldInput {
  const input: FieldInput = {};
  for (const key of FIELD_FLAGS) {
    const v = values[key];
    if (v === undefined) continue;
    if (key === 'burnout' || key === 'fault') input[key] = boolean(`--${key}`, v);
    else Object.assign(input, { [key]: number(`--${key}`, v) });
  }
  if (Object.keys(input).length === 0) throw usage(`set: give one of ${FIELD_FLAGS.map((f) => `--${f}`).join(', ')}`);
  return input;
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function run(client: SimClient, command: string, args: string[], values: Record<string, string | undefined>): Promise<number> {
  const [a = '', b = '', c = ''] = args;
  switch (command) {
    case 'get': {
      const channel = await client.request<Record<string, unknown>>('get', channelPathOf(a));
      if (args.length === 1) {
        out(JSON.stringify(channel));
        return 0;
      }
      if (!(b in channel)) throw usage(`get: ${a} (${String(channel.ioName)}) has no attribute ${b}`);
      out(JSON.stringify(channel[b]));
      return 0;
    }
    case 'set':
      await client.setField(a, fieldInput(values));
      return 0;
    case 'write':
      await client.write(a, b, number('VALUE', c));
      return 0;
    case 'wait': {
      // Bounded by what a Node timer can hold (past 2^31-1 ms it fires at once).
      const timeoutMs = values.timeout === undefined ? 5000 : parseInteger('--timeout', values.timeout, 0, MAX_TIMER_MS, usage);
      try {
        await client.waitFor(a, b, number('VALUE', c), { timeoutMs });
        return 0;
      } catch (error) {
        if (!isSimClientError(error, 'CLIENT_TIMEOUT')) throw error;
        process.stderr.write(`ctl: ${error.message}\n`);
        return 1;
      }
    }
    case 'advance':
      await client.advance(number('MS', a));
      return 0;
    case 'fault': {
      let spec: FaultSpecInput;
      try {
        spec = JSON.parse(a) as FaultSpecInput;
      } catch (error) {
        throw usage(`fault: not JSON: ${(error as Error).message}`);
      }
      out((await client.injectFault(spec)).id);
      return 0;
    }
    case 'clear-faults':
      await client.clearFaults();
      return 0;
    case 'journal': {
      const filter = Object.fromEntries(JOURNAL_FLAGS.filter((k) => values[k] !== undefined).map((k) => [k, values[k]])) as JournalQuery;
      for (const entry of await client.journal(filter)) out(JSON.stringify(entry));
      return 0;
    }
    default: // health
      out(JSON.stringify(await client.health()));
      return 0;
  }
}

function channelPathOf(ref: string): string {
  const m = /^(\d+)\/(\d+)$/.exec(ref);
  if (!m) throw usage(`expected a channel as SLOT/INDEX (e.g. 1/0), got "${ref}"`);
  return `/slots/${m[1]}/channels/${m[2]}`;
}

/** Runs one ctl command; returns the exit code. */
export async function runCtl(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: Object.fromEntries(['url', 'timeout', ...FIELD_FLAGS, ...JOURNAL_FLAGS].map((name) => [name, { type: 'string' as const }])),
    });
    const [command, ...args] = positionals;
    if (command === undefined || !(command in FLAGS)) throw usage(command === undefined ? 'name a command' : `unknown command "${command}"`);
    const given = Object.keys(values).filter((k) => k !== 'url');
    const stray = given.find((k) => !FLAGS[command]!.includes(k));
    if (stray) throw usage(`${command}: --${stray} does not apply`);
    const [min, max] = ARITY[command]!;
    if (args.length < min || args.length > max) throw usage(`${command}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.length}`);
    if (['get', 'set', 'write', 'wait'].includes(command)) channelPathOf(args[0]!);
    const url = (values.url as string | undefined) ?? process.env.IOTHINX_URL ?? 'http://127.0.0.1:8080';
    // node:http, not fetch: a ctl process makes one request, and loading fetch would cost more than the rest of it (#19).
    return await run(new SimClient(url, { transport: httpTransport }), command, args, values as Record<string, string | undefined>);
  } catch (error) {
    const usageFailure = isSimError(error, 'CLI_USAGE') ? error : (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? usage((error as Error).message) : undefined;
    if (usageFailure) {
      process.stderr.write(`${usageFailure.message}\n`);
      return 2;
    }
    if (isSimClientError(error)) {
      process.stderr.write(`ctl: ${error.message}${error.path ? ` (field: ${error.path})` : ''}\n`);
      return error.isClientError ? 2 : 1;
    }
    throw error;
  }
}
