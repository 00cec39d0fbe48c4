/**
 * Prometheus metrics at GET /metrics (text exposition 0.0.4), read-only, on the same listener as
 * the APIs (so the accessible-IP list applies at accept, as for every HTTP route).
 *
 *   device journal ──onEntry──► tallies (plain Maps, from app creation on)
 *                                  │
 *   GET /metrics ─► auth (METRICS_ACCESS) ─► first scrape: import('prom-client'), one Registry
 *                                  │          per app (an in-process restart builds a new app)
 *                                  ▼
 *     collect() per metric at scrape: tallies, device (uptime, faults, journal), Modbus stats,
 *     MQTT status, serial status, MetricsSources (HTTP refusals)  ─► + process registry ─► text
 *
 * Requests are counted from the journal (every protocol already journals its requests with a
 * `result`), so no protocol code knows of metrics. prom-client is loaded on the first scrape
 * only: start-up is a tracked figure and most runs are never scraped. Process metrics
 * (collectDefaultMetrics) live in one registry per process, made on the first scrape: they
 * describe the process, not an emulator, and prom-client never disconnects the GC observer and
 * event-loop monitor it starts, so one set per restart would pile up. Emulator metrics are in a
 * fresh Registry per app; prom-client's global registry is never used.
 */
import type { Express, RequestHandler } from 'express';
import type * as PromClient from 'prom-client';
import type { Device } from '../device/device.js';
import { faultSpecSchema } from '../device/faults.js';
import type { JournalEntry } from '../device/journal.js';
import { METRICS_ACCESS } from './access.js';
import type { Auth } from './auth.js';
import type { ModbusControl, ModbusServerStats } from '../modbus/contract.js';
import type { MqttControl, MqttStatus } from '../mqtt/contract.js';
import type { SerialControl, SerialStatus } from '../serial/contract.js';

type Client = typeof PromClient;
type Labels = Record<string, string>;
type Samples = Iterable<readonly [Labels, number]>;

/**
 * Values found by two keys, in nested maps: this runs for every Modbus request, and joining the
 * keys into one string per entry was a third of the journal's cost per request (#19). It keeps
 * the pair found last: a poll loop's requests are one pair after another (modbus, ok), and two
 * compares cost less than two Map look-ups. Fields, not an object: requests of two kinds in turn
 * would make one per request.
 */
class PairMap<A, B, V> {
  private readonly byA = new Map<A, Map<B, V>>();
  private lastA: A | undefined;
  private lastB: B | undefined;
  private lastValue: V | undefined;

  get(a: A, b: B): V | undefined {
    if (this.lastValue !== undefined && this.lastA === a && this.lastB === b) return this.lastValue;
    const value = this.byA.get(a)?.get(b);
    if (value !== undefined) this.remember(a, b, value);
    return value;
  }

  set(a: A, b: B, value: V): V {
    let inner = this.byA.get(a);
    if (inner === undefined) this.byA.set(a, (inner = new Map()));
    inner.set(b, value);
    this.remember(a, b, value);
    return value;
  }

  *values(): Generator<V> {
    for (const inner of this.byA.values()) yield* inner.values();
  }

  private remember(a: A, b: B, value: V): void {
    this.lastA = a;
    this.lastB = b;
    this.lastValue = value;
  }
}

/** Counts by label set, found by up to two label values. */
class Tally<A, B> {
  private readonly counts = new PairMap<A, B, { labels: Labels; n: number }>();

  /** `labels` is made only the first time a pair is seen (hot path). */
  add(a: A, b: B, labels: () => Labels): void {
    const count = this.counts.get(a, b);
    if (count) count.n += 1;
    else this.counts.set(a, b, { labels: labels(), n: 1 });
  }

  *samples(): Generator<readonly [Labels, number]> {
    for (const { labels, n } of this.counts.values()) yield [labels, n];
  }
}

/** A journal `result` as a small label set: ok, exception_2, fault_modbus_drop, 2xx, MQTT_BAD_WRITE. */
export function resultLabel(source: string, result: string | undefined): string {
  if (result === undefined) return 'unknown';
  if (source === 'rest' || source === 'http') {
    const status = /^([1-5])\d\d\b/.exec(result);
    if (status) return `${status[1]}xx`;
  }
  return result.replace(/[^A-Za-z0-9_]+/g, '_');
}

/** Journal entries as counts, from the moment the app is made (before prom-client is loaded). */
class JournalTallies {
  readonly requests = new Tally<string, string>();
  readonly modbus = new Tally<number | undefined, string>();
  readonly writes = new Tally<string, string>();
  readonly changes = new Tally<string, null>();
  readonly dispose: () => void;

  constructor(device: Device) {
    // Kept trivial: the journal calls listeners inline and does not catch.
    this.dispose = device.journal.onEntry((entry) => this.count(entry));
  }

  /** resultLabel, remembered per (source, result): the hot path does no regex work. */
  private readonly labels = new PairMap<string, string | undefined, string>();

  private label(source: string, result: string | undefined): string {
    return this.labels.get(source, result) ?? this.labels.set(source, result, resultLabel(source, result));
  }

  // Called for every journal entry, so for every Modbus request: no object unless a label set is new.
  private count(entry: JournalEntry): void {
    const { source } = entry;
    if (entry.kind === 'request') {
      const result = this.label(source, entry.result);
      this.requests.add(source, result, () => ({ source, result }));
      if (source === 'modbus') {
        const fc = entry.function;
        this.modbus.add(fc, result, () => ({ function: fc === undefined ? 'unknown' : String(fc), result }));
      }
    } else if (entry.kind === 'write') {
      const result = this.label(source, entry.result);
      this.writes.add(source, result, () => ({ source, result }));
    } else if (entry.kind === 'change') {
      this.changes.add(source, null, () => ({ source }));
    }
  }
}

/**
 * What GET /metrics reads beyond the device and the feature controls; src/app implements it.
 * Absent in tests that build the app alone: those samples are then left out.
 */
export interface MetricsSources {
  /** Connections the HTTP and HTTPS listeners refused at accept (accessible-IP list, "additional restrictions"). */
  httpRefusedByList(): number;
}

/** What the metrics read: the device and the controls, typed by their contracts (a part that is off exports no samples). */
export interface MetricsInputs {
  device: Device;
  modbus: ModbusControl;
  mqtt?: MqttControl | undefined;
  serial?: SerialControl | undefined;
  metrics?: MetricsSources | undefined;
}

const FAULT_KINDS = faultSpecSchema.options.map((o) => o.shape.kind.value);

const one = (n: number): Samples => [[{}, n]];
const flag = (b: boolean) => (b ? 1 : 0);

/** The emulator's own metrics, read at scrape time. */
function emulatorRegistry(client: Client, options: MetricsInputs, tallies: JournalTallies): PromClient.Registry {
  const registry = new client.Registry();
  const { device } = options;
  // Every metric is filled afresh from `read` at each scrape. reset() leaves a 0 sample in a
  // metric without labels; it is removed when `read` has nothing (a part that is off).
  const add = (type: 'counter' | 'gauge', name: string, help: string, labelNames: string[], read: () => Samples) => {
    const fill = (metric: PromClient.Counter | PromClient.Gauge, put: (labels: Labels, n: number) => void) => {
      metric.reset();
      let any = false;
      for (const [labels, n] of read()) {
        put(labels, n);
        any = true;
      }
      if (!any && labelNames.length === 0) metric.remove({});
    };
    if (type === 'counter') {
      new client.Counter({
        name, help, labelNames, registers: [registry],
        collect() {
          fill(this, (labels, n) => this.inc(labels, n));
        },
      });
    } else {
      new client.Gauge({
        name, help, labelNames, registers: [registry],
        collect() {
          fill(this, (labels, n) => this.set(labels, n));
        },
      });
    }
  };
  // The server's counters exist only while it listens (ModbusStats is then just `enabled`).
  const modbus = (): ModbusServerStats | undefined => {
    const stats = options.modbus.stats();
    return 'connections' in stats ? stats : undefined;
  };
  const mqtt = (): MqttStatus | undefined => options.mqtt?.status() ?? undefined;
  const serial = (): SerialStatus | undefined => options.serial?.status();

  // Requests, writes and changes, from the journal.
  add('counter', 'iothinx_requests_total', 'Protocol requests as journaled, by source (modbus, rest = /api, http = /sim/v1 writes, mqtt write messages) and result.', ['source', 'result'], () => tallies.requests.samples());
  add('counter', 'iothinx_modbus_requests_total', 'Modbus/TCP requests by function code and result (ok, exception_N, fault_*).', ['function', 'result'], () => tallies.modbus.samples());
  add('counter', 'iothinx_writes_total', 'Attribute writes through the device model, by source and result (ok or an error code).', ['source', 'result'], () => tallies.writes.samples());
  add('counter', 'iothinx_changes_total', 'Values that changed, by source.', ['source'], () => tallies.changes.samples());

  // The device.
  add('gauge', 'iothinx_device_uptime_seconds', 'Device uptime (device clock).', [], () => one(device.uptimeSeconds()));
  add('gauge', 'iothinx_journal_entries', 'Entries the journal holds now (a bounded ring).', [], () => one(device.journal.query().length));
  add('counter', 'iothinx_journal_recorded_total', 'Entries ever recorded in the journal.', [], () => one(device.journal.lastSeq));
  add('gauge', 'iothinx_faults_active', 'Active injected faults by kind.', ['kind'], () => {
    const active = device.faults.active();
    return FAULT_KINDS.map((kind) => [{ kind }, active.filter((f) => f.spec.kind === kind).length] as const);
  });

  // Connections refused at accept: the accessible-IP list (Modbus, and HTTP with additional
  // restrictions) and the Modbus connection limit.
  add('counter', 'iothinx_connections_refused_total', 'Connections refused at accept, by service and reason (accessible_ip_list, connection_limit).', ['service', 'reason'], () => {
    const out: [Labels, number][] = [];
    const m = modbus();
    if (m) out.push([{ service: 'modbus', reason: 'accessible_ip_list' }, m.refusedByList], [{ service: 'modbus', reason: 'connection_limit' }, m.refusedByLimit]);
    if (options.metrics) out.push([{ service: 'http', reason: 'accessible_ip_list' }, options.metrics.httpRefusedByList()]);
    return out;
  });
  add('counter', 'iothinx_limit_refusals_total', 'Requests, connections and messages refused (or cut off) by a client limit, by limit (docs/security.md).', ['limit'], () =>
    Object.entries(device.refusals.all()).map(([limit, n]) => [{ limit }, n] as const),
  );
  const fromModbus = (pick: (s: ModbusServerStats) => number) => () => {
    const s = modbus();
    return s ? one(pick(s)) : [];
  };
  add('gauge', 'iothinx_modbus_connections', 'Open Modbus/TCP connections.', [], fromModbus((s) => s.connections));
  add('counter', 'iothinx_modbus_connections_accepted_total', 'Modbus/TCP connections accepted.', [], fromModbus((s) => s.accepted));
  add('counter', 'iothinx_modbus_malformed_total', 'Modbus/TCP streams closed for a malformed MBAP header.', [], fromModbus((s) => s.malformed));
  add('gauge', 'iothinx_modbus_watchdog_alarm', 'Modbus connection watchdog alarm flag (0/1).', [], fromModbus((s) => flag(s.watchdogAlarm)));

  // MQTT client (no samples while MQTT is off).
  const fromMqtt = (pick: (s: MqttStatus) => number) => () => {
    const s = mqtt();
    return s ? one(pick(s)) : [];
  };
  add('gauge', 'iothinx_mqtt_connected', 'MQTT client connected to its broker (0/1).', [], fromMqtt((s) => flag(s.connected)));
  add('gauge', 'iothinx_mqtt_queue_length', 'MQTT messages queued for publishing.', [], fromMqtt((s) => s.queued));
  add('gauge', 'iothinx_mqtt_in_flight', 'MQTT publications sent and not yet acknowledged.', [], fromMqtt((s) => s.inFlight));
  add('counter', 'iothinx_mqtt_published_total', 'MQTT messages published.', [], fromMqtt((s) => s.published));
  add('counter', 'iothinx_mqtt_dropped_total', 'MQTT messages dropped (queue full).', [], fromMqtt((s) => s.dropped));
  add('gauge', 'iothinx_mqtt_restored', 'QoS 1/2 MQTT messages a previous run left unsent, read from the data dir at this start and queued first.', [], fromMqtt((s) => s.restored));
  add('counter', 'iothinx_mqtt_writes_received_total', 'Messages received on MQTT write topics.', [], fromMqtt((s) => s.received));
  add('counter', 'iothinx_mqtt_writes_rejected_total', 'Messages on MQTT write topics that were refused.', [], fromMqtt((s) => s.rejectedWrites));

  // Serial port and RTU master (no samples without a serial port).
  const perProfile = (pick: (p: SerialStatus['profiles'][number]) => number) => () => (serial()?.profiles ?? []).map((p) => [{ profile: p.name }, pick(p)] as const);
  add('gauge', 'iothinx_serial_port_open', 'Serial port open (0/1), by port and kind (serial, tcp, virtual).', ['port', 'kind'], () => {
    const port = serial()?.port;
    return port ? [[{ port: port.port, kind: port.kind }, flag(port.state === 'open')]] : [];
  });
  add('counter', 'iothinx_serial_port_failures_total', 'Times the serial port was lost or failed to open.', [], () => {
    const port = serial()?.port;
    return port ? one(port.failures) : [];
  });
  add('counter', 'iothinx_serial_polls_total', 'RTU master polls by profile.', ['profile'], perProfile((p) => p.polls));
  add('counter', 'iothinx_serial_polls_ok_total', 'RTU master polls answered correctly, by profile.', ['profile'], perProfile((p) => p.okCount));
  add('counter', 'iothinx_serial_poll_errors_total', 'RTU master poll errors by profile and kind (timeout, crc, exception, unexpected, port-closed).', ['profile', 'kind'], () =>
    (serial()?.profiles ?? []).flatMap((p) => Object.entries(p.errors).map(([kind, n]) => [{ profile: p.name, kind }, n] as const)),
  );
  add('counter', 'iothinx_serial_writes_total', 'RTU master write-throughs by profile.', ['profile'], perProfile((p) => p.writes));
  add('counter', 'iothinx_serial_write_errors_total', 'RTU master write-throughs that failed, by profile.', ['profile'], perProfile((p) => p.writeErrors));
  add('gauge', 'iothinx_serial_profile_error_code', 'Profile error code as in modbusRtuMasterprofileErrorCode (0 = ok; docs/serial.md).', ['profile'], perProfile((p) => p.errorCode));
  const master = (pick: (m: NonNullable<SerialStatus['master']>) => number) => () => {
    const m = serial()?.master;
    return m ? one(pick(m)) : [];
  };
  add('counter', 'iothinx_serial_frames_sent_total', 'Frames the RTU master sent.', [], master((m) => m.framesSent));
  add('counter', 'iothinx_serial_frames_received_total', 'Frames the RTU master received.', [], master((m) => m.framesReceived));
  add('counter', 'iothinx_serial_bytes_discarded_total', 'Bytes the RTU master discarded (noise, stray frames).', [], master((m) => m.bytesDiscarded));
  return registry;
}

let processRegistry: PromClient.Registry | undefined;

/** Node process metrics (process_*, nodejs_*): one registry per process, see the header. */
export function processMetrics(client: Client): PromClient.Registry {
  if (!processRegistry) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * One device's emulator metrics: requests, writes and changes counted from its journal from the
 * moment it exists, the registry made (and prom-client loaded) on the first read. It belongs to
 * the device, not to an HTTP app: a fleet reads every device's without building their apps (each
 * ~0.9 MiB, built on first use; src/app/services/http.ts).
 */
export class DeviceMetrics {
  private readonly tallies: JournalTallies;
  private loading: Promise<{ client: Client; registry: PromClient.Registry }> | undefined;

  constructor(private readonly inputs: MetricsInputs) {
    this.tallies = new JournalTallies(inputs.device);
  }

  /** The registry, made once; a failed load of prom-client is tried again next time. */
  load(): Promise<{ client: Client; registry: PromClient.Registry }> {
    return (this.loading ??= import('prom-client').then(
      (client) => ({ client, registry: emulatorRegistry(client, this.inputs, this.tallies) }),
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    ));
  }

  /** The metrics as prom-client's JSON (for a scrape that labels many devices, src/http/fleet/metrics.ts). */
  async json(): Promise<MetricsJson> {
    return (await this.load()).registry.getMetricsAsJSON();
  }

  dispose(): void {
    this.tallies.dispose();
  }
}

/**
 * Mounts GET /metrics on `app`: the device's metrics and the process's. Access (when accounts
 * are on) is METRICS_ACCESS (access.ts).
 */
export function mountMetrics(app: Express, metrics: DeviceMetrics, auth: Auth): void {
  const scrape: RequestHandler = async (_req, res) => {
    const { client, registry } = await metrics.load();
    const text = await client.Registry.merge([processMetrics(client), registry]).metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(registry.contentType).send(text);
  };
  app.get('/metrics', auth.require(METRICS_ACCESS), scrape);
}

/** prom-client's JSON of a registry: [{name, help, type, values: [{labels, value}]}]. */
export type MetricsJson = Awaited<ReturnType<PromClient.Registry['getMetricsAsJSON']>>;

