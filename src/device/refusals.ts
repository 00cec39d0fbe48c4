/**
 * Counts what a limit refused (src/config/limits.ts), per limit, for /metrics
 * (`iothinx_limit_refusals_total{limit}`) and the soak benchmark. One per Device, so every
 * adapter counts into the same place without knowing of metrics.
 */
export const LIMIT_NAMES = [
  'http_connections',
  'http_connections_per_host',
  'http_headers_timeout',
  'http_request_timeout',
  'http_body_size',
  'http_host',
  'http_cross_site',
  'sse_buffer',
  'modbus_backpressure',
  'modbus_frame_timeout',
  'scenario_queue',
  'login_throttle',
  'login_log',
  'broker_packet_size',
  'broker_clients',
  'broker_auth',
  'broker_retained',
  'snmp_response_size',
  'snmp_usm_log',
  'config_write_failed',
] as const;

export type LimitName = (typeof LIMIT_NAMES)[number];

export class Refusals {
  private readonly counts = new Map<LimitName, number>(LIMIT_NAMES.map((name) => [name, 0]));

  count(limit: LimitName, n = 1): void {
    this.counts.set(limit, (this.counts.get(limit) ?? 0) + n);
  }

  get(limit: LimitName): number {
    return this.counts.get(limit) ?? 0;
  }

  /** Every limit with its count, zeros included, in LIMIT_NAMES order. */
  all(): Record<LimitName, number> {
    return Object.fromEntries(this.counts) as Record<LimitName, number>;
  }
}
