/**
 * SNMP notifications: coldStart when the agent starts, then trapInform01..64 (MOXA-IOTHINX4510-MIB
 * `event`, reference snmp-mib.md) for the configured trap/inform entries (snmp.traps, up to 64).
 * Trigger semantics and varbinds are an ASSUMPTION (the MIB does not say them): docs/snmp-traps.md.
 *
 *   Device.onChange ──► entry n watches (ioName, attribute)? ──► trigger edge? ──► lastTrigger(code)
 *                                                                      │
 *                      one session per target (manager, version, community | user, retries, timeout)
 *                                 │ trap (v1, v2c, v3)              │ inform (v2c, v3)
 *                                 ▼                                 ▼
 *                          sent, or failed                 acked, or failed (after retries)
 *                                 └──────────────┬──────────────────┘
 *                                                ▼
 *                  journal {kind: 'request', source: 'snmp', peer: manager, action, result}
 *
 * A send never throws out of the change listener: errors are logged, counted and kept as the
 * entry's lastError. net-snmp's sessions use real timers (inform retries); nothing here is on the
 * device Clock except sysUpTime in the notification.
 */
import snmp from 'net-snmp';
import type { Logger } from 'pino';
import type { SnmpConfig, SnmpTrap, SnmpUser } from '../config/sections.js';
import type { Channel } from '../device/channel.js';
import type { Device, DeviceChange } from '../device/device.js';
import type { TrapEntryStatus, TrapSenderStatus } from './contract.js';
import { EVENT_TRIGGER_TYPE, IOTHINX_4510, objectFor, trapInformOid, type Syntax, type Value } from './mib-tables.js';

export type TrapTrigger = SnmpTrap['trigger'];

/** eventTriggerType values (MOXA-IOTHINX4510-MIB eventTriggerType, reference snmp-mib.md). */
export const TRIGGER_CODES: Readonly<Record<TrapTrigger, number>> = { onChange: 1, onToOff: 2, offToOn: 3, greater: 4, less: 5 };

/** snmpTrapOID.0 value of coldStart (RFC 3418 SNMPv2-MIB coldStart). */
export const COLD_START_OID = '1.3.6.1.6.3.1.1.5.1';
/** deviceName.0: every notification names the device (systemInfo deviceName, reference snmp-mib.md). */
export const DEVICE_NAME_OID = `${IOTHINX_4510}.1.1.0`;


// What GET /sim/v1/snmp shows of the trap entries: declared in the contract.
export type { TrapEntryStatus, TrapSenderStatus };

export interface TrapSenderOptions {
  /** The agent's snmpEngineID as hex: a v3 trap's authoritative engine is the sender (RFC 3414 §1.5.1). */
  engineId: string;
  /** Told the trigger code (eventTriggerType) each time an entry fires, for the agent's eventTriggerType scalar. */
  lastTrigger?: (type: number) => void;
}

/**
 * Whether a change from `previous` to `value` fires `trigger` (ASSUMPTION, docs/snmp-traps.md):
 * greater and less fire on the crossing edge only, not while the value stays past the threshold.
 */
export function fires(trigger: TrapTrigger, previous: number, value: number, threshold?: number): boolean {
  if (value === previous) return false;
  switch (trigger) {
    case 'onChange':
      return true;
    case 'onToOff':
      return previous !== 0 && value === 0;
    case 'offToOn':
      return previous === 0 && value !== 0;
    case 'greater':
      return threshold !== undefined && previous <= threshold && value > threshold;
    case 'less':
      return threshold !== undefined && previous >= threshold && value < threshold;
  }
}

/** The channel's main value: its first attribute of topic class `value` (diStatus, doStatus, aiValueScaled, irValue ...). */
export function mainAttribute(channel: Channel): string | null {
  return channel.attributes.find((a) => a.topicClass === 'value')?.name ?? null;
}

interface Entry {
  readonly config: SnmpTrap;
  readonly status: TrapEntryStatus;
  readonly channel: Channel | null;
  readonly object: ReturnType<typeof objectFor>;
}

const SNMP_TYPE: Record<Syntax, snmp.ObjectType> = { integer: snmp.ObjectType.Integer, gauge: snmp.ObjectType.Gauge, text: snmp.ObjectType.OctetString };

const SECURITY_LEVEL: Record<SnmpUser['level'], snmp.SecurityLevel> = {
  noAuthNoPriv: snmp.SecurityLevel.noAuthNoPriv,
  authNoPriv: snmp.SecurityLevel.authNoPriv,
  authPriv: snmp.SecurityLevel.authPriv,
};

/** A config user as net-snmp's user object (same shape as the receiver's authorizer takes). */
export function netSnmpUser(user: SnmpUser): snmp.User {
  const out: snmp.User = { name: user.name, level: SECURITY_LEVEL[user.level] };
  if (user.level !== 'noAuthNoPriv') {
    out.authProtocol = user.authProtocol === 'md5' ? snmp.AuthProtocols.md5 : snmp.AuthProtocols.sha;
    out.authKey = user.authKey;
  }
  if (user.level === 'authPriv') {
    out.privProtocol = user.privProtocol === 'des' ? snmp.PrivProtocols.des : snmp.PrivProtocols.aes;
    out.privKey = user.privKey;
  }
  return out;
}

const two = (n: number) => String(n).padStart(2, '0');

function splitManager(manager: string): { host: string; port: number } {
  const at = manager.lastIndexOf(':');
  return { host: manager.slice(0, at), port: Number(manager.slice(at + 1)) };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class TrapSender {
  private readonly entries: Entry[];
  private readonly sessions = new Map<string, snmp.Session>();
  private readonly log: Logger;
  private unsubscribe: (() => void) | null = null;
  private coldStartsSent = 0;
  private closed = false;

  constructor(
    private readonly device: Device,
    private readonly config: SnmpConfig,
    logger: Logger,
    private readonly options: TrapSenderOptions,
  ) {
    this.log = logger.child({ component: 'snmp-traps' });
    this.entries = config.traps.map((trap, i) => this.resolve(trap, i + 1));
  }

  /** Sends coldStart (if snmp.coldStartTrap) once per distinct manager and credentials, then watches changes. */
  start(): void {
    if (this.unsubscribe || this.closed) return;
    if (this.config.coldStartTrap) {
      const done = new Set<string>();
      for (const entry of this.entries) {
        const t = entry.config;
        const key = `${t.manager} ${t.version} ${t.version === 'v3' ? `user ${t.user ?? ''}` : `community ${t.community}`}`;
        if (done.has(key)) continue;
        done.add(key);
        this.coldStart(entry);
      }
    }
    this.unsubscribe = this.device.onChange((change) => this.onChange(change));
  }

  status(): TrapSenderStatus {
    return { entries: this.entries.map((e) => ({ ...e.status })), coldStartsSent: this.coldStartsSent };
  }

  /** Unsubscribes and closes every session; informs still waiting fail silently (not counted). */
  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const session of this.sessions.values()) {
      try {
        session.close();
      } catch (error) {
        this.log.debug({ err: error }, 'closing a trap session failed');
      }
    }
    this.sessions.clear();
  }

  private resolve(trap: SnmpTrap, index: number): Entry {
    const status: TrapEntryStatus = {
      index,
      source: trap.source,
      attribute: null,
      trigger: trap.trigger,
      manager: trap.manager,
      version: trap.version,
      inform: trap.inform,
      sent: 0,
      acked: 0,
      failed: 0,
      lastError: null,
      lastSentAt: null,
    };
    const channel = this.device.findChannelRef(trap.source) ?? null;
    if (!channel) {
      status.lastError = `no channel or internal register ${trap.source}`;
      this.log.warn({ entry: index, source: trap.source }, 'trap entry source not found: it never fires');
      return { config: trap, status, channel: null, object: null };
    }
    const attribute = trap.attribute ?? mainAttribute(channel);
    if (!attribute || !channel.hasAttribute(attribute)) {
      status.lastError = `${channel.ioName} has no attribute ${trap.attribute ?? '(main value)'}`;
      this.log.warn({ entry: index, ioName: channel.ioName, attribute: trap.attribute }, 'trap entry attribute not found: it never fires');
      return { config: trap, status, channel: null, object: null };
    }
    status.attribute = attribute;
    return { config: trap, status, channel, object: objectFor(this.device, channel, attribute) };
  }

  private onChange(change: DeviceChange): void {
    for (const entry of this.entries) {
      if (!entry.channel || change.ioName !== entry.channel.ioName || change.attribute !== entry.status.attribute) continue;
      if (!fires(entry.config.trigger, change.previous, change.value, entry.config.threshold)) continue;
      try {
        this.fire(entry);
      } catch (error) {
        // Never out of a change listener (STYLE 1): count and keep it.
        this.failed(entry, error, `${entry.config.inform ? 'inform' : 'trap'} trapInform${two(entry.status.index)} to ${entry.config.manager}`);
      }
    }
  }

  private fire(entry: Entry): void {
    const { config: t, status } = entry;
    const code = TRIGGER_CODES[t.trigger];
    this.options.lastTrigger?.(code);
    const varbinds: snmp.Varbind[] = [{ oid: `${EVENT_TRIGGER_TYPE}.0`, type: snmp.ObjectType.Integer, value: code }];
    if (entry.object) varbinds.push(varbind(entry.object.oid, entry.object.syntax, entry.object.read()));
    varbinds.push({ oid: DEVICE_NAME_OID, type: snmp.ObjectType.OctetString, value: this.device.identity.name });

    const name = `trapInform${two(status.index)}`;
    const action = `${t.inform ? 'inform' : 'trap'} ${name} to ${t.manager}`;
    status.sent += 1;
    status.lastSentAt = this.device.clock.now();
    const session = this.session(t);
    const upTime = this.upTime();
    this.log.debug({ entry: status.index, manager: t.manager, version: t.version, inform: t.inform }, 'sending %s', name);

    if (t.inform) {
      session.inform(trapInformOid(status.index), varbinds, { upTime }, (error) => {
        if (this.closed) return;
        if (error) return this.failed(entry, error, action);
        status.acked += 1;
        this.journal(t.manager, action, 'acked');
      });
      return;
    }
    // v1 (RFC 1157 Trap-PDU): enterprise = the 4510's module identity, generic 6 (enterpriseSpecific),
    // specific = N; net-snmp takes the last sub-identifier of the OID as the specific trap.
    const trapOid = t.version === 'v1' ? `${IOTHINX_4510}.${status.index}` : trapInformOid(status.index);
    session.trap(trapOid, varbinds, { upTime, agentAddr: this.device.identity.ip }, (error) => {
      if (this.closed) return;
      if (error) return this.failed(entry, error, action);
      this.journal(t.manager, action, 'ok');
    });
  }

  private coldStart(entry: Entry): void {
    const t = entry.config;
    const action = `trap coldStart to ${t.manager}`;
    const fail = (error: unknown) => {
      this.log.warn({ manager: t.manager, err: error }, 'coldStart trap failed');
      this.journal(t.manager, action, errorText(error));
    };
    try {
      const varbinds: snmp.Varbind[] = [{ oid: DEVICE_NAME_OID, type: snmp.ObjectType.OctetString, value: this.device.identity.name }];
      // v1: generic-trap coldStart(0); v2c/v3: snmpTrapOID.0 = coldStart (net-snmp maps TrapType.ColdStart to 1.3.6.1.6.3.1.1.5.1).
      this.session(t).trap(snmp.TrapType.ColdStart, varbinds, { upTime: this.upTime(), agentAddr: this.device.identity.ip }, (error) => {
        if (this.closed) return;
        if (error) return fail(error);
        this.coldStartsSent += 1;
        this.journal(t.manager, action, 'ok');
      });
    } catch (error) {
      fail(error);
    }
  }

  /** One session per target and settings, made on first use and reused. */
  private session(t: SnmpTrap): snmp.Session {
    const { host, port } = splitManager(t.manager);
    const who = t.version === 'v3' ? `user ${t.user ?? ''}` : `community ${t.community}`;
    const key = `${t.version} ${t.manager} ${who} retries ${t.retries} timeout ${t.timeoutMs}`;
    const existing = this.sessions.get(key);
    if (existing) return existing;
    const common = { trapPort: port, retries: t.retries, timeout: t.timeoutMs, transport: 'udp4' as const };
    let session: snmp.Session;
    if (t.version === 'v3') {
      const user = this.config.users.find((u) => u.name === t.user);
      if (!user) throw new Error(`no user ${t.user ?? '(none)'} in snmp.users`);
      // A trap's authoritative engine is the sender: net-snmp puts the session's engineID in
      // msgAuthoritativeEngineID (boots 0, time 0). An inform's is the manager, found by discovery.
      session = snmp.createV3Session(host, netSnmpUser(user), { ...common, version: snmp.Version3, engineID: this.options.engineId });
    } else {
      session = snmp.createSession(host, t.community, { ...common, version: t.version === 'v1' ? snmp.Version1 : snmp.Version2c });
    }
    session.on('error', (error) => this.log.warn({ manager: t.manager, err: error }, 'trap session socket error'));
    session.on('close', () => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    });
    this.sessions.set(key, session);
    return session;
  }

  private failed(entry: Entry, error: unknown, action: string): void {
    const message = errorText(error);
    entry.status.failed += 1;
    entry.status.lastError = message;
    this.log.warn({ entry: entry.status.index, manager: entry.config.manager, err: error }, '%s failed', action);
    this.journal(entry.config.manager, action, message);
  }

  private journal(manager: string, action: string, result: string): void {
    this.device.journal.record({ kind: 'request', source: 'snmp', peer: manager, action, result });
  }

  /** sysUpTime in TimeTicks on the device clock; at least 1, as net-snmp swaps 0 for process.uptime(). */
  private upTime(): number {
    return Math.max(1, Math.floor(this.device.uptimeMs() / 10));
  }
}

function varbind(oid: string, syntax: Syntax, value: Value): snmp.Varbind {
  return { oid, type: SNMP_TYPE[syntax], value: syntax === 'text' ? String(value) : Number(value) };
}
