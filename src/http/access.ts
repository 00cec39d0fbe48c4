/**
 * Who may call what on /sim/v1 when accounts are enabled: one table, keyed by the route table's
 * own `METHOD path`, so the rule for a route is found exactly where express routes it (auth.ts
 * registers one guard per route). docs/security.md prints the same table.
 *
 * The roles follow the device's three accounts (reference §6, M-38 page-34): User reads;
 * Operator also operates I/O (HACK: a REST user "needs Administrator or Operator rights to
 * operate I/O") and, in the emulator, the clock; Administrator also changes settings and
 * accounts. A route missing here needs Administrator (fail closed), and a test lists any.
 */
import type { Role } from '../config/accounts.js';
import type { Route } from './route.js';

export type Access = 'open' | Role;

export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  // Open: liveness, the API description, and the way in and out.
  'GET /health': 'open',
  'GET /health/ready': 'open',
  'GET /openapi.json': 'open',
  'POST /login': 'open',
  'POST /logout': 'open',
  // User: reading.
  'GET /whoami': 'user',
  'GET /device': 'user',
  'GET /modules': 'user',
  'GET /slots/:slot/channels/:index': 'user',
  'GET /internal-registers': 'user',
  'GET /internal-registers/:ioName': 'user',
  'GET /clock': 'user',
  'GET /events': 'user',
  'GET /modbus': 'user',
  'GET /mqtt': 'user',
  'GET /mqtt/topics': 'user',
  'GET /mqtt/log': 'user',
  'GET /mqtt/log/stream': 'user',
  'GET /modbus/map': 'user',
  'GET /modbus/base-addresses': 'user',
  'GET /modbus/accessible-ips': 'user',
  'GET /serial': 'user',
  'GET /journal': 'user',
  'GET /faults': 'user',
  'GET /snmp': 'user',
  'GET /scenarios': 'user',
  'GET /scenarios/:id': 'user',
  'GET /scenarios/:id/events': 'user',
  'GET /serial/field-devices': 'user',
  'GET /serial/field-devices/:name': 'user',
  // Operator: I/O and time.
  'PUT /slots/:slot/channels/:index': 'operator',
  'PUT /slots/:slot/channels/:index/attributes/:attribute': 'operator',
  'PUT /internal-registers/:ioName': 'operator',
  'POST /clock/advance': 'operator',
  'DELETE /journal': 'operator',
  'POST /faults': 'operator',
  'DELETE /faults': 'operator',
  'DELETE /faults/:id': 'operator',
  // A scenario drives the field side and injects faults, as an operator may.
  'POST /scenarios': 'operator',
  'DELETE /scenarios/:id': 'operator',
  // The field side of the serial bus, as the field side of the rail.
  'PUT /serial/field-devices/:name/fault': 'operator',
  'DELETE /serial/field-devices/:name/fault': 'operator',
  'PUT /serial/field-devices/:name/points/:point': 'operator',
  // Administrator: settings and accounts. GET /config too: it holds password hashes and the MQTT password.
  'PUT /modbus/base-addresses': 'administrator',
  'POST /modbus/base-addresses/reload-defaults': 'administrator',
  'PUT /modbus/accessible-ips': 'administrator',
  'GET /config': 'administrator',
  'PUT /config': 'administrator',
  'PATCH /config': 'administrator',
  'POST /reset': 'administrator',
  'GET /accounts': 'administrator',
  'PUT /accounts/:role': 'administrator',
};

/**
 * GET /metrics (metrics.ts; at the root, outside the route table): as the GET /sim/v1 reads,
 * not open like /health. It names peers' activity, faults and the serial bus, which a User may
 * read and an anonymous client may not; Prometheus scrapes with `basic_auth` in its job config.
 */
export const METRICS_ACCESS: Role = 'user';

/** What a route missing from ROUTE_ACCESS needs. */
export const DEFAULT_ACCESS: Access = 'administrator';

export function routeKey(route: Pick<Route, 'method' | 'path'>): string {
  return `${route.method.toUpperCase()} ${route.path}`;
}

export function accessOf(route: Pick<Route, 'method' | 'path'>): Access {
  return ROUTE_ACCESS[routeKey(route)] ?? DEFAULT_ACCESS;
}

const RANK: Record<Role, number> = { user: 1, operator: 2, administrator: 3 };

/** Whether an account of role `has` may do what needs `needs`. */
export function allows(has: Role, needs: Access): boolean {
  return needs === 'open' || RANK[has] >= RANK[needs];
}
