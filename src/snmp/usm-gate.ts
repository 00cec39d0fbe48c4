/**
 * The USM checks (usm.ts) put in front of net-snmp's agent: the engine they check against, built
 * from net-snmp's exports and the configured users, and what is done with their verdict on one
 * v3 datagram.
 *
 *   v3 datagram ─► checkUsm (usm.ts) ─► passed ─► false: service.ts hands it on to net-snmp
 *                                    ├► drop ─► counted (counters.bad), logged at debug ─► true
 *                                    └► report ─► counted (counters.usm), sent when reportable ─► discovery? ─► true
 *                                          └► within limits.snmp.failureLogsPerMinute? ─► journaled ─► true
 *                                             └► no: counted as `snmp_usm_log`, not journaled ─► true
 *
 * The budget is there because a USM failure needs no key: one UDP sender could otherwise fill
 * the journal's 10 000 entries with them in seconds and push every real entry out. usmStats
 * still counts every failure (RFC 3414 §3.2 asks it of each); only the journal entry is skipped,
 * and the next one written says how many were.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { SnmpUser } from '../config/sections.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import type { LogBudget } from '../device/log-budget.js';
import type { Refusals } from '../device/refusals.js';
import type { AgentLike, Snmp } from './agent-types.js';
import type { SnmpCounters } from './contract.js';
import { checkUsm, USM_STATS_NAMES, type HmacAuth, type UsmEngine, type UsmStat, type UsmUser } from './usm.js';

/**
 * RFC 3414 §3.2 steps 3-7 are ours (usm.ts): net-snmp 3.29 drops a wrong digest unanswered and
 * keeps no time. Its engine object gets the same boots and a running time all the same, in case
 * a message reaches one of its own reports. `boots` as loadEngineBoots (engine-id.ts) gives it.
 */
export function usmEngine(snmp: Snmp, agent: AgentLike, configured: readonly SnmpUser[], engineId: string, boots: number, clock: Clock): UsmEngine {
  const auth = (snmp as unknown as { Authentication?: Partial<HmacAuth> }).Authentication;
  const engine = agent.engine;
  // Written against net-snmp 3.29.2: fail the start rather than run without the checks.
  if (typeof auth?.isAuthentic !== 'function' || typeof auth.writeParameters !== 'function' || typeof auth.getParametersLength !== 'function' || typeof engine?.engineBoots !== 'number') {
    throw new Error('net-snmp no longer exports Authentication.isAuthentic/writeParameters/getParametersLength or the agent has no engine: src/snmp/usm.ts needs updating (written against net-snmp 3.29.2)');
  }
  // snmpEngineTime on the emulator's one clock, as sysUpTime: a manual clock moves it only when
  // advanced (a manager more than 150 s ahead then gets a notInTimeWindow report and resynchronises).
  const started = clock.monotonic();
  const time = (): number => Math.floor((clock.monotonic() - started) / 1000);
  engine.engineBoots = boots;
  Object.defineProperty(engine, 'engineTime', { get: time, configurable: true });
  const users = new Map<string, UsmUser>();
  for (const user of configured) {
    users.set(user.name, {
      name: user.name,
      auth: user.level === 'noAuthNoPriv' ? null : { protocol: snmp.AuthProtocols[user.authProtocol], key: user.authKey ?? '' },
      priv: user.level === 'authPriv',
    });
  }
  return { engineId: Buffer.from(engineId, 'hex'), boots, time, users, auth: auth as HmacAuth };
}

/** What the gate counts, sends and records with: the service's. */
export interface UsmGateContext {
  engine: UsmEngine;
  counters: SnmpCounters;
  journal: Device['journal'];
  /** limits.snmp.failureLogsPerMinute, on the device clock: USM failures journaled (and logged). */
  failureLogs: LogBudget;
  /** Where the failures past the budget are counted (`snmp_usm_log`). */
  refusals: Refusals;
  logger: Logger;
  /** Counts a dropped datagram as net-snmp's drops are counted. */
  countBad(name: string): void;
  /** The send callback of every response. */
  onSent(error: Error | null): void;
}

/** The USM checks' verdict on a v3 datagram: true when it was dropped, or answered (or not) with a report. */
export type UsmGate = (socket: Socket, buffer: Buffer, rinfo: RemoteInfo) => boolean;

export function usmGate(context: UsmGateContext): UsmGate {
  const { engine, counters, journal, failureLogs, refusals, logger, countBad, onSent } = context;
  const count = (stat: UsmStat): number => ++counters.usm[stat];
  return (socket, buffer, rinfo) => {
    const report = checkUsm(buffer, engine, count);
    if (!report) return false;
    if (report.kind === 'drop') {
      // Counted as net-snmp's drops are, and not journaled: nothing in it is worth 1 of 10 000 entries.
      countBad(report.counter);
      logger.debug({ peer: `${rinfo.address}:${rinfo.port}`, counter: report.counter }, 'SNMPv3 message dropped');
      return true;
    }
    const result = USM_STATS_NAMES[report.stat];
    if (report.response) socket.send(report.response, rinfo.port, rinfo.address, onSent);
    // Every v3 manager's first message is a discovery: counted, not journaled (10 000 entries).
    if (report.discovery) return true;
    if (!failureLogs.take()) {
      refusals.count('snmp_usm_log');
      return true;
    }
    const suppressed = failureLogs.suppressed();
    const skipped = suppressed > 0 ? ` (${suppressed} more USM failures before it not journaled: limits.snmp.failureLogsPerMinute)` : '';
    journal.record({ kind: 'request', source: 'snmp', peer: `${rinfo.address}:${rinfo.port}`, action: `v3 user "${report.user}"${report.response ? '' : ' (not reportable: no report)'}${skipped}`, result });
    logger.debug({ peer: `${rinfo.address}:${rinfo.port}`, user: report.user, report: result, ...(suppressed > 0 ? { suppressed } : {}) }, 'SNMPv3 message refused by USM');
    return true;
  };
}
