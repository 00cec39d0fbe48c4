/** The event journal over /sim/v1: query with filters, clear. */
import * as z from 'zod';
import { resolveChannelRef } from '../config/profile.js';
import { JOURNAL_KINDS } from '../device/journal.js';
import { SimError } from '../errors.js';
import type { Device } from '../device/device.js';
import { route, type Route } from './route.js';

const SOURCES = ['field', 'signal', 'wiring', 'clock', 'modbus', 'rest', 'mqtt', 'snmp', 'rtu', 'sim', 'config', 'http', 'scenario'] as const;
const seqLike = z.coerce.number().int().min(0);

export const journalQuerySchema = z.strictObject({
  kind: z.enum(JOURNAL_KINDS).optional().meta({ description: 'request, write, change, fault or scenario' }),
  source: z.enum(SOURCES).optional().meta({ description: 'Who: modbus, rest (/api), mqtt, snmp, rtu, sim (/sim/v1 writes), http (/sim/v1 requests), field, signal, wiring, clock, config, scenario' }),
  ioName: z.string().min(1).optional().meta({ description: 'A channel or IR: its ioName or slot/index (1/3)' }),
  attribute: z.string().min(1).optional(),
  peer: z.string().min(1).optional().meta({ description: 'host:port of the client' }),
  since: seqLike.optional().meta({ description: 'Entries after this seq' }),
  from: seqLike.optional().meta({ description: 'Clock time (ms since epoch), inclusive' }),
  to: seqLike.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional().meta({ description: 'The last N matches' }),
});

const entrySchema = z.looseObject({ seq: z.number(), at: z.number(), kind: z.enum(JOURNAL_KINDS), source: z.string(), peer: z.string().nullable() });

export function journalRoutes({ device }: { device: Device }): Route[] {
  return [
    route({
      method: 'get',
      path: '/journal',
      summary: 'The event journal, oldest first: every change, write attempt, protocol request, fault and scenario step, with source, peer and clock time. Filters combine (AND).',
      description: 'Example: `?kind=write&source=modbus&ioName=2/3&attribute=doStatus` lists every Modbus write of DO 3 in slot 2, applied or refused (`result`). The ring holds the last 10 000 entries; `seq` keeps counting.',
      query: journalQuerySchema,
      response: z.strictObject({ lastSeq: z.number(), capacity: z.number(), entries: z.array(entrySchema) }),
      handle: ({ query }) => {
        let ioName = query.ioName;
        if (ioName !== undefined && /^\d+\/\d+$/.test(ioName)) {
          const channel = resolveChannelRef(device, ioName);
          if (!channel) throw new SimError('HTTP_BAD_REQUEST', `ioName ${ioName}: no channel in that slot and index`, { context: { path: 'ioName' } });
          ioName = channel.ioName;
        }
        return { lastSeq: device.journal.lastSeq, capacity: device.journal.capacity, entries: device.journal.query({ ...query, ioName }) };
      },
    }),
    route({
      method: 'delete',
      path: '/journal',
      summary: 'Forgets every entry (seq numbers go on), so a test starts from a clean journal.',
      response: z.strictObject({ lastSeq: z.number() }),
      handle: () => {
        device.journal.clear();
        return { lastSeq: device.journal.lastSeq };
      },
    }),
  ];
}
