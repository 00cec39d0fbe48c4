/**
 * #20: Debian's `snmpget -v3` (net-snmp 5.9, package `snmp`) against the built CLI, for the USM
 * reports of RFC 3414 §3.2 (src/snmp/usm.ts): right credentials answer; a wrong auth key prints
 * "Authentication failure", an unknown user "Unknown user name", a privacy level the user has no
 * key for "Unsupported security level" (each instead of a timeout); a manager whose notion of the
 * engine's time is off (`-Z boots,time`) takes the authenticated usmStatsNotInTimeWindows report,
 * resynchronises and gets its answer. Debian's snmpd answers the same requests the same way (see
 * docs/snmp.md). The profile is the default plus an authNoPriv SHA user and a noAuthNoPriv user;
 * the data dir makes snmpEngineBoots 2 on a second start.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runTool, type ToolRun } from '../helpers/cli-device.js';
import { cleanupProcesses, startCli, tempDir, type Started } from '../helpers/process.js';

const SNMPGET = '/usr/bin/snmpget';
const SYS_NAME = '.1.3.6.1.2.1.1.5.0';
const ADMIN = ['-l', 'authPriv', '-u', 'admin', '-a', 'SHA', '-A', 'iothinx-auth', '-x', 'AES', '-X', 'iothinx-priv'];
const READER = ['-l', 'authNoPriv', '-u', 'reader', '-a', 'SHA', '-A', 'reader-auth'];

let device: Started;
let agent: string;
let data: string;
let profile: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a profile as YAML data.
type Json = any;

async function start(): Promise<void> {
  device = await startCli(['--profile', profile, '--data-dir', data, '--snmp', '127.0.0.1:0', '--http', '127.0.0.1:0', '--modbus', '127.0.0.1:0', '--mqtt', 'off', '--quiet']);
  agent = (device.ready as unknown as { snmp: string }).snmp;
}

async function api(path: string): Promise<Json> {
  return (await fetch(`http://${device.ready.http}/sim/v1${path}`)).json();
}

beforeAll(async () => {
  if (!existsSync(SNMPGET)) throw new Error('missing /usr/bin/snmpget (install the peers with scripts/install-peers.sh: package snmp)');
  const dir = await tempDir();
  data = join(dir, 'data');
  const p = parse(await readFile(new URL('../../profiles/default.yaml', import.meta.url), 'utf8')) as Json;
  p.snmp.users.push({ name: 'reader', level: 'authNoPriv', authProtocol: 'sha', authKey: 'reader-auth', access: 'read-only' });
  p.snmp.users.push({ name: 'plain', level: 'noAuthNoPriv', access: 'read-only' });
  profile = join(dir, 'profile.yaml');
  await writeFile(profile, stringify(p));
  await start();
});

afterAll(async () => {
  await cleanupProcesses();
});

/** snmpget -v3 with a 2 s timeout and one retry: a report must be what ends it, not the timeout. */
function snmpget(args: string[]): Promise<ToolRun> {
  return runTool(SNMPGET, ['-v3', '-t', '2', '-r', '1', ...args, agent, SYS_NAME]);
}

const usm = async () => (await api('/snmp')).counters.usm as Record<string, number>;

function answered(run: ToolRun): void {
  expect(run.code, `stderr: ${run.stderr}`).toBe(0);
  expect(run.stdout).toContain('STRING: "ioThinx_4510"');
}

function refused(run: ToolRun, wording: string): void {
  expect(run.code).not.toBe(0);
  expect(run.stderr + run.stdout).toContain(wording);
  expect(run.stderr + run.stdout).not.toContain('Timeout');
}

describe('snmpget -v3 and the USM reports (RFC 3414 §3.2)', () => {
  it('right credentials: authPriv, authNoPriv and noAuthNoPriv users get their answer', async () => {
    answered(await snmpget(ADMIN));
    answered(await snmpget(READER));
    answered(await snmpget(['-l', 'noAuthNoPriv', '-u', 'plain']));
  });

  it('a wrong auth key: "Authentication failure (incorrect password, community or key)", usmStatsWrongDigests counted', async () => {
    const before = (await usm()).wrongDigests!;
    refused(await snmpget(['-l', 'authNoPriv', '-u', 'reader', '-a', 'SHA', '-A', 'wrong-auth-key']), 'Authentication failure (incorrect password, community or key)');
    refused(await snmpget(['-l', 'authPriv', '-u', 'admin', '-a', 'SHA', '-A', 'wrong-auth-key', '-x', 'AES', '-X', 'iothinx-priv']), 'Authentication failure');
    // MD5 against the SHA user: the digest is wrong too.
    refused(await snmpget(['-l', 'authNoPriv', '-u', 'reader', '-a', 'MD5', '-A', 'reader-auth']), 'Authentication failure');
    expect((await usm()).wrongDigests).toBe(before + 3);
    const journal = (await api('/journal?source=snmp')).entries as { action: string; result: string }[];
    expect(journal).toContainEqual(expect.objectContaining({ action: 'v3 user "reader"', result: 'usmStatsWrongDigests' }));
  });

  it('an unknown user: "Unknown user name"; privacy for a user without a privacy key: "Unsupported security level"', async () => {
    const before = await usm();
    refused(await snmpget(['-l', 'authNoPriv', '-u', 'nobody', '-a', 'SHA', '-A', 'whatever-key']), 'Unknown user name');
    refused(await snmpget(['-l', 'noAuthNoPriv', '-u', 'nobody']), 'Unknown user name');
    refused(await snmpget(['-l', 'authPriv', '-u', 'reader', '-a', 'SHA', '-A', 'reader-auth', '-x', 'AES', '-X', 'whatever-key']), 'Unsupported security level');
    expect(await usm()).toMatchObject({ unknownUserNames: before.unknownUserNames! + 2, unsupportedSecLevels: before.unsupportedSecLevels! + 1 });
  });

  it('out of the time window (-Z boots,time behind the agent): snmpget takes the report, resynchronises and gets its answer', async () => {
    const before = (await usm()).notInTimeWindows!;
    // snmpEngineBoots is 1 on the first start with this data dir; -Z 0,100000 is a notion from a
    // boot before, 100000 s in.
    answered(await snmpget([...ADMIN, '-Z', '0,100000']));
    answered(await snmpget([...READER, '-Z', '0,100000']));
    expect((await usm()).notInTimeWindows).toBe(before + 2);
    // A time within 150 s of the agent's (it started seconds ago): no report needed.
    answered(await snmpget([...READER, '-Z', '1,1']));
    expect((await usm()).notInTimeWindows).toBe(before + 2);
  });

  it('after a restart with the same data dir snmpEngineBoots is 2: a manager still at boots 1 resynchronises', async () => {
    expect((await api('/snmp')).engineBoots).toBe(1);
    device.child.kill('SIGTERM');
    await device.exited;
    await start();
    expect((await api('/snmp')).engineBoots).toBe(2);
    // The notion a manager kept from the first start: boots 1, an hour in.
    answered(await snmpget([...READER, '-Z', '1,3600']));
    expect((await usm()).notInTimeWindows).toBe(1);
    // A notion ahead of the agent's boots cannot be taken back by a report (RFC 3414 §3.2 step
    // 7b: the manager discards it): a timeout, as with Debian's snmpd.
    const ahead = await runTool(SNMPGET, ['-v3', '-t', '1', '-r', '0', ...READER, '-Z', '5,100', agent, SYS_NAME]);
    expect(ahead.stderr + ahead.stdout).toContain('Timeout');
  });
});
