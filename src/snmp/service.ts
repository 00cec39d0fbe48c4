/**
 * The SNMP agent (v1, v2c, v3) serving the 4510's MIB from the Device at request time, on the
 * net-snmp package's agent and MIB store.
 *
 *   UDP datagram ─► accessible-IP list? (no: dropped, counted) ─► version enabled?
 *       ─► v3: unreadable, not USM, privacy without authentication? ─► dropped, counted (usm-gate.ts, usm.ts)
 *       ─► v3: the USM checks (usm.ts: engine id, user, level, digest, time window) fail? ─► Report PDU, journal (usm-gate.ts)
 *       ─► v2c GET/GETNEXT/GETBULK the fast path answers (fast-path.ts: same bytes, ~net-snmp's cost / 5)? ─► sent, journal
 *       ─► otherwise the net-snmp agent
 *       (BER, community / USM, access) ─► provider handler: read the Device now, or SET through
 *       channel.write(…, 'snmp') inside the actor context ─► response (v1 error statuses mapped by
 *       net-snmp, RFC 2089) ─► size bound (response-size.ts, RFC 3416 §4.2: GETBULK cut to fit,
 *       GET/GETNEXT tooBig) ─► journal
 *   Device changes ─► TrapSender (traps.ts) ─► trapInform01..64 to the managers
 */
import { createRequire } from 'node:module';
import type { RemoteInfo, Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type * as NetSnmp from 'net-snmp';
import { snmpLimitsSchema, type Limits } from '../config/limits.js';
import type { SnmpConfig } from '../config/sections.js';
import { actors } from '../device/actor.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { LogBudget } from '../device/log-budget.js';
import { isSimError, SimError } from '../errors.js';
import { formatAddress } from '../net-address.js';
import { messageVersion } from './ber.js';
import type { AgentLike, MibLike, MibRequestLike, ResponsePdu, ResponseVarbind, Snmp } from './agent-types.js';
import type { SnmpCounters, SnmpStatus, TrapSenderStatus } from './contract.js';
import { boundResponseSize, MIN_VARBIND_BYTES, responseLimit } from './response-size.js';
import { mibLeaves, V2cFastPath, type FastAnswer, type FastLeaf } from './fast-path.js';
import { MAX_ENGINE_BOOTS, type UsmCounters, type UsmEngine } from './usm.js';
import { usmEngine, usmGate, type UsmGate } from './usm-gate.js';
import { mibScalars, MIB_TABLES, type Column, type MibScalar, type MibTable, type Row, type Syntax, type Value } from './mib-tables.js';

export interface SnmpOptions {
  /** The accessible-IP list with "additional restrictions": false drops the datagram unanswered. */
  accept: (address: string) => boolean;
  engineId: string;
  /** snmpEngineBoots (RFC 3414 §2.2.2), 1..MAX_ENGINE_BOOTS: engine-id.ts's loadEngineBoots counts and clamps it. */
  engineBoots: number;
  /** eventTriggerType: the trigger of the last trap sent (0 before any). */
  lastTrigger?: () => number;
  /**
   * The profile's limits.snmp: maxResponseBytes, the largest response sent (a v3 manager's smaller
   * msgMaxSize wins); failureLogsPerMinute, USM failures journaled a minute (the rest counted as
   * `snmp_usm_log`). The fields not given take the schema's defaults.
   */
  limits?: Partial<Limits['snmp']>;
  /** false: every datagram goes through net-snmp (the tests compare both paths' bytes). */
  fastPath?: boolean;
}

/** Shown in GET /sim/v1/snmp: declared in the contract. */
export type { SnmpCounters };

export class SnmpService {
  private readonly limits: Limits['snmp'];
  readonly counters: SnmpCounters = {
    packets: 0,
    refused: 0,
    versionDropped: 0,
    bad: {},
    responses: 0,
    errors: {},
    usm: { unknownEngineIDs: 0, unknownUserNames: 0, unsupportedSecLevels: 0, wrongDigests: 0, notInTimeWindows: 0 } satisfies UsmCounters,
  };
  private usm: UsmEngine | null = null;
  private usmGate: UsmGate | null = null;
  private agent: AgentLike | null = null;
  private address: string | null = null;
  private snmp: Snmp | null = null;
  private buildMib: (() => void) | null = null;
  private fast: V2cFastPath | null = null;
  /** The trap sender, for its status (set by cli once made). */
  traps: { status(): TrapSenderStatus } | null = null;

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    private readonly config: SnmpConfig,
    private readonly logger: Logger,
    private readonly options: SnmpOptions,
  ) {
    this.limits = snmpLimitsSchema.parse(options.limits ?? {});
    const boots = options.engineBoots;
    if (!Number.isInteger(boots) || boots < 1 || boots > MAX_ENGINE_BOOTS) throw new RangeError(`SnmpService: engineBoots must be an integer 1..${MAX_ENGINE_BOOTS} (loadEngineBoots gives one), got ${boots}`);
  }

  async listen(host: string, port: number): Promise<string> {
    // Loaded on start, so a device without SNMP does not pay for the package. A require from
    // node_modules, not the bundle's copy (traps.ts uses that one, for sessions only): the bundle is
    // strict-mode code, and net-snmp's registerProvider sets through a Proxy whose trap returns
    // false, which only sloppy mode ignores ("'set' on proxy: trap returned falsish", tried in #19).
    const snmp = createRequire(import.meta.url)('net-snmp') as Snmp;
    this.snmp = snmp;
    // #14 point 16: net-snmp binds a udp4 socket unless told otherwise, and a udp4 socket cannot
    // bind an IPv6 address (`bind EINVAL ::1`). The address's family picks the socket.
    const transport = isIPv6(host) ? 'udp6' : 'udp4';
    const agent: AgentLike = snmp.createAgent(
      // net-snmp reads `port || 161`: a string "0" is how port 0 (a free port) gets through.
      { port: (port === 0 ? '0' : port) as number, address: host, transport, engineID: this.options.engineId, accessControlModelType: snmp.AccessControlModelType.Simple },
      (error: (Error & { rinfo?: { address: string } }) | null, data: { pdu: { errorStatus: number; varbinds: { oid: string }[] }; rinfo: { address: string; port: number } } | undefined) =>
        this.onAgentEvent(error, data),
    );
    this.agent = agent;
    this.authorize(snmp, agent);
    // The MIB (some 1400 nodes for a full rail, ~20 ms) is built on the first request, not at
    // start-up: the ready file does not wait for it, and a device nobody polls never pays.
    this.buildMib = () => {
      this.buildMib = null;
      const leaves = this.registerMib(snmp, agent.getMib());
      if (this.options.fastPath === false) return;
      const communities = [this.config.readCommunity, ...(this.config.writeCommunity === null ? [] : [this.config.writeCommunity])].map((c) => Buffer.from(c, 'utf8'));
      this.fast = new V2cFastPath(leaves, communities, this.limits.maxResponseBytes);
    };
    this.patchAgent(snmp, agent);
    this.usm = usmEngine(snmp, agent, this.config.users, this.options.engineId, this.options.engineBoots, this.clock);
    // On the device clock, as the journal's entries are: a manual clock's advance opens the next minute.
    const failureLogs = new LogBudget(() => this.limits.failureLogsPerMinute, () => this.clock.monotonic());
    this.usmGate = usmGate({
      engine: this.usm,
      counters: this.counters,
      journal: this.device.journal,
      failureLogs,
      refusals: this.device.refusals,
      logger: this.logger,
      countBad: (name) => this.countBad(name),
      onSent: this.onSent,
    });
    const sockets = Object.values(agent.listener.sockets);
    const socket = sockets[0]!;
    await new Promise<void>((resolve, reject) => {
      socket.once('listening', resolve);
      socket.once('error', reject);
    }).catch((error: unknown) => {
      const where = formatAddress({ address: host, family: transport === 'udp6' ? 'IPv6' : 'IPv4', port });
      throw new SimError('SNMP_LISTEN_FAILED', `SNMP agent: cannot listen on udp ${where}: ${(error as Error).message}`, { cause: error, context: { host, port } });
    });
    // Our own front door: the accessible-IP list and the enabled versions are checked before the
    // agent sees a byte, so a refused manager gets no answer at all (as the device drops it).
    const onMsg = agent.onMsg.bind(agent);
    socket.removeAllListeners('message');
    socket.on('message', (buffer: Buffer, rinfo: RemoteInfo) => this.onDatagram(socket, buffer, rinfo, onMsg));
    const bound = socket.address();
    this.address = formatAddress(bound);
    this.logger.info({ address: this.address, engineId: this.options.engineId }, 'SNMP agent listening');
    return this.address;
  }

  async close(): Promise<void> {
    const agent = this.agent;
    this.agent = null;
    if (!agent) return;
    // A start that failed half-way can leave net-snmp without a bound socket: its close() then
    // throws or never calls back. Do not let that hang the shutdown.
    await new Promise<void>((resolve) => {
      const fallback = setTimeout(resolve, 1_000);
      fallback.unref();
      try {
        agent.close(() => {
          clearTimeout(fallback);
          resolve();
        });
      } catch {
        clearTimeout(fallback);
        resolve();
      }
    });
  }

  /** GET /sim/v1/snmp: address, engine id, versions, communities (write one hidden), users (no keys), counters, traps. */
  status(): SnmpStatus {
    return {
      enabled: true,
      address: this.address,
      engineId: this.options.engineId,
      engineBoots: this.options.engineBoots,
      engineTime: this.usm?.time() ?? 0,
      versions: this.config.versions,
      readCommunity: this.config.readCommunity,
      writeCommunity: this.config.writeCommunity === null ? null : '(set)',
      users: this.config.users.map((u) => ({ name: u.name, level: u.level, authProtocol: u.authProtocol, privProtocol: u.privProtocol, access: u.access })),
      counters: this.counters,
      traps: this.traps?.status() ?? null,
    };
  }

  /**
   * Where net-snmp 3.29 parts from RFC 3416 / RFC 2576, put right around its agent (each case has
   * a test in test/integration/snmp.test.ts):
   * - a SET naming an object that does not exist is refused before anything is written
   *   (noCreation for a missing row, notWritable outside every table and scalar);
   * - GETBULK returns non-repeaters + max-repetitions x repeaters varbinds and stops after the
   *   first row in which every repeater is at the end of the view;
   * - GETNEXT/GETBULK past the last object answer endOfMibView (not noSuchObject/Instance);
   * - a v1 answer carries noSuchName instead of a v2 exception varbind.
   */
  private patchAgent(snmp: Snmp, agent: AgentLike): void {
    const mib = agent.getMib();
    const request = agent.request.bind(agent);
    const sendResponse = agent.sendResponse.bind(agent);
    const exceptions: number[] = [snmp.ObjectType.NoSuchObject, snmp.ObjectType.NoSuchInstance];
    agent.setRequest = (socket, message, rinfo) => {
      const missing = message.pdu.varbinds.findIndex((vb) => !mib.lookup(vb.oid));
      if (missing === -1) {
        request(socket, message, rinfo);
        return;
      }
      const response = message.pdu.getResponsePduForRequest();
      response.varbinds = message.pdu.varbinds.map((vb) => ({ oid: vb.oid, type: vb.type, value: vb.value }));
      response.errorStatus = mib.getAncestorProviderFromOid(message.pdu.varbinds[missing]!.oid) ? snmp.ErrorStatus.NoCreation : snmp.ErrorStatus.NotWritable;
      response.errorIndex = missing + 1;
      agent.sendResponse(socket, rinfo, message, response);
    };
    agent.getBulkRequest = (socket, message, rinfo) => {
      const pdu = message.pdu;
      const requested = pdu.varbinds;
      const nonRepeaters = Math.max(0, Math.min(pdu.nonRepeaters ?? 0, requested.length));
      const out: ResponseVarbind[] = [];
      for (let i = 0; i < nonRepeaters; i++) agent.addGetNextVarbind(out, requested[i]!.oid);
      const cursors = requested.slice(nonRepeaters).map((vb) => vb.oid);
      // A bound on the work, whatever max-repetitions asks: no varbind encodes to fewer than
      // MIN_VARBIND_BYTES, so more than this many could never fit in the response (sendResponse
      // then cuts the answer to the exact size).
      const limit = Math.min(2_000, Math.ceil(responseLimit(message, this.limits.maxResponseBytes) / MIN_VARBIND_BYTES));
      for (let rep = 0; rep < (pdu.maxRepetitions ?? 0) && cursors.length > 0 && out.length < limit; rep++) {
        let allAtEnd = true;
        cursors.forEach((oid, j) => {
          const at = out.length;
          agent.addGetNextVarbind(out, oid);
          const vb = out[at];
          if (vb && vb.type !== snmp.ObjectType.EndOfMibView) {
            allAtEnd = false;
            cursors[j] = vb.oid;
          }
        });
        if (allAtEnd) break;
      }
      pdu.varbinds = out;
      request(socket, message, rinfo);
    };
    agent.sendResponse = (socket, rinfo, message, pdu) => {
      const type = message.pdu?.type ?? -1;
      if (type === snmp.PduType.GetNextRequest || type === snmp.PduType.GetBulkRequest) {
        for (const vb of pdu.varbinds) if (exceptions.includes(vb.type)) vb.type = snmp.ObjectType.EndOfMibView;
      }
      if (message.version === snmp.Version1) toV1Errors(snmp, pdu);
      // RFC 3414 §3.1.1 (b): a response from the authoritative engine carries its own
      // snmpEngineBoots/Time, not the request's (net-snmp echoes those).
      const security = message.version === snmp.Version3 ? message.msgSecurityParameters : undefined;
      if (security && this.usm) {
        security.msgAuthoritativeEngineBoots = this.usm.boots;
        security.msgAuthoritativeEngineTime = this.usm.time();
      }
      boundResponseSize(snmp, message, pdu, responseLimit(message, this.limits.maxResponseBytes), this.device.refusals);
      sendResponse(socket, rinfo, message, pdu);
    };
  }

  private onDatagram(socket: Socket, buffer: Buffer, rinfo: RemoteInfo, onMsg: (socket: unknown, buffer: Buffer, rinfo: unknown) => void): void {
    this.counters.packets++;
    if (!this.options.accept(rinfo.address)) {
      this.counters.refused++;
      return;
    }
    const version = messageVersion(buffer);
    if ((version === 0 && !this.config.versions.v1) || (version === 1 && !this.config.versions.v2c) || (version === 3 && !this.config.versions.v3)) {
      this.counters.versionDropped++;
      return;
    }
    if (version === 3 && this.usmGate?.(socket, buffer, rinfo)) return;
    this.buildMib?.();
    if (version === 1 && this.fast) {
      const answer = this.fast.answer(buffer);
      if (answer) {
        this.sendFast(socket, rinfo, answer);
        return;
      }
    }
    const peer = formatAddress({ address: rinfo.address, family: rinfo.family, port: rinfo.port });
    try {
      actors.run({ peer }, () => onMsg(socket, buffer, rinfo));
    } catch (error) {
      // net-snmp reports bad packets through its callback; anything thrown here is ours to count.
      this.countBad(error instanceof Error ? error.name : 'Error');
      this.logger.debug({ err: error, peer }, 'SNMP packet dropped');
    }
  }

  /** What net-snmp's path does after encoding (boundResponseSize's count, send, onAgentEvent), for a fast-path answer. */
  private sendFast(socket: Socket, rinfo: RemoteInfo, answer: FastAnswer): void {
    if (answer.cut) this.device.refusals.count('snmp_response_size');
    socket.send(answer.response, rinfo.port, rinfo.address, this.onSent);
    this.recordResponse(rinfo, 0, answer.varbinds, answer.firstOid);
  }

  private readonly onSent = (error: Error | null): void => {
    if (error) this.logger.debug({ err: error.message }, 'SNMP response not sent');
  };

  private onAgentEvent(error: (Error & { rinfo?: { address: string } }) | null, data: { pdu: { errorStatus: number; varbinds: { oid: string }[] }; rinfo: { address: string; port: number } } | undefined): void {
    if (error) {
      this.countBad(error.name || 'Error');
      this.logger.debug({ err: error.message, peer: error.rinfo?.address }, 'SNMP packet dropped');
      return;
    }
    if (!data) return;
    const vbs = data.pdu.varbinds;
    this.recordResponse(data.rinfo, data.pdu.errorStatus ?? 0, vbs.length, vbs[0]?.oid ?? null);
  }

  private recordResponse(rinfo: { address: string; port: number }, code: number, varbinds: number, firstOid: string | null): void {
    this.counters.responses++;
    const status = this.snmp?.ErrorStatus[code] ?? String(code);
    if (code !== 0) this.counters.errors[status] = (this.counters.errors[status] ?? 0) + 1;
    // The journal keeps 10 000 entries, so what they hold outlives the young generation: the
    // same peer and action as the last entry (a manager polling) share its strings.
    const last = this.lastRecord;
    if (last.address !== rinfo.address || last.port !== rinfo.port) {
      last.address = rinfo.address;
      last.port = rinfo.port;
      last.peer = `${rinfo.address}:${rinfo.port}`;
    }
    if (last.varbinds !== varbinds || last.firstOid !== firstOid) {
      last.varbinds = varbinds;
      last.firstOid = firstOid;
      last.action = `${varbinds} varbind${varbinds === 1 ? '' : 's'}${firstOid !== null ? ` ${firstOid}` : ''}`;
    }
    this.device.journal.record({ kind: 'request', source: 'snmp', peer: last.peer, action: last.action, result: code === 0 ? 'ok' : status });
  }

  private readonly lastRecord = { address: '', port: -1, peer: '', varbinds: -1, firstOid: null as string | null, action: '' };

  private countBad(name: string): void {
    this.counters.bad[name] = (this.counters.bad[name] ?? 0) + 1;
  }

  private authorize(snmp: Snmp, agent: AgentLike): void {
    const authorizer = agent.getAuthorizer();
    const acm = authorizer.getAccessControlModel();
    authorizer.addCommunity(this.config.readCommunity);
    acm.setCommunityAccess(this.config.readCommunity, snmp.AccessLevel.ReadOnly);
    if (this.config.writeCommunity !== null) {
      authorizer.addCommunity(this.config.writeCommunity);
      acm.setCommunityAccess(this.config.writeCommunity, snmp.AccessLevel.ReadWrite);
    }
    for (const user of this.config.users) {
      authorizer.addUser({
        name: user.name,
        level: snmp.SecurityLevel[user.level],
        ...(user.level !== 'noAuthNoPriv' ? { authProtocol: snmp.AuthProtocols[user.authProtocol], authKey: user.authKey } : {}),
        ...(user.level === 'authPriv' ? { privProtocol: snmp.PrivProtocols[user.privProtocol], privKey: user.privKey } : {}),
      } as NetSnmp.User);
      acm.setUserAccess(user.name, user.access === 'read-write' ? snmp.AccessLevel.ReadWrite : snmp.AccessLevel.ReadOnly);
    }
  }

  /** Registers the MIB with net-snmp; returns its instances in tree order, read as the handlers do, for the fast path. */
  private registerMib(snmp: Snmp, mib: MibLike): FastLeaf[] {
    const objectType = (syntax: Syntax | 'oid' | 'timeticks') =>
      ({ integer: snmp.ObjectType.Integer32, gauge: snmp.ObjectType.Gauge32, text: snmp.ObjectType.OctetString, oid: snmp.ObjectType.OID, timeticks: snmp.ObjectType.TimeTicks })[syntax];
    const access = (a: 'read-only' | 'read-write') => snmp.MaxAccess[a];
    const scalars = mibScalars({ contact: () => this.config.contact, location: () => this.config.location, lastTrigger: this.options.lastTrigger ?? (() => 0) });
    const readers = new Map<string, (arcs: readonly number[]) => () => unknown>();
    for (const scalar of scalars) {
      readers.set(scalar.name, () => () => scalar.read(this.device));
      mib.registerProvider({
        name: scalar.name,
        type: snmp.MibProviderType.Scalar,
        oid: scalar.oid,
        scalarType: objectType(scalar.syntax),
        maxAccess: access(scalar.access),
        handler: (request: MibRequestLike) => this.serveScalar(scalar, request),
      });
      mib.setScalarValue(scalar.name, scalar.read(this.device));
    }
    for (const table of MIB_TABLES) {
      const rows = table.rows(this.device);
      if (rows.length === 0) continue;
      const entryLength = table.entryOid.split('.').length;
      // serveCell's lookup, done once per instance: null where it answers an error.
      readers.set(table.name, (arcs) => {
        const column = table.columns.find((c) => c.number === arcs[entryLength]);
        const row = rows[arcs[entryLength + 1]!];
        if (!column || !row) return () => null;
        return () => (this.device.unavailable(row.channel) ? null : column.read(row));
      });
      mib.registerProvider({
        name: table.name,
        type: snmp.MibProviderType.Table,
        oid: table.entryOid,
        maxAccess: snmp.MaxAccess['not-accessible'],
        tableColumns: table.columns.map((c) => ({ number: c.number, name: c.name, type: objectType(c.syntax), maxAccess: access(c.access) })),
        tableIndex: [{ columnName: table.columns[0]!.name }],
        handler: (request: MibRequestLike) => this.serveCell(table, rows, entryLength, request),
      });
      for (const row of rows) mib.addTableRow(table.name, table.columns.map((c) => c.read(row)));
    }
    return mibLeaves(mib.root).map((node): FastLeaf => {
      const provider = node.provider ? undefined : node.getAncestorProvider()?.provider.name;
      const reader = provider === undefined ? undefined : readers.get(provider);
      return { arcs: node.address, oid: node.oid, type: node.valueType ?? -1, read: reader ? reader(node.address) : () => null };
    });
  }

  private serveScalar(scalar: MibScalar, request: MibRequestLike): void {
    request.instanceNode.value = scalar.read(this.device);
    request.done();
  }

  private serveCell(table: MibTable, rows: readonly Row[], entryLength: number, request: MibRequestLike): void {
    const snmp = this.snmp!;
    const address = request.oid.split('.');
    const column = table.columns.find((c) => c.number === Number(address[entryLength]));
    const row = rows[Number(address[entryLength + 1])];
    if (!column || !row) {
      request.done({ errorStatus: snmp.ErrorStatus.NoSuchName });
      return;
    }
    if (this.device.unavailable(row.channel)) {
      // A removed or failed module's rows do not answer (ASSUMPTION, docs/snmp.md).
      request.done({ errorStatus: snmp.ErrorStatus.ResourceUnavailable });
      return;
    }
    if (request.operation !== snmp.PduType.SetRequest) {
      request.instanceNode.value = column.read(row);
      request.done();
      return;
    }
    request.done(this.set(column, row, request.setValue, request.testSet === true));
  }

  /** Applies a SET through the model; the error status when it refuses. */
  private set(column: Column, row: Row, raw: unknown, testOnly: boolean): { errorStatus: number } | undefined {
    const snmp = this.snmp!;
    const value: Value = column.syntax === 'text' ? (Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw)) : Number(raw);
    if (typeof value === 'number' && column.range && (value < column.range[0] || value > column.range[1])) return { errorStatus: snmp.ErrorStatus.WrongValue };
    try {
      // The test pass refuses without changing anything; only the commit pass writes.
      if (testOnly) column.check!(row, value);
      else column.write!(row, value);
      return undefined;
    } catch (error) {
      if (isSimError(error, 'DEVICE_READ_ONLY')) return { errorStatus: snmp.ErrorStatus.NotWritable };
      if (isSimError(error, 'DEVICE_VALUE_OUT_OF_RANGE') || isSimError(error, 'DEVICE_NOT_APPLICABLE') || error instanceof RangeError) return { errorStatus: snmp.ErrorStatus.WrongValue };
      this.logger.warn({ err: error, column: column.name }, 'SNMP SET failed');
      return { errorStatus: snmp.ErrorStatus.GeneralError };
    }
  }
}

/** A v1 response may not carry v2 exceptions (noSuchObject, noSuchInstance, endOfMibView). */
function toV1Errors(snmp: Snmp, pdu: ResponsePdu): void {
  // net-snmp leaves errorStatus unset (not 0) on a response without an error.
  if (pdu.errorStatus) return;
  const exceptions: number[] = [snmp.ObjectType.NoSuchObject, snmp.ObjectType.NoSuchInstance, snmp.ObjectType.EndOfMibView];
  const at = pdu.varbinds.findIndex((vb) => exceptions.includes(vb.type));
  if (at === -1) return;
  pdu.errorStatus = snmp.ErrorStatus.NoSuchName;
  pdu.errorIndex = at + 1;
}
