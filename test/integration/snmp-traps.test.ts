/**
 * SNMP notifications over real UDP on 127.0.0.1: TrapSender sends to a net-snmp receiver (the
 * manager), which binds port 0. coldStart on start; trapInformNN with eventTriggerType.0, the
 * watched object and deviceName.0; v1, v2c, v2c inform (acked), v3 authPriv (SHA + AES).
 * Whether an entry fired is decided synchronously in the change listener, so "no repeat" is
 * asserted on status().sent at once and on the order of what arrives, never by sleeping.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import snmp from 'net-snmp';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { profileSchema, type ProfileInput } from '../../src/config/profile.js';
import { snmpSchema, snmpUserSchema } from '../../src/config/sections.js';
import { ManualClock } from '../../src/device/clock.js';
import { Device } from '../../src/device/device.js';
import { EVENT_TRIGGER_TYPE, formatScaled, IOTHINX_4510, trapInformOid } from '../../src/snmp/mib-tables.js';
import { COLD_START_OID, DEVICE_NAME_OID, netSnmpUser, TrapSender } from '../../src/snmp/traps.js';
import { trapReceiver, type TrapReceiver, type TrapReceiverOptions } from '../helpers/snmp-client.js';

const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const ENGINE_ID = '800021f30300900be80001';

interface Notification {
  pdu: { type: number; varbinds: { oid: string; type: number; value: unknown }[]; enterprise?: string; generic?: number; specific?: number; agentAddr?: string; upTime?: number; user?: string; community?: string };
}

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A manager listening for notifications (test/helpers/snmp-client.ts trapReceiver), closed after each test. */
async function manager(setup: TrapReceiverOptions['setup'] = () => {}): Promise<TrapReceiver> {
  const receiver = await trapReceiver({ communities: [], setup, engineID: '8000b98380aabbccddeeff0011' });
  cleanup.push(() => receiver.close());
  return receiver;
}

const PROFILE: ProfileInput = {
  device: { name: 'trap-rig', ip: '10.0.0.7' },
  slots: [
    { slot: 1, module: '45MR-1600' },
    { slot: 2, module: '45MR-2600' },
    { slot: 3, module: '45MR-3800' },
  ],
  internalRegisters: { quantities: { bool: 1, word: 2, dword: 1, float: 1 } },
};

function setup(snmpInput: unknown, opts: { lastTrigger?: (n: number) => void } = {}) {
  const clock = new ManualClock();
  const device = new Device(profileSchema.parse(PROFILE), clock);
  const sender = new TrapSender(device, snmpSchema.parse(snmpInput), pino({ level: 'silent' }), { engineId: ENGINE_ID, ...opts });
  cleanup.push(() => device.dispose());
  cleanup.push(() => sender.close());
  return { device, clock, sender };
}

const vb = (n: Notification, oid: string) => n.pdu.varbinds.find((v) => v.oid === oid);

describe('TrapSender', () => {
  it('sends coldStart once per distinct manager and community on start (v2c)', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const other = await manager((a) => a.addCommunity('other'));
    const { sender, device } = setup({
      traps: [
        { source: '1/0', manager: `127.0.0.1:${m.port}` },
        { source: '1/1', manager: `127.0.0.1:${m.port}` },
        { source: '1/2', manager: `127.0.0.1:${other.port}`, community: 'other' },
      ],
    });
    sender.start();
    const n = await m.next('coldStart');
    expect(n.pdu.type).toBe(snmp.PduType.TrapV2);
    expect(vb(n, SNMP_TRAP_OID)?.value).toBe(COLD_START_OID);
    expect(vb(n, DEVICE_NAME_OID)?.value?.toString()).toBe('trap-rig');
    expect(n.pdu.community).toBe('public');
    expect((await other.next('coldStart to the other manager')).pdu.community).toBe('other');
    // The first notification after coldStart is the DI change, not a second coldStart.
    device.channel(1, 0).applyField({ level: 1 }, 'field');
    expect(vb(await m.next('DI trap'), SNMP_TRAP_OID)?.value).toBe(trapInformOid(1));
    expect(sender.status().coldStartsSent).toBe(2);
    expect(device.journal.query({ kind: 'request', source: 'snmp' }).map((e) => e.action)).toContain(`trap coldStart to 127.0.0.1:${m.port}`);
  });

  it('sends no coldStart when coldStartTrap is off', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const { sender, device } = setup({ coldStartTrap: false, traps: [{ source: '2/3', manager: `127.0.0.1:${m.port}` }] });
    sender.start();
    device.channel(2, 3).write('doStatus', 1, 'rest');
    expect(vb(await m.next('DO trap'), SNMP_TRAP_OID)?.value).toBe(trapInformOid(1));
    expect(sender.status().coldStartsSent).toBe(0);
  });

  it('v2c trap on a DO change carries eventTriggerType.0, doStatus and deviceName.0', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const triggers: number[] = [];
    const { sender, device, clock } = setup(
      { coldStartTrap: false, traps: [{ source: '1/0', manager: `127.0.0.1:${m.port}` }, { source: '45MR-2600-0@DO-03', manager: `127.0.0.1:${m.port}` }] },
      { lastTrigger: (t) => triggers.push(t) },
    );
    sender.start();
    clock.advance(12_340);
    device.channel(2, 3).write('doStatus', 1, 'rest');
    const n = await m.next('DO trap');
    expect(n.pdu.varbinds.map((v) => v.oid)).toEqual([SYS_UPTIME, SNMP_TRAP_OID, `${EVENT_TRIGGER_TYPE}.0`, `${IOTHINX_4510}.12.1.1.6.3`, DEVICE_NAME_OID]);
    expect(vb(n, SYS_UPTIME)?.value).toBe(1234);
    expect(vb(n, SNMP_TRAP_OID)?.value).toBe(trapInformOid(2));
    expect(vb(n, `${EVENT_TRIGGER_TYPE}.0`)).toMatchObject({ type: snmp.ObjectType.Integer, value: 1 });
    expect(vb(n, `${IOTHINX_4510}.12.1.1.6.3`)).toMatchObject({ type: snmp.ObjectType.Integer, value: 1 });
    expect(triggers).toEqual([1]);
    const entry = sender.status().entries[1];
    expect(entry).toMatchObject({ index: 2, source: '45MR-2600-0@DO-03', attribute: 'doStatus', trigger: 'onChange', sent: 1, failed: 0, lastError: null, lastSentAt: clock.now() });
    await expect.poll(() => device.journal.query({ kind: 'request', source: 'snmp' }).at(-1)).toMatchObject({ peer: `127.0.0.1:${m.port}`, action: `trap trapInform02 to 127.0.0.1:${m.port}`, result: 'ok' });
  });

  it('an AI trap carries aiValueScaled as text; an IR entry carries wirValue', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const { sender, device } = setup({
      coldStartTrap: false,
      traps: [
        { source: '3/0', manager: `127.0.0.1:${m.port}` },
        { source: 'WIR-01', manager: `127.0.0.1:${m.port}` },
      ],
    });
    sender.start();
    const ai = device.channel(3, 0);
    ai.applyField({ physical: 12 }, 'field');
    const n = await m.next('AI trap');
    expect(vb(n, SNMP_TRAP_OID)?.value).toBe(trapInformOid(1));
    expect(vb(n, `${IOTHINX_4510}.21.1.1.10.0`)).toMatchObject({ type: snmp.ObjectType.OctetString });
    expect(vb(n, `${IOTHINX_4510}.21.1.1.10.0`)?.value?.toString()).toBe(formatScaled(ai.read('aiValueScaled')));
    device.findIoName('WIR-01')?.write('irValue', -5, 'modbus');
    const ir = await m.next('IR trap');
    expect(vb(ir, SNMP_TRAP_OID)?.value).toBe(trapInformOid(2));
    expect(vb(ir, `${IOTHINX_4510}.41.2.1.3.1`)).toMatchObject({ type: snmp.ObjectType.Integer, value: -5 });
  });

  it('v1: enterprise is the 4510, generic 6, specific N, agent-addr the device IP', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const { sender, device } = setup({ traps: [{ source: '1/0', manager: `127.0.0.1:${m.port}` }, { source: '1/5', manager: `127.0.0.1:${m.port}`, version: 'v1' }] });
    sender.start();
    // coldStart goes to (manager, v2c, public) and (manager, v1, public): two versions, two traps.
    const colds = [await m.next('coldStart'), await m.next('second coldStart')];
    const v1cold = colds.find((n) => n.pdu.type === snmp.PduType.Trap);
    expect(v1cold?.pdu).toMatchObject({ generic: 0, specific: 0 });
    device.channel(1, 5).applyField({ level: 1 }, 'field');
    const n = await m.next('v1 trap');
    expect(n.pdu).toMatchObject({ type: snmp.PduType.Trap, enterprise: IOTHINX_4510, generic: 6, specific: 2, agentAddr: '10.0.0.7' });
    expect(n.pdu.varbinds.map((v) => v.oid)).toEqual([`${EVENT_TRIGGER_TYPE}.0`, `${IOTHINX_4510}.11.1.1.6.5`, DEVICE_NAME_OID]);
  });

  it('onToOff and offToOn fire on their edge only', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const { sender, device } = setup({
      coldStartTrap: false,
      traps: [
        { source: '2/0', trigger: 'offToOn', manager: `127.0.0.1:${m.port}` },
        { source: '2/0', trigger: 'onToOff', manager: `127.0.0.1:${m.port}` },
      ],
    });
    sender.start();
    const d = device.channel(2, 0);
    d.write('doStatus', 1, 'rest');
    expect(sender.status().entries.map((e) => e.sent)).toEqual([1, 0]);
    const on = await m.next('offToOn');
    expect(vb(on, SNMP_TRAP_OID)?.value).toBe(trapInformOid(1));
    expect(vb(on, `${EVENT_TRIGGER_TYPE}.0`)?.value).toBe(3);
    d.write('doStatus', 1, 'rest'); // no change, no event
    d.write('doStatus', 0, 'rest');
    expect(sender.status().entries.map((e) => e.sent)).toEqual([1, 1]);
    const off = await m.next('onToOff');
    expect(vb(off, SNMP_TRAP_OID)?.value).toBe(trapInformOid(2));
    expect(vb(off, `${EVENT_TRIGGER_TYPE}.0`)?.value).toBe(2);
  });

  it('greater and less fire on the crossing, not while the value stays past the threshold', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const { sender, device } = setup({
      coldStartTrap: false,
      traps: [
        { source: 'WIR-00', trigger: 'greater', threshold: 100, manager: `127.0.0.1:${m.port}` },
        { source: 'WIR-00', trigger: 'less', threshold: 100, manager: `127.0.0.1:${m.port}` },
      ],
    });
    sender.start();
    const ir = device.findIoName('WIR-00');
    if (!ir) throw new Error('no WIR-00');
    const sent = () => sender.status().entries.map((e) => e.sent);
    ir.write('irValue', 100, 'modbus'); // 0 -> 100: not above 100
    expect(sent()).toEqual([0, 0]);
    ir.write('irValue', 101, 'modbus'); // crosses above
    expect(sent()).toEqual([1, 0]);
    ir.write('irValue', 150, 'modbus'); // stays above
    ir.write('irValue', 120, 'modbus');
    expect(sent()).toEqual([1, 0]);
    ir.write('irValue', 100, 'modbus'); // back to the threshold: not below it
    expect(sent()).toEqual([1, 0]);
    ir.write('irValue', 99, 'modbus'); // crosses below
    ir.write('irValue', 50, 'modbus'); // stays below
    expect(sent()).toEqual([1, 1]);
    ir.write('irValue', 200, 'modbus'); // crosses above again
    expect(sent()).toEqual([2, 1]);
    const got = [await m.next('greater'), await m.next('less'), await m.next('greater again')];
    expect(got.map((n) => [vb(n, SNMP_TRAP_OID)?.value, vb(n, `${EVENT_TRIGGER_TYPE}.0`)?.value, vb(n, `${IOTHINX_4510}.41.2.1.3.0`)?.value])).toEqual([
      [trapInformOid(1), 4, 101],
      [trapInformOid(2), 5, 99],
      [trapInformOid(1), 4, 200],
    ]);
  });

  it('a v2c inform is acknowledged by the manager and counted', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const { sender, device } = setup({ coldStartTrap: false, traps: [{ source: '1/3', manager: `127.0.0.1:${m.port}`, inform: true }] });
    sender.start();
    device.channel(1, 3).applyField({ level: 1 }, 'field');
    const n = await m.next('inform');
    expect(n.pdu.type).toBe(snmp.PduType.InformRequest);
    expect(vb(n, SNMP_TRAP_OID)?.value).toBe(trapInformOid(1));
    await expect.poll(() => sender.status().entries[0]).toMatchObject({ sent: 1, acked: 1, failed: 0 });
    expect(device.journal.query({ kind: 'request', source: 'snmp' }).at(-1)).toMatchObject({ action: `inform trapInform01 to 127.0.0.1:${m.port}`, result: 'acked' });
  });

  it('an unanswered inform fails after its retries, and the error stays in status', async () => {
    // A bound socket that never answers.
    const silent = dgram.createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanup.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const manager = `127.0.0.1:${silent.address().port}`;
    const { sender, device } = setup({ coldStartTrap: false, traps: [{ source: '1/3', manager, inform: true, retries: 1, timeoutMs: 100 }] });
    sender.start();
    device.channel(1, 3).applyField({ level: 1 }, 'field');
    await expect.poll(() => sender.status().entries[0]?.failed).toBe(1);
    expect(sender.status().entries[0]).toMatchObject({ sent: 1, acked: 0, lastError: expect.stringMatching(/timed out/i) });
    expect(device.journal.query({ kind: 'request', source: 'snmp' }).at(-1)).toMatchObject({ action: `inform trapInform01 to ${manager}`, result: expect.stringMatching(/timed out/i) });
  });

  it('v3 authPriv (SHA + AES) trap: authoritative engine is ours, the manager decrypts it', async () => {
    const user = snmpUserSchema.parse({ name: 'trapper', level: 'authPriv', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass456' });
    const m = await manager((a) => a.addUser(netSnmpUser(user)));
    const { sender, device } = setup({ users: [user], traps: [{ source: '2/1', manager: `127.0.0.1:${m.port}`, version: 'v3', user: 'trapper' }] });
    sender.start();
    const cold = await m.next('v3 coldStart');
    expect(cold.pdu).toMatchObject({ type: snmp.PduType.TrapV2, user: 'trapper' });
    expect(vb(cold, SNMP_TRAP_OID)?.value).toBe(COLD_START_OID);
    device.channel(2, 1).write('doStatus', 1, 'rest');
    const n = await m.next('v3 trap');
    expect(vb(n, SNMP_TRAP_OID)?.value).toBe(trapInformOid(1));
    expect(vb(n, `${IOTHINX_4510}.12.1.1.6.1`)?.value).toBe(1);
    expect((n.pdu as { contextEngineID?: string }).contextEngineID).toBe(ENGINE_ID);
  });

  it('a v3 trap with the wrong keys is refused by the manager', async () => {
    const user = snmpUserSchema.parse({ name: 'trapper', level: 'authPriv', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass456' });
    const m = await manager((a) => a.addUser(netSnmpUser({ ...user, authKey: 'somethingelse' })));
    const { sender } = setup({ users: [user], traps: [{ source: '2/1', manager: `127.0.0.1:${m.port}`, version: 'v3', user: 'trapper' }] });
    sender.start();
    await expect.poll(() => m.errors.length).toBe(1);
    expect(String(m.errors[0])).toMatch(/digest/i);
  });

  it('a v3 inform discovers the manager engine and is acknowledged', async () => {
    const user = snmpUserSchema.parse({ name: 'informer', level: 'authPriv', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass456' });
    const m = await manager((a) => a.addUser(netSnmpUser(user)));
    const { sender, device } = setup({ coldStartTrap: false, users: [user], traps: [{ source: '2/1', manager: `127.0.0.1:${m.port}`, version: 'v3', user: 'informer', inform: true }] });
    sender.start();
    device.channel(2, 1).write('doStatus', 1, 'rest');
    const n = await m.next('v3 inform');
    expect(n.pdu.type).toBe(snmp.PduType.InformRequest);
    await expect.poll(() => sender.status().entries[0]).toMatchObject({ sent: 1, acked: 1, failed: 0 });
  });

  it('an entry whose source does not resolve never fires and says why', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const { sender, device } = setup({ coldStartTrap: false, traps: [{ source: '9/0', manager: `127.0.0.1:${m.port}` }, { source: '1/0', attribute: 'nope', manager: `127.0.0.1:${m.port}` }] });
    sender.start();
    device.channel(1, 0).applyField({ level: 1 }, 'field');
    expect(sender.status().entries).toMatchObject([
      { index: 1, attribute: null, sent: 0, lastError: 'no channel or internal register 9/0' },
      { index: 2, attribute: null, sent: 0, lastError: expect.stringContaining('no attribute nope') },
    ]);
  });

  it('close() unsubscribes: later changes send nothing', async () => {
    const m = await manager((a) => a.addCommunity('public'));
    const { sender, device } = setup({ coldStartTrap: false, traps: [{ source: '1/0', manager: `127.0.0.1:${m.port}` }] });
    sender.start();
    sender.close();
    device.channel(1, 0).applyField({ level: 1 }, 'field');
    expect(sender.status().entries[0]?.sent).toBe(0);
  });
});
