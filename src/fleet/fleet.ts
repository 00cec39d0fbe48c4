/**
 * Many devices in one process (issue #16), each its own device on the wire: its identity from
 * the `fleet.identity` templates, its listeners from `fleet.addressing`, its seed derived from the
 * fleet's, its own journal (smaller than a lone device's). They share one clock (a manual clock
 * moves them all) and, with `mqtt: embedded`, one broker.
 *
 *   profile + fleet section ─► identityAt(i), listenAt(k) ─► Emulator.start (src/app) × count
 *                                   └─ one clock, one embedded broker ─┘
 *                                   └─ optionally one HTTP listener: /fleet/v1 (api.ts)
 *                                   └─ optionally one Modbus gateway: unit id ─► device (gateway.ts)
 */
import type { Logger } from 'pino';
import type { Fleet as FleetSection } from '../config/fleet.js';
import type { Profile } from '../config/profile.js';
import { createClock, type Clock } from '../device/clock.js';
import { isSimError, SimError } from '../errors.js';
import { EmbeddedBroker } from '../mqtt/broker.js';
import { connectHost } from '../mqtt/service.js';
import { deriveSeed } from '../sim/random.js';
import { Emulator } from '../app/emulator.js';
import { listenAt } from './addressing.js';
import { fleetIssues } from './check.js';
import { identityAt, type FleetIdentity } from './identity.js';
import type { ListenAddress } from '../app/service.js';
import { Listeners } from '../device/listeners.js';
import { startFleetApi, type FleetApi } from './api.js';
import type { FleetMember, FleetMembers, FleetMembership } from './members.js';
import { FleetModbusGateway, unitIdOf } from './gateway.js';
import type { FleetGatewayStatus } from './contract.js';
import { Refusals } from '../device/refusals.js';
import type { ScenarioController } from '../sim/scenario-control.js';
import { fleetScenarios } from './scenarios.js';

export interface FleetOptions {
  /** The profile every device is made from; its identity is the base of the templates. */
  profile: Profile;
  fleet: FleetSection;
  profileFile: string;
  /** 'off', 'profile' (as the profile says), 'embedded' (one broker for the whole fleet) or a broker URL. */
  mqtt: string;
  /** Where the fleet's embedded broker listens. */
  broker: ListenAddress | null;
  clock: 'real' | 'manual';
  seed: number;
  logger: Logger;
  /**
   * Where the fleet API (/fleet/v1: every device under /fleet/v1/devices/{name}/) listens; null or
   * absent = no fleet API. While it listens, a device's own HTTP listener is off unless
   * `fleet.addressing` names its port (src/fleet/addressing.ts).
   */
  http?: ListenAddress | null;
  /** Names the fleet API and every device's app are served under beyond limits.http.allowedHosts (IOTHINX_SIM_ALLOWED_HOSTS). */
  servedHosts?: readonly string[];
  /** Aborted (SIGTERM while the fleet starts): no more devices start, those started stop, start() rejects with StartAborted. */
  abort?: AbortSignal;
  /**
   * The devices' signals and first MQTT publications (~160 messages a device) begin once every
   * device has started and this resolves; the CLI resolves it once the ready file is out, so the
   * file is not held back by the first data of 1,000 devices. Default: at once.
   */
  release?: Promise<void>;
}

/** Fleet.start was aborted through `abort` and has stopped what it started. */
export class StartAborted extends Error {
  constructor() {
    super('the fleet was stopped while it started');
    this.name = 'StartAborted';
  }
}

/**
 * Devices started at once by the fleet's start. One after another, 1,000 devices with MQTT took
 * 29 s, most of it waiting on event-loop turns of each device's MQTT handshake (bench/fleet.mjs).
 */
const START_AT_ONCE = 16;
/** The longest the fleet's start goes without a turn of the event loop (signals, I/O). */
const YIELD_MS = 50;
/** What no two devices may share: a broker, a SCADA or an SNMP manager would take them for one. */
const IDENTITY_FIELDS = ['name', 'serialNumber', 'mac'] as const;
/** Devices stopped at once on stop(): enough to overlap their MQTT goodbyes, few enough to bound the sockets closing together. */
const STOP_AT_ONCE = 100;

/** A device retains at most one message per enabled topic (256 at most, mqtt.maxTopics) and its status. */
const RETAINED_PER_DEVICE = 257;
/** The MQTT clients of every device plus room for the users' own. */
const BROKER_CLIENTS_BEYOND_DEVICES = 256;
/** The most devices one fleet runs, at start (fleet.count) and after adds at run time. */
export const MAX_FLEET_DEVICES = 10_000;

export type { FleetMember, FleetMembership } from './members.js';

export class Fleet implements FleetMembers {
  private readonly members = new Map<number, { emulator: Emulator; member: FleetMember }>();
  /** `field:value` of every running or starting device's name, serial number and MAC, to its index. */
  private readonly identities = new Map<string, number>();
  /** Indexes whose add is under way: a second add of one is refused, not raced. */
  private readonly adding = new Set<number>();
  private readonly membership: Listeners<FleetMembership>;
  private api: FleetApi | null = null;
  private modbusGateway: FleetModbusGateway | null = null;
  /** What the fleet's own limits refused (the fleet API's requests, its scenario queue): iothinx_fleet_limit_refusals_total. */
  readonly refusals = new Refusals();
  /** Scenarios whose steps name fleet devices (src/fleet/scenarios.ts, /fleet/v1/scenarios, fleet --scenario). */
  readonly scenarios: ScenarioController;
  private stopped = false;
  /** Resolved once every device of the fleet's start has started (devices' first MQTT publications wait for it). */
  private readonly startedAll: Promise<void>;
  private readonly startAll: () => void;

  private constructor(
    private readonly options: FleetOptions,
    readonly clock: Clock,
    readonly broker: EmbeddedBroker | null,
  ) {
    let resolve = () => {};
    this.startedAll = new Promise<void>((r) => (resolve = r));
    this.startAll = resolve;
    this.membership = new Listeners('fleet membership', options.logger, (event) => ({ index: event.index }));
    this.scenarios = fleetScenarios(this, this.refusals, options.profile.limits.scenarios, options.logger.child({ component: 'fleet-scenarios' }));
  }

  static async start(options: FleetOptions): Promise<Fleet> {
    const { fleet, profile } = options;
    // Before anything listens: two devices with one identity would knock each other off a broker.
    const issues = fleetIssues(profile, fleet);
    if (issues.length > 0) {
      throw new SimError('PROFILE_INVALID', issues.map((i) => `${i.path}: ${i.message}`).join('\n'), { context: { issues: issues.map((i) => ({ path: i.path.split('.'), message: i.message })) } });
    }
    const clock = createClock(options.clock);
    const mqttOn = options.mqtt !== 'off' && (options.mqtt !== 'profile' || profile.mqtt.enabled);
    let broker: EmbeddedBroker | null = null;
    if (mqttOn && (options.mqtt === 'embedded' || (options.mqtt === 'profile' && profile.mqtt.url === 'embedded'))) {
      const listen = options.broker ?? { host: '127.0.0.1', port: 1883 };
      broker = await EmbeddedBroker.start(
        {
          ...listen,
          limits: {
            maxPacketBytes: profile.limits.broker.maxPacketBytes,
            maxClients: fleet.count + BROKER_CLIENTS_BEYOND_DEVICES,
            // Room for every device's own retained topics (at most 256 enabled, and the status) beside the
            // profile's bound for everyone else's; devices added at run time share that bound.
            maxRetained: profile.limits.broker.maxRetained + fleet.count * RETAINED_PER_DEVICE,
          },
        },
        options.logger.child({ component: 'fleet-broker' }),
      );
    }
    const created = new Fleet(options, clock, broker);
    try {
      await created.addAll(fleet.first, fleet.count, options.abort);
      if (fleet.gateway) {
        created.modbusGateway = await FleetModbusGateway.start({
          section: fleet.gateway,
          first: fleet.first,
          profile,
          clock,
          // The live member table: devices added or removed later are reachable, or not, at once.
          unitOf: (index) => created.members.get(index)?.emulator.modbus.unit,
          logger: options.logger.child({ component: 'fleet-modbus-gateway' }),
        });
      }
      if (options.http) created.api = await startFleetApi(created, options.http, profile, options.logger.child({ component: 'fleet-http' }), options.servedHosts);
      // Last: the devices' first publications (~160 messages each) would slow every await above.
      void (options.release ?? Promise.resolve()).then(() => created.startAll());
    } catch (error) {
      await created.stop();
      throw error;
    }
    return created;
  }

  /** The MQTT URL every device uses, or 'off'. */
  private mqttUrl(): string {
    const { mqtt, profile } = this.options;
    if (this.broker) return `mqtt://${connectHost(this.options.broker?.host ?? '127.0.0.1')}:${this.broker.port}`;
    if (mqtt === 'profile') return profile.mqtt.enabled ? profile.mqtt.url : 'off';
    return mqtt;
  }

  /** Where the fleet API listens (`host:port`), or null when it does not. */
  get httpAddress(): string | null {
    return this.api?.address ?? null;
  }

  /** The Modbus gateway (one port, the unit id selects the device): its address and counters. */
  gateway(): FleetGatewayStatus {
    return this.modbusGateway?.status() ?? { enabled: false };
  }

  /** Indexes being added right now. */
  starting(): number[] {
    return [...this.adding].sort((a, b) => a - b);
  }

  /** A device joining or leaving (the fleet API's event stream); returns the removal. */
  onMembership(listener: (event: FleetMembership) => void): () => void {
    return this.membership.add(listener);
  }

  /**
   * Devices first..first+count-1, START_AT_ONCE at a time: a device's start waits on its
   * listeners and its MQTT handshake, and meanwhile others can be built. The first failure stops
   * the rest from starting and is thrown (the caller stops the fleet).
   */
  private async addAll(first: number, count: number, abort?: AbortSignal): Promise<void> {
    let next = first;
    let failure: { error: unknown } | null = null;
    let lastTurn = performance.now();
    const worker = async () => {
      while (failure === null && !abort?.aborted && next < first + count) {
        const index = next++;
        try {
          await this.add(index);
        } catch (error) {
          failure ??= { error };
        }
        // A turn of the event loop every YIELD_MS: a device's start can complete without one (its
        // listeners bind at once), and without any a SIGTERM waited for the whole fleet. One after
        // every device made 1,000 take ~20% longer (the started devices' timers ran in each).
        if (performance.now() - lastTurn >= YIELD_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastTurn = performance.now();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(START_AT_ONCE, count) }, worker));
    if (failure !== null) throw (failure as { error: unknown }).error;
    if (abort?.aborted) throw new StartAborted();
  }

  /** Builds and starts device `index`; a start that fails names the device and leaves nothing of it running. */
  async add(index: number): Promise<FleetMember> {
    if (this.stopped) throw new SimError('CLI_USAGE', 'the fleet is stopped');
    if (this.members.has(index) || this.adding.has(index)) {
      throw new SimError('FLEET_DEVICE_EXISTS', `fleet: device ${index} already runs${this.adding.has(index) ? ' (it is starting)' : ''}`, { context: { path: 'index' } });
    }
    if (this.members.size + this.adding.size >= MAX_FLEET_DEVICES) throw new SimError('FLEET_FULL', `fleet: ${MAX_FLEET_DEVICES} devices run already, the most one fleet holds`);
    const identity = identityAt(this.options.profile, this.options.fleet, index);
    // At start fleetIssues rules out templates that repeat an identity; a device added later (an
    // index past the section's, a template without {index}) is checked against those running.
    const keys = IDENTITY_FIELDS.map((field) => `${field}:${identity.device[field]}`);
    const clash = keys.findIndex((key) => this.identities.has(key));
    if (clash !== -1) {
      const field = IDENTITY_FIELDS[clash]!;
      throw new SimError('FLEET_DEVICE_EXISTS', `fleet: device ${this.identities.get(keys[clash]!)} already has ${field} "${identity.device[field]}"; device ${index} would knock it off the wire`, {
        context: { path: `identity.${field}` },
      });
    }
    this.adding.add(index);
    for (const key of keys) this.identities.set(key, index);
    try {
      return await this.build(index, identity);
    } catch (error) {
      for (const key of keys) this.identities.delete(key);
      throw error;
    } finally {
      this.adding.delete(index);
    }
  }

  private async build(index: number, identity: FleetIdentity): Promise<FleetMember> {
    const { profile, fleet, logger } = this.options;
    // Sections shared with the template, not a structured clone (4% of a fleet's start): nothing
    // changes a section in place (src/app/emulator.ts putInForce replaces `http`).
    const own: Profile = { ...profile, device: identity.device, mqtt: identity.mqttClientId === null ? profile.mqtt : { ...profile.mqtt, clientId: identity.mqttClientId } };
    const fleetApi = (this.options.http ?? null) !== null;
    const listen = listenAt(fleet.addressing, index - fleet.first, fleetApi);
    const name = identity.device.name;
    const emulator = await Emulator.start({
      profile: own,
      profileFile: this.options.profileFile,
      ...listen,
      mqtt: this.mqttUrl(),
      clock: this.clock,
      seed: deriveSeed(this.options.seed, `device:${index}`),
      logger: logger.child({ device: name }),
      journalCapacity: fleet.journalCapacity,
      // The fleet API serves each device's app under /fleet/v1/devices/{name}/, listener or not.
      httpApp: fleetApi,
      servedHosts: this.options.servedHosts,
      signalsAfter: this.startedAll,
      // The fleet's own broker is reached in memory, not through a loopback socket per device
      // (src/mqtt/stream-pair.ts): same MQTT, a fifth less CPU at 1,000 devices.
      ...(this.broker ? { mqttService: { transport: () => this.broker!.connectInProcess(), initialPublishAfter: this.startedAll } } : { mqttService: { initialPublishAfter: this.startedAll } }),
    }).catch((error: unknown) => {
      // Keep the code (bad profile: exit 2; a port taken: exit 1), name the device.
      const message = `fleet device ${index} (${name}) did not start: ${(error as Error).message}`;
      throw isSimError(error) ? new SimError(error.code, message, { cause: error, context: { ...error.context, index } }) : new Error(message, { cause: error });
    });
    const member: FleetMember = { index, name, serialNumber: identity.device.serialNumber, mac: identity.device.mac, ip: identity.device.ip, addresses: emulator.addresses, unitId: unitIdOf(fleet.gateway, fleet.first, index) };
    if (this.stopped) {
      // The fleet stopped while this device started: it must not outlive the fleet.
      await emulator.stop();
      throw new SimError('CLI_USAGE', 'the fleet is stopped');
    }
    this.members.set(index, { emulator, member });
    this.membership.emit({ kind: 'added', index, name });
    return member;
  }

  /** Resolves once every running device has sent its first publications (at once for devices without MQTT). */
  async whenFirstPublicationsOut(): Promise<void> {
    await this.startedAll;
    await Promise.all([...this.members.values()].map((m) => m.emulator.mqttService?.whenSent()));
  }

  /** Stops device `index`; false if it does not run. */
  async remove(index: number): Promise<boolean> {
    const found = this.members.get(index);
    if (!found) return false;
    this.members.delete(index);
    for (const field of IDENTITY_FIELDS) this.identities.delete(`${field}:${found.member[field]}`);
    this.membership.emit({ kind: 'removed', index, name: found.member.name });
    await found.emulator.stop();
    return true;
  }

  get size(): number {
    return this.members.size;
  }

  /** The running devices, by index. */
  list(): FleetMember[] {
    return [...this.members.values()].map((m) => m.member).sort((a, b) => a.index - b.index);
  }

  device(index: number): Emulator | undefined {
    return this.members.get(index)?.emulator;
  }

  /**
   * A device of the fleet's own broker drops its connection rather than flushing and saying
   * goodbye: the broker closes next and loses what is unsent anyway, and 1,000 devices flushing
   * their first publications took SIGTERM past its 5 s. The broker publishes each one's will
   * ({"value":"offline"}), as a clean goodbye would have.
   */
  private async stopDevice(emulator: Emulator): Promise<void> {
    if (this.broker) await emulator.mqttService?.close({ abrupt: true });
    await emulator.stop();
  }

  /** Stops every device, then the broker; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The API first: no request reaches a device being stopped.
    try {
      await this.api?.close();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'the fleet API did not stop cleanly');
    }
    await this.modbusGateway?.close();
    // Then the fleet's scenario runs: none acts on a device being stopped.
    await this.scenarios.stop();
    // Many at once: one after another, 1,000 devices with MQTT took 4.8 s, past SIGTERM's deadline
    // (each MQTT client flushes and says goodbye to the broker, which is mostly waiting).
    const emulators = [...this.members.values()].map((m) => m.emulator).reverse();
    this.members.clear();
    for (let i = 0; i < emulators.length; i += STOP_AT_ONCE) {
      const results = await Promise.allSettled(emulators.slice(i, i + STOP_AT_ONCE).map((e) => this.stopDevice(e)));
      for (const r of results) if (r.status === 'rejected') this.options.logger.warn({ err: r.reason }, 'a fleet device did not stop cleanly');
    }
    await this.broker?.close();
  }
}
