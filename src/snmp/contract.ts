/**
 * The SNMP agent as the emulator API shows it (GET /sim/v1/snmp): one zod schema for the status
 * document and the types inferred from it. SnmpService.status(), its counters and the trap
 * sender's status take their types from here (declared once); the route, /sim/v1/openapi.json
 * and the typed client use the same. Imports zod and config schemas only (no I/O), so src/http
 * and src/testing may import it where they may not import src/snmp.
 */
import * as z from 'zod';
import { snmpSchema, snmpTrapSchema, snmpUserSchema } from '../config/sections.js';

const int = () => z.number().int();

export const snmpCountersSchema = z.strictObject({
  packets: int(),
  refused: int().meta({ description: 'Refused by the accessible-IP list: no answer.' }),
  versionDropped: int().meta({ description: 'A disabled SNMP version: no answer.' }),
  bad: z.record(z.string(), int()).meta({ description: 'Malformed BER, unknown community, wrong v3 auth ...: dropped by the agent, by error name.' }),
  responses: int(),
  errors: z.record(z.string(), int()).meta({ description: 'Responses carrying an error status, by its name.' }),
  usm: z
    .strictObject({
      unknownEngineIDs: int().meta({ description: 'usmStatsUnknownEngineIDs: another engine id (a discovery included).' }),
      unknownUserNames: int().meta({ description: 'usmStatsUnknownUserNames: a user not configured.' }),
      unsupportedSecLevels: int().meta({ description: "usmStatsUnsupportedSecLevels: authentication or privacy the user has no key for." }),
      wrongDigests: int().meta({ description: 'usmStatsWrongDigests: a wrong authentication key.' }),
      notInTimeWindows: int().meta({ description: "usmStatsNotInTimeWindows: snmpEngineBoots/Time out of the 150 s window (the manager resynchronises from the report)." }),
    })
    .meta({ description: 'SNMPv3 messages that failed the USM checks (RFC 3414 §3.2), each answered with its Report PDU when reportable.' }),
});
export type SnmpCounters = z.infer<typeof snmpCountersSchema>;

/** One configured trap/inform entry (snmp.traps) and what became of its notifications. */
export const trapEntryStatusSchema = z.strictObject({
  index: int().meta({ description: "1..64: the entry's place in snmp.traps, and N of trapInformNN." }),
  source: z.string(),
  attribute: z.string().nullable().meta({ description: "The attribute watched (the configured one, or the channel's main value); null when the source did not resolve." }),
  trigger: snmpTrapSchema.shape.trigger.unwrap(),
  manager: z.string(),
  version: snmpTrapSchema.shape.version.unwrap(),
  inform: z.boolean(),
  sent: int().meta({ description: 'Notifications fired (handed to the session), whatever became of them.' }),
  acked: int().meta({ description: 'Informs the manager acknowledged.' }),
  failed: int().meta({ description: 'Traps the socket refused, informs unacknowledged after their retries, or a session that could not be made.' }),
  lastError: z.string().nullable(),
  lastSentAt: z.number().nullable().meta({ description: 'Device clock time (ms since the epoch) of the last notification fired, or null.' }),
});
export type TrapEntryStatus = z.infer<typeof trapEntryStatusSchema>;

export const trapSenderStatusSchema = z.strictObject({
  entries: z.array(trapEntryStatusSchema),
  coldStartsSent: int().meta({ description: 'coldStart traps handed to the socket without error.' }),
});
export type TrapSenderStatus = z.infer<typeof trapSenderStatusSchema>;

/** A USM user as the status shows it: no keys. */
const userViewSchema = z.strictObject({
  name: z.string(),
  level: snmpUserSchema.shape.level.unwrap(),
  authProtocol: snmpUserSchema.shape.authProtocol.unwrap(),
  privProtocol: snmpUserSchema.shape.privProtocol.unwrap(),
  access: snmpUserSchema.shape.access.unwrap(),
});

export const snmpStatusSchema = z.strictObject({
  enabled: z.literal(true),
  address: z.string().nullable().meta({ description: 'host:port (udp) once listening.' }),
  engineId: z.string().meta({ description: 'snmpEngineID as hex.' }),
  engineBoots: int().meta({ description: 'snmpEngineBoots: 1, or one more on each start with the same --data-dir (RFC 3414 §2.2.2).' }),
  engineTime: int().meta({ description: 'snmpEngineTime: seconds since the agent started.' }),
  versions: snmpSchema.shape.versions.unwrap(),
  readCommunity: z.string(),
  writeCommunity: z.literal('(set)').nullable().meta({ description: '"(set)" when there is one (never shown), null for none.' }),
  users: z.array(userViewSchema),
  counters: snmpCountersSchema,
  traps: trapSenderStatusSchema.nullable(),
});
export type SnmpStatus = z.infer<typeof snmpStatusSchema>;

/** GET /sim/v1/snmp: `enabled: false` while the agent does not run. */
export const snmpStatusDocumentSchema = z.discriminatedUnion('enabled', [z.strictObject({ enabled: z.literal(false) }), snmpStatusSchema]);
export type SnmpStatusDocument = z.infer<typeof snmpStatusDocumentSchema>;

/** The SNMP agent as the emulator API sees it; src/app implements it over src/snmp. */
export interface SnmpControl {
  status(): SnmpStatusDocument;
}
