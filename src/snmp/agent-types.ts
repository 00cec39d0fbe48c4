/**
 * What the agent uses of net-snmp 3.29's agent, MIB and messages: @types/net-snmp types them as
 * `any`, so their shapes are written down here once, for service.ts and usm-gate.ts.
 */
import type { Socket } from 'node:dgram';
import type * as NetSnmp from 'net-snmp';
import type { Value } from './mib-tables.js';

export type Snmp = (typeof NetSnmp)['default'];

export interface ProviderDefinition {
  name: string;
  type: number;
  oid: string;
  maxAccess: number;
  scalarType?: number;
  tableColumns?: { number: number; name: string; type: number; maxAccess: number }[];
  tableIndex?: { columnName: string }[];
  handler(request: MibRequestLike): void;
}
export interface ResponseVarbind {
  oid: string;
  type: number;
  value: unknown;
}
export interface ResponsePdu {
  errorStatus?: number;
  errorIndex?: number;
  varbinds: ResponseVarbind[];
}
export interface RequestMessage {
  version: number;
  pdu: { type: number; varbinds: ResponseVarbind[]; nonRepeaters?: number; maxRepetitions?: number; getResponsePduForRequest(): ResponsePdu };
  /** v3 only: the largest message the manager accepts (RFC 3412 §6.2, at least 484). */
  msgGlobalData?: { msgMaxSize: number };
  /** v3 only: what the response echoes (net-snmp copies the request's boots and time). */
  msgSecurityParameters?: { msgAuthoritativeEngineBoots: number; msgAuthoritativeEngineTime: number };
  /** The response message net-snmp would send for `pdu`; toBuffer() is its encoding (v3: authenticated and encrypted). */
  createResponseForRequest(pdu: ResponsePdu): { toBuffer(): Buffer };
}
export type RequestHandler = (socket: unknown, message: RequestMessage, rinfo: unknown) => void;
export interface MibNodeLike {
  address: number[];
  oid: string;
  children: Record<string, MibNodeLike>;
  valueType?: number;
  /** Set on a provider's own node (no instance: net-snmp answers noSuchInstance there). */
  provider?: unknown;
  getAncestorProvider(): { provider: { name: string } } | null;
}
export interface MibLike {
  root: MibNodeLike;
  lookup(oid: string): unknown;
  getAncestorProviderFromOid(oid: string): unknown;
  registerProvider(definition: ProviderDefinition): void;
  setScalarValue(name: string, value: Value): void;
  addTableRow(name: string, row: Value[]): void;
}
export interface AgentLike {
  getMib(): MibLike;
  getAuthorizer(): {
    addCommunity(community: string): void;
    addUser(user: NetSnmp.User): void;
    getAccessControlModel(): { setCommunityAccess(c: string, l: number): void; setUserAccess(u: string, l: number): void };
  };
  close(callback: () => void): void;
  onMsg(socket: unknown, buffer: Buffer, rinfo: unknown): void;
  sendResponse(socket: unknown, rinfo: unknown, message: RequestMessage, pdu: ResponsePdu): void;
  request: RequestHandler;
  setRequest: RequestHandler;
  getBulkRequest: RequestHandler;
  addGetNextVarbind(target: ResponseVarbind[], startOid: string): unknown;
  listener: { sockets: Record<string, Socket> };
  /** The agent's snmpEngine, whose boots and time net-snmp's own reports (and nothing else) carry. */
  engine?: { engineBoots: number; engineTime: number };
}
export interface MibRequestLike {
  oid: string;
  operation: number;
  setValue?: unknown;
  /** net-snmp runs a SET twice: a test pass over every varbind, then the commit pass. */
  testSet?: boolean;
  instanceNode: { value: unknown };
  done(error?: { errorStatus: number }): void;
}
