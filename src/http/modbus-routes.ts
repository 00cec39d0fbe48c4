/**
 * The Modbus/TCP side for testers: status, the address table (JSON or CSV), per-slot base
 * addresses with "reload defaults", and the accessible-IP list, applied at once (existing
 * connections from hosts no longer allowed are dropped). A change is answered once it is in the
 * running config on disk (issue #14 point 3): 500 CONFIG_WRITE_FAILED, and nothing changed, if
 * the data dir cannot take it.
 */
import * as z from 'zod';
import {
  accessibleIpsSchema,
  baseAddressesBodySchema,
  baseAddressesSchema,
  mapRowSchema,
  modbusStatusSchema,
  type MapRow,
  type ModbusControl,
  type ModbusStatus,
} from '../modbus/contract.js';
import { route, type Route } from './route.js';

const mapQuery = z.object({ format: z.enum(['json', 'csv']).default('json') });

// New columns go at the end, so that a consumer reading columns by position keeps working.
const CSV_COLUMNS = ['slot', 'ioName', 'parameter', 'table', 'address', 'length', 'type', 'signed'] as const;

function csv(rows: readonly MapRow[]): string {
  const cell = (v: string | number | boolean) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v));
  return [CSV_COLUMNS.join(','), ...rows.map((r) => CSV_COLUMNS.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

export function modbusRoutes({ modbus }: { modbus: ModbusControl }): Route[] {
  return [
    route({
      method: 'get',
      path: '/modbus',
      summary: 'Modbus/TCP server status: address, connections, requests, exceptions, refusals, watchdog.',
      response: modbusStatusSchema,
      handle: (): ModbusStatus => ({ address: modbus.address(), ...modbus.stats() }),
    }),
    route({
      method: 'get',
      path: '/modbus/map',
      summary: 'The address table: one row per value, 0-based PDU addresses. `?format=csv` for a spreadsheet.',
      query: mapQuery,
      response: z.array(mapRowSchema),
      handle: ({ query, res }) => {
        if (query.format === 'json') return modbus.map();
        res.type('text/csv').attachment('iothinx-modbus-map.csv').send(csv(modbus.map()));
        return undefined;
      },
    }),
    route({
      method: 'get',
      path: '/modbus/base-addresses',
      summary: 'Base address of each slot per point type (effective), and the overrides in force.',
      response: baseAddressesSchema,
      handle: () => modbus.baseAddresses(),
    }),
    route({
      method: 'put',
      path: '/modbus/base-addresses',
      summary: 'Replaces the base-address overrides; slots without one follow the default rule. Overlaps are refused. Answered once persisted.',
      errors: [500],
      body: baseAddressesBodySchema,
      response: baseAddressesSchema,
      handle: async ({ body }) => {
        await modbus.setBaseAddresses(body.overrides);
        return modbus.baseAddresses();
      },
    }),
    route({
      method: 'post',
      path: '/modbus/base-addresses/reload-defaults',
      summary: 'Drops every override, as the web console\'s "reload default addresses" does.',
      errors: [500],
      response: baseAddressesSchema,
      handle: async () => {
        await modbus.setBaseAddresses([]);
        return modbus.baseAddresses();
      },
    }),
    route({
      method: 'get',
      path: '/modbus/accessible-ips',
      summary: 'The accessible-IP list.',
      response: accessibleIpsSchema,
      handle: () => modbus.accessibleIps(),
    }),
    route({
      method: 'put',
      path: '/modbus/accessible-ips',
      summary: 'Replaces the accessible-IP list; applies to new connections at once and drops connections from hosts no longer allowed. Answered once persisted.',
      errors: [500],
      body: accessibleIpsSchema,
      response: accessibleIpsSchema,
      handle: async ({ body }) => {
        await modbus.setAccessibleIps(body);
        return modbus.accessibleIps();
      },
    }),
  ];
}
