/**
 * The express app of the emulator API (/sim/v1). Later the device API (/api) and the web UI
 * mount here too.
 *
 *   request ─► Host, cross-site (guard.ts) ─► no-store ─► auth (401/403, auth.ts) ─► JSON only (415) ─► body ≤ maxBodyBytes (413) ─► route table ─► 405 / 404
 *                                                                     └─► errors.ts ─► JSON error
 */
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ConfigControl } from '../config/contract.js';
import type { Profile } from '../config/profile.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import type { Refusals } from '../device/refusals.js';
import type { ModbusControl } from '../modbus/contract.js';
import type { MqttControl } from '../mqtt/contract.js';
import type { SerialControl } from '../serial/contract.js';
import type { ScenarioControl, SignalControl } from '../sim/contract.js';
import type { SnmpControl } from '../snmp/contract.js';
import { SimError } from '../errors.js';
import { accountRoutes } from './account-routes.js';
import { Auth } from './auth.js';
import { accessOf } from './access.js';
import { channelRoutes, deviceSnapshot } from './channel-routes.js';
import { deviceApiRouter } from './device-api/index.js';
import { bodyDecodeError, errorHandler, notFound } from './errors.js';
import { onStateChanged, recheckAfterChanges } from './changes.js';
import { eventRoutes, EventStreams } from './events.js';
import { requestGuard } from './guard.js';
import { API_PREFIX, openApiRoute } from './openapi.js';
import { configRoutes } from './config-routes.js';
import { modbusRoutes } from './modbus-routes.js';
import { moduleRoutes } from './module-routes.js';
import { deviceApiFaults } from './device-api/faults.js';
import { journalRequests } from './journal.js';
import { journalRoutes } from './journal-routes.js';
import { faultRoutes } from './fault-routes.js';
import { snmpRoutes } from './snmp-routes.js';
import { scenarioRoutes } from './scenario-routes.js';
import { DeviceMetrics, mountMetrics, type MetricsSources } from './metrics.js';
import { mqttRoutes } from './mqtt-routes.js';
import { serialRoutes } from './serial-routes.js';
import { mountRoutes, type Route } from './route.js';
import { onClose } from './shutdown.js';
import type { Readiness } from './schemas.js';
import { simRoutes } from './sim-routes.js';
import { mountWebUi, WEB_DIR } from './static.js';
import { mountVendor } from './vendor.js';

export type { SignalControl };

/**
 * What the HTTP app is built from: the device and, for each other feature, the control its
 * contract declares (src/<feature>/contract.ts). http depends on those contracts, never on the
 * services; src/app hands the real ones in.
 */
export interface HttpAppOptions {
  device: Device;
  clock: Clock;
  signals: SignalControl;
  profile: Profile;
  logger: Logger;
  modbus: ModbusControl;
  config: ConfigControl;
  /** Absent when MQTT is off. */
  mqtt?: MqttControl | undefined;
  /** Absent in tests that build the app without a serial side. */
  serial?: SerialControl | undefined;
  /** Absent in tests that build the app without SNMP. */
  snmp?: SnmpControl | undefined;
  /** Absent when nobody wired scenarios in: the routes answer 404. */
  scenarios?: ScenarioControl | undefined;
  /** What GET /metrics reads beyond the above; absent in tests that build the app alone. */
  metrics?: MetricsSources | undefined;
  /** The device's metrics, which outlive any app of it (src/app/services/http.ts); absent: the app makes its own. */
  deviceMetrics?: DeviceMetrics | undefined;
  /** GET /sim/v1/health/ready: whether every service of the device is up (src/app/emulator.ts). */
  readiness: () => Readiness;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * A body must be JSON. Besides clarity this keeps browsers' "simple" cross-site requests
 * (form posts, text/plain) from changing the device: JSON needs a CORS preflight.
 */
export const jsonOnly: RequestHandler = (req, _res, next) => {
  const empty = req.headers['content-length'] === '0';
  if (!empty && req.is(JSON_TYPES) === false) {
    next(new SimError('HTTP_UNSUPPORTED_MEDIA_TYPE', `the body must be JSON (Content-Type: application/json), got ${req.headers['content-type'] ?? 'no Content-Type'}`));
    return;
  }
  next();
};

/**
 * express.json with the profile's body limit (limits.http.maxBodyBytes): a larger body is 413 and
 * counted `http_body_size`; a body that does not decode as its Content-Encoding says is 400
 * (#14 point 15), not the 500 of an unknown error.
 */
export function jsonBody(maxBodyBytes: number, refusals: Refusals): RequestHandler {
  const parse = express.json({ limit: maxBodyBytes, type: JSON_TYPES });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error === undefined || error === null) return next();
      if ((error as { type?: unknown }).type === 'entity.too.large') refusals.count('http_body_size');
      next(bodyDecodeError(error, req.headers['content-encoding']) ?? error);
    });
  };
}

export function createHttpApp(options: HttpAppOptions): Express {
  // cli passes a logger already bound to {component: 'http'}; bind it only if nobody has.
  const logger = options.logger.bindings().component === undefined ? options.logger.child({ component: 'http' }) : options.logger;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  const streams = new EventStreams(options.device, logger, {
    maxBufferBytes: options.profile.limits.http.maxSseBufferBytes,
    refusals: options.device.refusals,
    accounts: () => options.profile.http.accounts,
    identity: (req) => auth.identity(req),
  });
  onClose(app, () => streams.closeAll());
  // After a change: end the streams of accounts disabled, renamed or re-passworded (#14 point 14).
  onStateChanged(app, () => streams.recheckAccounts());

  const auth = new Auth({ accounts: () => options.profile.http.accounts, limits: () => options.profile.limits.login, refusals: options.device.refusals, logger });
  const routes: Route[] = [];
  routes.push(
    ...accountRoutes({ profile: () => options.profile, auth, logger, commit: (change) => options.config.edit(change) }),
    ...simRoutes(options),
    ...channelRoutes(options),
    ...moduleRoutes(),
    ...configRoutes(options),
    ...modbusRoutes(options),
    ...mqttRoutes(options, streams),
    ...serialRoutes(options),
    ...journalRoutes(options),
    ...faultRoutes(options),
    ...snmpRoutes(options),
    ...scenarioRoutes(options),
    ...eventRoutes(options.device, streams),
    openApiRoute(() => routes),
  );

  // First of all: a Host we do not serve, or a cross-site change, goes no further (#14 point 12).
  app.use(requestGuard(app, { allowedHosts: options.profile.limits.http.allowedHosts, refusals: options.device.refusals }));
  app.use(recheckAfterChanges(app, () => [options.modbus.accessibleIps(), options.profile.http.accounts]));
  app.use(API_PREFIX, noStore);
  auth.guard(app, API_PREFIX, routes);
  app.use(API_PREFIX, journalRequests(options.device, 'http', false), jsonOnly, jsonBody(options.profile.limits.http.maxBodyBytes, options.device.refusals));
  mountRoutes(app, API_PREFIX, routes);
  app.use('/api', journalRequests(options.device, 'rest', true), deviceApiFaults(options.device, options.clock), deviceApiRouter({ ...options, logger }));
  // GET /metrics (Prometheus), outside /sim/v1. An app built alone (tests) counts for itself.
  let deviceMetrics = options.deviceMetrics;
  if (!deviceMetrics) {
    const own = new DeviceMetrics(options);
    onClose(app, () => own.dispose());
    deviceMetrics = own;
  }
  mountMetrics(app, deviceMetrics, auth);
  // The page inlines GET /sim/v1/device for its first paint, for whoever may read that route.
  // The browser libraries the page loads (uPlot), from node_modules; under a fleet's /fleet/v1/devices/NAME/ too.
  mountVendor(app);
  mountWebUi(app, WEB_DIR, { snapshot: () => deviceSnapshot(options.device, options.signals), auth, access: accessOf({ method: 'get', path: '/device' }) });
  app.use(notFound);
  app.use(errorHandler(logger, options.profile.limits.http.maxBodyBytes));
  return app;
}
