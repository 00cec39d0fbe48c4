/**
 * The fleet API's express app (#16 item 3): /fleet/v1 over a FleetControl, and each device's own
 * app (its /sim/v1, /api, /metrics and web UI) under /fleet/v1/devices/{name}/.
 *
 *   request ─► Host, cross-site (guard.ts) ─┬─ /fleet/v1/devices/{name}/<rest> ─► that device's app with req.url = /<rest>
 *                                           │      (its own guard, accounts, body rules, routes and errors)
 *                                           └─ /fleet/v1/... ─► no-store ─► auth (the template profile's accounts)
 *                                                 ─► JSON only (415) ─► body ≤ maxBodyBytes (413) ─► route table ─► errors.ts
 *                                                    (devices, field, faults, clock, events, scenarios)
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AccountsConfig } from '../../config/accounts.js';
import type { Limits } from '../../config/limits.js';
import type { Refusals } from '../../device/refusals.js';
import type { FleetControl } from '../../fleet/contract.js';
import { routeKey, type Access } from '../access.js';
import { jsonBody, jsonOnly, noStore } from '../app.js';
import { Auth } from '../auth.js';
import { errorHandler, notFound } from '../errors.js';
import { mountFleetUi } from '../static.js';
import { BoundedStreams } from '../events.js';
import { requestGuard, shareServedHosts } from '../guard.js';
import { mountRoutes, type Route } from '../route.js';
import { scenarioRoutes } from '../scenario-routes.js';
import { onClose } from '../shutdown.js';
import { fleetEventRoutes } from './events.js';
import { mountFleetMetrics } from './metrics.js';
import { operationRoutes } from './operations.js';
import { deviceRoutes } from './routes.js';

export const FLEET_PREFIX = '/fleet/v1';

/**
 * Who may call what on /fleet/v1 when the template profile's accounts are on, as access.ts
 * ranks /sim/v1: reading is User, driving the field side, faults and the clock is Operator,
 * starting and stopping devices is Administrator (a route missing here too).
 */
export const FLEET_ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'GET /health': 'open',
  'GET /health/live': 'open',
  'GET /devices': 'user',
  'GET /devices/:name': 'user',
  'GET /clock': 'user',
  'GET /gateway': 'user',
  'GET /events': 'user',
  'PUT /field': 'operator',
  'POST /faults': 'operator',
  'POST /faults/clear': 'operator',
  'POST /clock/advance': 'operator',
  // The fleet's scenario runs, as a device's (access.ts): a scenario drives the field side and injects faults.
  'GET /scenarios': 'user',
  'GET /scenarios/:id': 'user',
  'GET /scenarios/:id/events': 'user',
  'POST /scenarios': 'operator',
  'DELETE /scenarios/:id': 'operator',
  'POST /devices': 'administrator',
  'DELETE /devices/:name': 'administrator',
};

export interface FleetAppOptions {
  control: FleetControl<Express>;
  /** The template profile's limits.http: the fleet listener's body size, SSE buffer and allowed hosts. */
  limits: Limits['http'];
  loginLimits: () => Limits['login'];
  accounts: () => AccountsConfig;
  /** The fleet listener's own refusal counts (iothinx_fleet_limit_refusals_total). */
  refusals: Refusals;
  logger: Logger;
}

/**
 * Hands a request under /fleet/v1/devices/{name}/ to that device's app, as express mounts a
 * sub-app but chosen per request: the device's app sees `/sim/v1/...` and applies every rule it
 * applies on its own listener. `/fleet/v1/devices/{name}` itself (no trailing slash) is the fleet
 * route; with the slash it is the device's web UI.
 */
function deviceMount(fleetApp: Express, control: FleetControl<Express>): RequestHandler {
  return (req, res, next) => {
    const name = typeof req.params.name === 'string' ? req.params.name : undefined;
    const original = req.originalUrl.split('?', 1)[0] ?? '';
    if (name === undefined || (req.path === '/' && !original.endsWith('/'))) return next();
    const app = control.handle(name)?.app();
    if (!app) return next();
    // The device's Host check must accept the names this listener is served under.
    shareServedHosts(fleetApp, app);
    app(req, res, (error?: unknown) => {
      // The device's app fell through or failed after answering: back to the fleet app's request and response.
      Object.setPrototypeOf(req, fleetApp.request);
      Object.setPrototypeOf(res, fleetApp.response);
      next(error);
    });
  };
}

export function createFleetApp(options: FleetAppOptions): Express {
  const { control, limits, refusals, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  const auth = new Auth({ accounts: options.accounts, limits: options.loginLimits, refusals, logger });
  const streams = new BoundedStreams(logger, { maxBufferBytes: limits.maxSseBufferBytes, refusals, accounts: options.accounts, identity: (req) => auth.identity(req) });
  onClose(app, () => streams.closeAll());
  const routes: Route[] = [
    ...deviceRoutes(control),
    ...operationRoutes(control, logger),
    ...fleetEventRoutes(control, streams),
    // The device's scenario routes over the fleet's runs: the same bodies, limits and errors.
    ...scenarioRoutes({ scenarios: control.scenarios, prefix: FLEET_PREFIX }),
  ];

  app.use(requestGuard(app, { allowedHosts: limits.allowedHosts, refusals }));
  app.use(`${FLEET_PREFIX}/devices/:name`, deviceMount(app, control));
  app.use(FLEET_PREFIX, noStore);
  auth.guard(app, FLEET_PREFIX, routes, (r) => FLEET_ROUTE_ACCESS[routeKey(r)] ?? 'administrator');
  app.use(FLEET_PREFIX, jsonOnly, jsonBody(limits.maxBodyBytes, refusals));
  mountRoutes(app, FLEET_PREFIX, routes);
  mountFleetMetrics(app, control, refusals, auth);
  mountFleetUi(app);
  app.use(notFound);
  app.use(errorHandler(logger, limits.maxBodyBytes));
  return app;
}
