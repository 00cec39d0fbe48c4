/**
 * GET /fleet/v1/metrics: every device's emulator metrics (metrics.ts, the same collectors as its
 * own GET /metrics) in one Prometheus text exposition, each sample with a `device` label, plus
 * the fleet's own and the process metrics once.
 *
 *   device ─► its metrics() ─► prom-client JSON ─┐
 *   device app ─► ...                                 ├─► grouped by metric name (one HELP/TYPE) ─► text 0.0.4
 *   fleet: devices, refusals, Modbus gateway; process_*, nodejs_* ─┘
 */
import type { Express, RequestHandler } from 'express';
import type { Refusals } from '../../device/refusals.js';
import type { FleetControl } from '../../fleet/contract.js';
import { METRICS_ACCESS } from '../access.js';
import type { Auth } from '../auth.js';
import { processMetrics } from '../metrics.js';

interface Family {
  help: string;
  type: string;
  lines: string[];
}

/** A label value as the exposition format quotes it. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`;
}

function labels(set: Record<string, string | number | undefined>): string {
  const parts = Object.entries(set).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${quote(String(v))}`]));
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

function number(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

export function mountFleetMetrics(app: Express, control: FleetControl<Express>, refusals: Refusals, auth: Auth): void {
  const scrape: RequestHandler = async (_req, res) => {
    const client = await import('prom-client');
    const families = new Map<string, Family>();
    const family = (name: string, help: string, type: string): Family => {
      let found = families.get(name);
      if (!found) families.set(name, (found = { help, type, lines: [] }));
      return found;
    };
    const handles = control.handles();
    family('iothinx_fleet_devices', 'Devices running in the fleet.', 'gauge').lines.push(`iothinx_fleet_devices ${handles.length}`);
    const limits = family('iothinx_fleet_limit_refusals_total', "Requests and connections the fleet listener refused by a client limit, by limit.", 'counter');
    for (const [limit, n] of Object.entries(refusals.all())) limits.lines.push(`iothinx_fleet_limit_refusals_total${labels({ limit })} ${n}`);
    const gateway = control.gateway();
    if (gateway.enabled) {
      // The Modbus gateway's own counters; what each device answered through it is in that device's iothinx_modbus_requests_total.
      const g = gateway.stats;
      family('iothinx_fleet_gateway_connections', 'Open connections on the fleet Modbus gateway.', 'gauge').lines.push(`iothinx_fleet_gateway_connections ${g.connections}`);
      const requests = family('iothinx_fleet_gateway_requests_total', 'Requests the fleet Modbus gateway carried, by result: ok, exception (answered by the device), no_device (its unit id selects no running device).', 'counter');
      for (const [result, n] of [['ok', g.requests - g.exceptions], ['exception', g.exceptions - g.unrouted], ['no_device', g.unrouted]] as const) requests.lines.push(`iothinx_fleet_gateway_requests_total${labels({ result })} ${n}`);
      const refused = family('iothinx_fleet_gateway_refusals_total', 'Connections the fleet Modbus gateway refused or closed, by reason.', 'counter');
      const reasons = { accessible_ip_list: g.refusedByList, connection_limit: g.refusedByLimit, malformed: g.malformed, backpressure: gateway.refusals.backpressure, frame_timeout: gateway.refusals.frameTimeout };
      for (const [reason, n] of Object.entries(reasons)) refused.lines.push(`iothinx_fleet_gateway_refusals_total${labels({ reason })} ${n}`);
    }
    for (const handle of handles) {
      for (const metric of await handle.metrics()) {
        // prom-client's typings say a numeric enum; at run time `type` is the exposition's word ('counter').
        const f = family(metric.name, metric.help, String(metric.type));
        for (const v of metric.values) f.lines.push(`${metric.name}${labels({ device: handle.name, ...v.labels })} ${number(v.value)}`);
      }
    }
    const text = [...families].map(([name, f]) => `# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${f.type}\n${f.lines.join('\n')}\n`).join('');
    const process = await processMetrics(client).metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(client.Registry.PROMETHEUS_CONTENT_TYPE).send(`${text}\n${process}`);
  };
  app.get('/fleet/v1/metrics', auth.require(METRICS_ACCESS), scrape);
}
