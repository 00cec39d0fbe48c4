/**
 * The device API (/api), the emulator API (/sim/v1), /metrics and the web UI: one express app
 * behind the HTTP and HTTPS listeners, so both serve the same routes, sessions and event streams,
 * and one connection gate counts them together (#14 point 10). Both obey the accessible-IP list
 * as the Modbus service holds it now, so a runtime edit applies at once (#14 point 14).
 */
import { dirname, resolve } from 'node:path';
import type { Express } from 'express';
import { isAllowedForServices } from '../../config/accessible-ips.js';
import { createHttpApp } from '../../http/app.js';
import { onStateChanged } from '../../http/changes.js';
import { ConnectionGate } from '../../http/connections.js';
import { addServedHost } from '../../http/guard.js';
import type { ConfigControl } from '../../config/contract.js';
import { DeviceMetrics, type MetricsJson, type MetricsSources } from '../../http/metrics.js';
import type { Readiness } from '../../http/schemas.js';
import type { MqttControl } from '../../mqtt/contract.js';
import type { SerialControl } from '../../serial/contract.js';
import type { SnmpControl } from '../../snmp/contract.js';
import { listenHttp, listenHttps, type HttpListener } from '../../http/server.js';
import { runCloseHooks } from '../../http/shutdown.js';
import { loadOrCreateCertificate, type Certificate } from '../../http/tls.js';
import type { ModbusService } from '../../modbus/service.js';
import type { DeviceCore, ListenAddress, ServiceModule } from '../service.js';

export interface HttpModuleOptions {
  http: ListenAddress | null;
  https: ListenAddress | null;
  /** Build the app even with both listeners off (on first use of `app`): someone else serves it (a fleet's listener). */
  app: boolean;
  config: ConfigControl;
  modbus: ModbusService;
  mqtt: MqttControl;
  serial: SerialControl;
  snmp: SnmpControl;
  /** Called after a request changed the accessible-IP list or the accounts (the broker re-checks its peers). */
  onAccessChanged(): void;
  /** Relative cert/key paths resolve against the profile file's folder; a self-signed one is kept in the data dir. */
  profileFile: string;
  dataDir: string | undefined;
  /** A certificate from an earlier start, so a restart keeps the same one. */
  certificate?: Certificate;
  /** GET /sim/v1/health/ready: the emulator's view of every service. */
  readiness: () => Readiness;
  /** Names the app is served under beyond limits.http.allowedHosts (IOTHINX_SIM_ALLOWED_HOSTS). */
  servedHosts: readonly string[];
}

export interface HttpModule extends ServiceModule {
  /** The express app (null when neither listener is on and `app` was not asked for); without a listener, built on first read. */
  readonly app: Express | null;
  /** The HTTPS certificate in use once started, handed to the next start so a restart keeps it. */
  certificate(): Certificate | undefined;
  /** The device's metrics as prom-client's JSON, without building the app. */
  metrics(): Promise<MetricsJson>;
}

export function httpModule(core: DeviceCore, options: HttpModuleOptions): HttpModule {
  const { profile, device, clock, signals, scenarios, logger } = core;
  const httpsOn = options.https !== null && profile.http.https.enabled;
  const on = options.http !== null || httpsOn;
  const refusedByList = { count: 0 };
  const metrics: MetricsSources = { httpRefusedByList: () => refusedByList.count };
  const { modbus, mqtt, serial, snmp, config, readiness } = options;
  // The device's, app or not: a fleet reads it without building the app.
  const deviceMetrics = new DeviceMetrics({ device, modbus, mqtt, serial, metrics });
  const build = (): Express => {
    const made = createHttpApp({ scenarios, device, clock, signals, modbus, mqtt, serial, metrics, deviceMetrics, snmp, config, profile, readiness, logger: logger.child({ component: 'http' }) });
    onStateChanged(made, options.onAccessChanged);
    for (const host of options.servedHosts) addServedHost(made, host);
    return made;
  };
  // Without a listener of its own the app is built on first use: it costs about 0.9 MiB of heap,
  // which a fleet of 1 000 devices would pay up front for devices nobody opens (#16 memory target).
  let app = on ? build() : null;
  const listeners: { name: 'http' | 'https'; listener: Pick<HttpListener, 'address' | 'close'> }[] = [];
  let certificate = options.certificate;
  return {
    name: 'http',
    get app() {
      if (!app && options.app) app = build();
      return app;
    },
    certificate: () => certificate,
    metrics: () => deviceMetrics.json(),
    start: async () => {
      if (!app) return;
      const accept = (peer: string | undefined) => {
        if (isAllowedForServices(modbus.accessibleIps(), peer)) return true;
        refusedByList.count += 1;
        return false;
      };
      const limits = profile.limits.http;
      const listen = { accept, limits, gate: new ConnectionGate(limits, device.refusals), refusals: device.refusals };
      if (options.http) listeners.push({ name: 'http', listener: await listenHttp(app, options.http.host, options.http.port, listen) });
      if (options.https && httpsOn) {
        const { cert, key } = profile.http.https;
        const file = (name: string | null) => (name ? resolve(dirname(options.profileFile), name) : undefined);
        certificate ??= await loadOrCreateCertificate({ certFile: file(cert), keyFile: file(key), dataDir: options.dataDir, logger: logger.child({ component: 'tls' }) });
        listeners.push({ name: 'https', listener: await listenHttps(app, options.https.host, options.https.port, certificate, listen) });
      }
    },
    stop: async () => {
      deviceMetrics.dispose();
      // Both close even if one fails; the first failure is reported.
      const closing = listeners.splice(0).reverse().map(({ listener }) => listener.close());
      const failed = (await Promise.allSettled(closing)).find((r) => r.status === 'rejected');
      // A listener's close ends the app's event streams; streams served through another
      // listener (the fleet's) end here, else they would outlive the device.
      if (app) runCloseHooks(app);
      if (failed) throw failed.reason;
    },
    addresses: () => ({
      http: listeners.find((l) => l.name === 'http')?.listener.address ?? null,
      https: listeners.find((l) => l.name === 'https')?.listener.address ?? null,
    }),
  };
}
