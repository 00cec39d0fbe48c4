/**
 * One device and its services, built from a profile: the composition root of a device. The CLI
 * (through the Runner), the `iothinx-sim/testing` fixture and the test harnesses all build
 * devices here; a fleet builds many.
 *
 *   profile ─► Device ◄── SignalRunner, wiring, scenarios (field side)
 *                │ onChange
 *                ▼
 *   services, started in order, stopped last first (src/app/services):
 *     modbus (IP list, base addresses) ─► serial ─► http (/api, /sim/v1, UI) ─► mqtt ─► snmp
 *
 * HTTP answers while MQTT and SNMP still start: GET /sim/v1/health/ready reads `readiness()`,
 * which says ready only once every service's start resolved and the MQTT client is connected.
 */
import type { Logger } from 'pino';
import { resolveChannelRef, type Profile } from '../config/profile.js';
import { createClock, ioClock, type Clock } from '../device/clock.js';
import { Device } from '../device/device.js';
import { SimError } from '../errors.js';
import type { ConfigControl } from '../config/contract.js';
import type { Readiness } from '../http/schemas.js';
import type { Certificate } from '../http/tls.js';
import type { ModbusService } from '../modbus/service.js';
import type { SerialControl } from '../serial/contract.js';
import type { MqttService, MqttServiceOptions } from '../mqtt/service.js';
import { ScenarioController } from '../sim/scenario-control.js';
import { SignalRunner } from '../sim/signals.js';
import { connectWiring, type Wire } from '../sim/wiring.js';
import { startCounterRetain, type CounterRetain } from './di-counter-retain.js';
import { memoryConfig } from './memory-config.js';
import type { DeviceCore, EmulatorAddresses, ListenAddress, ServiceModule } from './service.js';
import { httpModule, type HttpModule } from './services/http.js';
import { modbusModule } from './services/modbus.js';
import { mqttModule, type MqttModule } from './services/mqtt.js';
import { serialModule } from './services/serial.js';
import { snmpModule } from './services/snmp.js';
import type { MetricsJson } from '../http/metrics.js';

export type { EmulatorAddresses, ListenAddress } from './service.js';

export interface EmulatorOptions {
  profile: Profile;
  /** Each service listens here; null (or absent) = off. */
  http?: ListenAddress | null;
  https?: ListenAddress | null;
  modbus?: ListenAddress | null;
  /** 'off' (default), 'profile' (as the profile says), 'embedded' or a broker URL. */
  mqtt?: string;
  broker?: ListenAddress | null;
  snmp?: ListenAddress | null;
  /** 'real' (default), 'manual', or a clock of the caller's (a test's ManualClock). */
  clock?: 'real' | 'manual' | Clock;
  seed?: number;
  logger: Logger;
  /** The running config's owner (src/app/runner.ts): persistence and restarts. Default: in memory, no restart. */
  config?: ConfigControl;
  /** Where a self-signed certificate and the SNMP engine id are kept. */
  dataDir?: string;
  /** Relative paths in the profile (certificates, field-device maps, MQTT TLS files) resolve against its folder. */
  profileFile?: string;
  /** A certificate from an earlier start, so a restart keeps the same one. */
  certificate?: Certificate;
  /** Passed to the MQTT service as they are (a test's transport clock, say). */
  mqttService?: Partial<MqttServiceOptions>;
  /** Signals take their first step once this resolves (a fleet: once every device has started; src/sim/signals.ts). */
  signalsAfter?: Promise<void>;
  /** Entries the device's journal keeps (default 10 000). */
  journalCapacity?: number;
  /**
   * Build the express app (/api, /sim/v1, /metrics) even with HTTP and HTTPS off, so that a
   * fleet's one listener can serve it under /fleet/v1/devices/{name}/ (#16 item 3). It is built
   * on the first read of `app`; its /metrics counts from then.
   */
  /** Names the HTTP API is served under beyond limits.http.allowedHosts (IOTHINX_SIM_ALLOWED_HOSTS); not part of the config. */
  servedHosts?: readonly string[] | undefined;
  httpApp?: boolean;
}

export class Emulator implements DeviceCore {
  readonly device: Device;
  readonly signals: SignalRunner;
  readonly scenarios: ScenarioController;
  readonly modbus: ModbusService;
  /** The serial side as the emulator API sees it (field device names for faults, say). */
  readonly serial: SerialControl;
  private readonly services: ServiceModule[];
  private readonly httpService: HttpModule;
  private readonly mqttModule: MqttModule;
  private readonly started: ServiceModule[] = [];
  /** Services whose start() resolved (readiness). */
  private readonly up = new Set<ServiceModule>();
  private readonly byName: Readonly<Record<'modbus' | 'snmp', ServiceModule>>;
  private disconnectWiring: () => void = () => {};
  private counterRetain: CounterRetain | undefined;
  private stopped = false;

  private constructor(
    readonly profile: Profile,
    readonly clock: Clock,
    readonly logger: Logger,
    options: EmulatorOptions,
  ) {
    this.device = new Device(profile, clock, logger.child({ component: 'device' }), options.journalCapacity);
    this.signals = new SignalRunner(clock, options.seed ?? 1, logger.child({ component: 'signals' }), options.signalsAfter);
    // Without an owner, a runtime edit is put in force at once on a config of its own.
    // A copy of the top level only: no section is changed in place (putInForce replaces `http`), and a
    // structured clone was 4% of a fleet's start.
    const config = options.config ?? memoryConfig({ ...profile }, (next) => this.putInForce(next));
    const profileFile = options.profileFile ?? 'profile.yaml';
    const modbus = modbusModule(this, options.modbus ?? null, config);
    this.modbus = modbus.service;
    const mqtt = mqttModule(this, this.modbus, { mqtt: options.mqtt ?? 'off', broker: options.broker ?? null, profileFile, dataDir: options.dataDir, service: options.mqttService });
    this.mqttModule = mqtt;
    // Scenarios hear MQTT messages through the module's forwarder: the service starts after them.
    this.scenarios = new ScenarioController({ device: this.device, clock, signals: this.signals, onMqttMessage: mqtt.control.onMessage }, logger.child({ component: 'scenarios' }), profile.limits.scenarios);
    const serial = serialModule(this, profileFile, options.seed ?? 1);
    this.serial = serial.control;
    const snmp = snmpModule(this, this.modbus, options.snmp ?? null, options.dataDir, serial.firstAttempt);
    this.httpService = httpModule(this, {
      http: options.http ?? null,
      https: options.https ?? null,
      app: options.httpApp ?? false,
      config,
      modbus: this.modbus,
      mqtt: mqtt.control,
      serial: serial.control,
      snmp: snmp.control,
      // A narrowed accessible-IP list also closes the embedded broker's connections (#14 points 11, 14).
      onAccessChanged: () => mqtt.service()?.recheckBrokerPeers(),
      profileFile,
      dataDir: options.dataDir,
      certificate: options.certificate,
      readiness: () => this.readiness(),
      servedHosts: options.servedHosts ?? [],
    });
    // Start order: HTTP before MQTT (the broker may take a moment; the API asks MQTT lazily),
    // the serial ports' first open attempt before SNMP (its coldStart trap says "up").
    this.services = [modbus, serial, this.httpService, mqtt, snmp];
    this.byName = { modbus, snmp };
  }

  /** Builds the device and starts every service; on any failure, stops what started and rejects. */
  static async start(options: EmulatorOptions): Promise<Emulator> {
    const clock = typeof options.clock === 'object' ? options.clock : createClock(options.clock ?? 'real');
    const emulator = new Emulator(options.profile, clock, options.logger, options);
    try {
      // Saved counts go in before signals and clients can count on top of them.
      emulator.counterRetain = await startCounterRetain(emulator.device, options.profile, options.dataDir, ioClock(clock), options.logger.child({ component: 'di-counters' }));
      emulator.connectField();
      for (const service of emulator.services) {
        emulator.started.push(service);
        await service.start();
        emulator.up.add(service);
      }
    } catch (error) {
      await emulator.stop();
      throw error;
    }
    return emulator;
  }

  /** Real addresses once listening, as the ready file reports them; null = the service is off. */
  get addresses(): EmulatorAddresses {
    const all: EmulatorAddresses = { http: null, https: null, modbus: null, mqtt: null, broker: null, snmp: null };
    for (const service of this.started) Object.assign(all, service.addresses());
    return all;
  }

  /**
   * Each service's state, and `ready` once none is starting and MQTT (if on) is connected. A
   * service that is off in the profile or has no address counts as ready; the serial side is up
   * once its ports' first open attempt is over, which SNMP's start awaits (services/snmp.ts).
   */
  readiness(): Readiness {
    const a = this.addresses;
    const state = (service: ServiceModule, on: boolean) => (!this.up.has(service) ? 'starting' : on ? 'up' : 'off');
    const { serial } = this.profile;
    const serialOn = serial.port !== null || serial.fieldDevices.some((f) => f.port !== null);
    const mqtt = this.mqttModule.service();
    const services: Readiness['services'] = {
      modbus: state(this.byName.modbus, a.modbus !== null),
      serial: !this.up.has(this.byName.snmp) ? 'starting' : serialOn ? 'up' : 'off',
      http: state(this.httpService, a.http !== null || a.https !== null),
      mqtt: !this.up.has(this.mqttModule) ? 'starting' : mqtt === null ? 'off' : mqtt.status().connected ? 'connected' : 'connecting',
      snmp: state(this.byName.snmp, a.snmp !== null),
    };
    const ready = Object.values(services).every((s) => s !== 'starting' && s !== 'connecting');
    return { status: ready ? 'ready' : 'starting', services };
  }

  /** The express app of /api, /sim/v1 and the UI (null when HTTP and HTTPS are off and `httpApp` was not asked for). */
  /** The device's metrics as prom-client's JSON (what its GET /metrics shows), app or not. */
  metrics(): Promise<MetricsJson> {
    return this.httpService.metrics();
  }

  get app() {
    return this.httpService.app;
  }

  /** The HTTPS certificate in use, handed to the next start so a restart keeps it. */
  get certificate(): Certificate | undefined {
    return this.httpService.certificate();
  }

  /** The MQTT service once started (null when MQTT is off). */
  get mqttService(): MqttService | null {
    return this.mqttModule.service();
  }

  /**
   * Puts the runtime sections of `next` (accessible-IP list, base addresses, accounts) in force
   * without a restart; the config's owner calls it once the change is on disk.
   */
  putInForce(next: Profile): void {
    this.modbus.apply(next.modbus);
    // A new `http`, not a change to it: a fleet's devices share their profile's sections.
    this.profile.http = { ...this.profile.http, accounts: next.http.accounts };
  }

  /** Stops accepting, closes every service (last started first), and releases timers. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.up.clear();
    // A run still going is aborted first, so its event streams end before HTTP closes.
    await this.scenarios.stop();
    for (const service of this.started.splice(0).reverse()) {
      try {
        await service.stop();
      } catch (error) {
        this.logger.warn({ err: error, service: service.name }, 'service did not stop cleanly');
      }
    }
    this.disconnectWiring();
    this.signals.dispose();
    // After every writer of a count is gone: the file gets the final counts.
    await this.counterRetain?.stop();
    this.device.dispose();
  }

  private connectField(): void {
    const wires: Wire[] = this.profile.wiring.map((w) => {
      const from = resolveChannelRef(this.device, w.from);
      const to = resolveChannelRef(this.device, w.to);
      if (!from || !to) throw new SimError('PROFILE_INVALID', `wiring ${w.from} -> ${w.to}: no such channel`);
      return { from, to, invert: w.invert };
    });
    this.disconnectWiring = connectWiring(this.device, wires);
    for (const module of this.profile.slots) {
      for (const ch of module.channels) {
        if (ch.signal) this.signals.attach(this.device.channel(module.slot, ch.index), ch.signal);
      }
    }
  }
}
