/**
 * Debian's net-snmp tools (snmpwalk, snmpbulkwalk, snmpget, snmpset from `snmp`, snmptrapd from
 * `snmptrapd`) against the built CLI running the default profile, with names resolved through
 * mibs/MOXA-IOTHINX4510-MIB.txt (`-M +mibs`: the directory also holds the SNMPv2 modules, which
 * Debian does not ship). `-m MOXA-IOTHINX4510-MIB` without `+` loads only that module (and what it
 * imports), so the tools do not complain about Debian's missing default MIBs.
 *
 * Traps: a second emulator with a temp profile whose snmp.traps watch DO-00 of slot 2 (v2c trap,
 * v2c inform, v3 authPriv trap, v3 authPriv inform) sends to snmptrapd on a free port; the v3 trap
 * user is created in snmptrapd with the emulator's engine id (GET /sim/v1/snmp), the inform user
 * with snmptrapd's own (an inform's authoritative engine is the receiver).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runTool, startCliDevice, type CliDevice, type ToolRun } from '../helpers/cli-device.js';
import { mbpoll as mbpollClient } from '../helpers/mbpoll.js';
import { cleanupProcesses, tempDir } from '../helpers/process.js';

const MIBS = new URL('../../mibs', import.meta.url).pathname;
const PROFILE = new URL('../../profiles/default.yaml', import.meta.url).pathname;
const MIB = ['-M', `+${MIBS}`, '-m', 'MOXA-IOTHINX4510-MIB'];
const ENTERPRISE = '.1.3.6.1.4.1.8691.10.4510';
const TOOLS = {
  snmpget: '/usr/bin/snmpget',
  snmpset: '/usr/bin/snmpset',
  snmpwalk: '/usr/bin/snmpwalk',
  snmpbulkwalk: '/usr/bin/snmpbulkwalk',
  snmptrapd: '/usr/sbin/snmptrapd',
};
const V3 = ['-v3', '-l', 'authPriv', '-u', 'admin', '-a', 'SHA', '-A', 'iothinx-auth', '-x', 'AES', '-X', 'iothinx-priv'];
const WAIT_MS = 10_000;

let device: CliDevice;
let agent: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  const missing = Object.values(TOOLS).filter((tool) => !existsSync(tool));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')} (install the peers with scripts/install-peers.sh: packages snmp, snmptrapd)`);
  device = await startCliDevice();
  agent = await snmpAddress(device);
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await cleanupProcesses();
});

async function snmpAddress(d: CliDevice): Promise<string> {
  const status = (await d.call('GET', '/snmp')).body as { address: string | null };
  if (!status.address) throw new Error(`the emulator runs no SNMP agent: ${JSON.stringify(status)}`);
  return status.address;
}

/** A net-snmp tool, 2 s timeout and one retry so a refused request fails fast. */
function tool(name: keyof typeof TOOLS, args: string[]): Promise<ToolRun> {
  return runTool(TOOLS[name], ['-t', '2', '-r', '1', ...MIB, ...args]);
}

function ok(run: ToolRun): string {
  expect(run.code, `exit ${run.code}; stderr: ${run.stderr}`).toBe(0);
  return run.stdout;
}

/** The rail's DO channels, from the emulator API. */
async function doCount(d: CliDevice): Promise<number> {
  const slots = (await d.call('GET', '/device')).body.slots as { channels: { type: string }[] }[];
  return slots.flatMap((s) => s.channels).filter((c) => c.type === 'do').length;
}

const EXHAUSTED = /No more variables left in this MIB View/;

/** Checks a walk of the enterprise subtree; returns its lines. */
async function checkWalk(stdout: string, label: string): Promise<string[]> {
  const lines = stdout.trim().split('\n');
  // Every object line names its object from the MIB; an exception may end the walk, never sit in it.
  const firstEnd = lines.findIndex((l) => EXHAUSTED.test(l));
  const body = firstEnd === -1 ? lines : lines.slice(0, firstEnd);
  expect(body.length, label).toBeGreaterThan(100);
  for (const line of body) expect(line, label).toMatch(/^MOXA-IOTHINX4510-MIB::\w+\.\d+ = /);
  expect(body.filter((l) => EXHAUSTED.test(l) || /No Such (Object|Instance)/.test(l)), label).toEqual([]);
  for (const name of ['deviceName.0', 'diStatus.0', 'doStatus.0', 'eventTriggerType.0']) {
    expect(body.some((l) => l.startsWith(`MOXA-IOTHINX4510-MIB::${name} = `)), `${label}: ${name}`).toBe(true);
  }
  expect(body).toContain('MOXA-IOTHINX4510-MIB::doStatus.0 = INTEGER: off(0)');
  const doRows = body.filter((l) => l.startsWith('MOXA-IOTHINX4510-MIB::doStatus.'));
  expect(doRows.length, label).toBe(await doCount(device));
  return lines;
}

describe('snmpwalk / snmpbulkwalk', () => {
  it('walks the whole enterprise subtree with names from the MIB', async () => {
    const lines = await checkWalk(ok(await tool('snmpwalk', ['-v2c', '-c', 'public', agent, ENTERPRISE])), 'snmpwalk');
    // The subtree is the end of the agent's view: snmpwalk may print one endOfMibView line, last.
    expect(lines.filter((l) => EXHAUSTED.test(l)).length).toBeLessThanOrEqual(1);
  });

  it('bulk-walks the same objects as snmpwalk', async () => {
    const walk = ok(await tool('snmpwalk', ['-v2c', '-c', 'public', '-On', agent, ENTERPRISE])).trim().split('\n');
    const bulk = ok(await tool('snmpbulkwalk', ['-v2c', '-c', 'public', '-Cr25', '-On', agent, ENTERPRISE])).trim().split('\n');
    const names = (lines: string[]) => lines.filter((l) => !EXHAUSTED.test(l)).map((l) => l.split(' = ')[0]);
    expect(names(bulk)).toEqual(names(walk));
    await checkWalk(ok(await tool('snmpbulkwalk', ['-v2c', '-c', 'public', '-Cr25', agent, ENTERPRISE])), 'snmpbulkwalk');
  });

  // RFC 3416 §4.2.3 lets an agent stop the repetitions once every lexicographic successor is
  // endOfMibView; Debian's snmpd does, and snmpbulkwalk prints each endOfMibView varbind it gets.
  it('ends a bulk walk at the end of the MIB view with one endOfMibView, not one per repetition', async () => {
    const bulk = ok(await tool('snmpbulkwalk', ['-v2c', '-c', 'public', '-Cr25', agent, ENTERPRISE])).trim().split('\n');
    expect(bulk.filter((l) => EXHAUSTED.test(l)).length).toBeLessThanOrEqual(1);
  });
});

describe('snmpset', () => {
  const { read: mbRead } = mbpollClient(
    () => ['-m', 'tcp', '-p', String(device.modbusPort), '-B', '-o', '5'],
    () => device.modbusHost,
  );

  it('switches DO-00 of slot 2 on with the write community: seen on /sim/v1 and Modbus/TCP', async () => {
    const coil = await device.row(2, 'doStatus', 0);
    expect(ok(await tool('snmpset', ['-v2c', '-c', 'private', agent, 'MOXA-IOTHINX4510-MIB::doStatus.0', 'i', '1']))).toContain(
      'MOXA-IOTHINX4510-MIB::doStatus.0 = INTEGER: on(1)',
    );
    expect((await device.call('GET', '/slots/2/channels/0')).body).toMatchObject({ doStatus: 1 });
    expect(await mbRead('0', coil.address)).toEqual([1]);
    expect(ok(await tool('snmpget', ['-v2c', '-c', 'public', agent, 'MOXA-IOTHINX4510-MIB::doStatus.0']))).toContain('INTEGER: on(1)');

    expect(ok(await tool('snmpset', ['-v2c', '-c', 'private', agent, 'MOXA-IOTHINX4510-MIB::doStatus.0', 'i', '0']))).toContain('INTEGER: off(0)');
    expect((await device.call('GET', '/slots/2/channels/0')).body).toMatchObject({ doStatus: 0 });
    expect(await mbRead('0', coil.address)).toEqual([0]);
  });

  it('refuses doStatus of a DO in pulse mode, and any SET with the read community', async () => {
    const pulse = await tool('snmpset', ['-v2c', '-c', 'private', agent, 'MOXA-IOTHINX4510-MIB::doStatus.1', 'i', '1']);
    expect(pulse.code).not.toBe(0);
    expect(pulse.stderr).toMatch(/wrongValue/);
    expect(pulse.stderr).toContain('Failed object: MOXA-IOTHINX4510-MIB::doStatus.1');
    expect((await device.call('GET', '/slots/2/channels/1')).body).toMatchObject({ modeName: 'pulse', doStatus: 0 });

    const readOnly = await tool('snmpset', ['-v2c', '-c', 'public', agent, 'MOXA-IOTHINX4510-MIB::doStatus.0', 'i', '1']);
    expect(readOnly.code).not.toBe(0);
    expect(readOnly.stderr).toMatch(/noAccess|notWritable|authorizationError/);
    expect((await device.call('GET', '/slots/2/channels/0')).body).toMatchObject({ doStatus: 0 });
  });
});

describe('SNMPv3 (USM, SHA + AES)', () => {
  it('answers authPriv GETs from the profile user', async () => {
    const out = ok(await tool('snmpget', [...V3, agent, 'SNMPv2-MIB::sysName.0', 'MOXA-IOTHINX4510-MIB::deviceName.0']));
    expect(out).toContain('SNMPv2-MIB::sysName.0 = STRING: ioThinx_4510');
    expect(out).toContain('MOXA-IOTHINX4510-MIB::deviceName.0 = STRING: ioThinx_4510');
  });

  it('refuses a wrong auth key and a wrong priv key', async () => {
    const withKey = (flag: string, key: string) => V3.map((a, i) => (V3[i - 1] === flag ? key : a));
    // As Debian's snmpd: a wrong digest gets the usmStatsWrongDigests report (#20, more in
    // snmp-v3-reports.test.ts); a wrong AES key decrypts to garbage that is dropped, so the
    // manager times out (one try of 1 s).
    const expected = [/Authentication failure/, /Timeout/];
    for (const [i, args] of [withKey('-A', 'wrong-auth-key'), withKey('-X', 'wrong-priv-key')].entries()) {
      const run = await tool('snmpget', [...args, '-t', '1', '-r', '0', agent, 'SNMPv2-MIB::sysName.0']);
      expect(run.code, run.stdout).not.toBe(0);
      expect(run.stdout).not.toContain('ioThinx_4510');
      expect(run.stderr).toMatch(expected[i]!);
    }
  });
});

/** A UDP port free now (bound to 0 and released): snmptrapd cannot report a port 0 it took. */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const { port } = socket.address();
  socket.close();
  return port;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, output: () => string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`waited ${WAIT_MS} ms for ${what}; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('snmptrapd', () => {
  it('receives trapInform01..04 (v2c trap, v2c inform, v3 authPriv trap and inform) for a DO switched on /sim/v1; informs acked', async () => {
    const dir = await tempDir();
    const port = await freeUdpPort();
    const manager = `127.0.0.1:${port}`;
    const profile = parse(await readFile(PROFILE, 'utf8')) as { snmp: Record<string, unknown> };
    profile.snmp.traps = [
      { source: '2/0', manager },
      { source: '2/0', manager, inform: true, retries: 3, timeoutMs: 1000 },
      { source: '2/0', manager, version: 'v3', user: 'admin' },
      { source: '2/0', manager, version: 'v3', user: 'admin', inform: true, retries: 3, timeoutMs: 1000 },
    ];
    const profileFile = join(dir, 'traps.yaml');
    await writeFile(profileFile, stringify(profile));
    const sim = await startCliDevice(['--profile', profileFile]);
    const { engineId } = (await sim.call('GET', '/snmp')).body as { engineId: string };
    expect(engineId).toMatch(/^[0-9a-f]{10,64}$/i);

    const conf = join(dir, 'snmptrapd.conf');
    await writeFile(
      conf,
      [
        'authCommunity log public',
        // Traps: the emulator is the authoritative engine, so the user is localized with its engine id.
        `createUser -e 0x${engineId} admin SHA iothinx-auth AES iothinx-priv`,
        // Informs: snmptrapd is the authoritative engine (its own engine id).
        'createUser admin SHA iothinx-auth AES iothinx-priv',
        'authUser log admin',
        '',
      ].join('\n'),
    );
    // -C: only this config; -n: no DNS; -F: one line per notification with its security info.
    const trapd = spawn(TOOLS.snmptrapd, ['-f', '-Lo', '-n', '-C', '-c', conf, ...MIB, '-F', 'NOTIFICATION %P; %V|%v\n', manager], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(trapd);
    let output = '';
    trapd.stdout.on('data', (d: Buffer) => (output += d.toString()));
    trapd.stderr.on('data', (d: Buffer) => (output += d.toString()));
    await until('snmptrapd to start', () => (/NET-SNMP version/.test(output) ? true : undefined), () => output);

    expect((await sim.call('PUT', '/slots/2/channels/0/attributes/doStatus', { value: 1 })).status).toBe(200);
    const notifications = () => output.split('\n').filter((l) => l.startsWith('NOTIFICATION ') && /trapInform0\d/.test(l));
    const lines = await until('trapInform01..04 at snmptrapd', () => (notifications().length >= 4 ? notifications() : undefined), () => output);

    const find = (n: number) => {
      const matching = lines.filter((l) => l.includes(`OID: MOXA-IOTHINX4510-MIB::trapInform0${n}|`));
      expect(matching, `trapInform0${n} once:\n${output}`).toHaveLength(1);
      const line = matching[0]!;
      expect(line).toContain('MOXA-IOTHINX4510-MIB::eventTriggerType.0 = INTEGER: onChange(1)');
      expect(line).toContain('MOXA-IOTHINX4510-MIB::doStatus.0 = INTEGER: on(1)');
      expect(line).toContain('MOXA-IOTHINX4510-MIB::deviceName.0 = STRING: ioThinx_4510');
      return line;
    };
    expect(find(1)).toMatch(/^NOTIFICATION TRAP2, SNMP v2c, community public;/);
    expect(find(2)).toMatch(/^NOTIFICATION INFORM, SNMP v2c, community public;/);
    expect(find(3)).toMatch(/^NOTIFICATION TRAP2, SNMP v3, user admin,/);
    expect(find(4)).toMatch(/^NOTIFICATION INFORM, SNMP v3, user admin,/);

    type Entry = { index: number; sent: number; acked: number; failed: number; lastError: string | null };
    const entries = await until(
      'both informs acked',
      async () => {
        const e = ((await sim.call('GET', '/snmp')).body as { traps: { entries: Entry[] } }).traps.entries;
        return e[1]!.acked >= 1 && e[3]!.acked >= 1 ? e : undefined;
      },
      () => output,
    );
    for (const e of entries) expect(e, `entry ${e.index}`).toMatchObject({ sent: 1, failed: 0, lastError: null });
  });
});
