/**
 * The one shape every service of a device has, so that src/app can build, start and stop a
 * device as a list of them (Modbus/TCP, serial, HTTP, MQTT, SNMP), many times over in one
 * process, and so that a new service is one new module rather than edits across the wiring.
 *
 *   build(core, options) ─► start() ─► addresses in the ready file ─► stop() (last started first)
 *
 * A service never imports another; what one needs of another (the HTTP API reads Modbus, MQTT,
 * serial and SNMP through their controls) is handed over here, in src/app.
 */
import type { Logger } from 'pino';
import type { Profile } from '../config/profile.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import type { ScenarioController } from '../sim/scenario-control.js';
import type { SignalRunner } from '../sim/signals.js';

/** Where a service listens; port 0 = the OS picks a free one. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** Real addresses once listening, as the ready file reports them; null = the service is off. */
export interface EmulatorAddresses {
  http: string | null;
  https: string | null;
  modbus: string | null;
  mqtt: string | null;
  broker: string | null;
  snmp: string | null;
}

/** What every service of one device is built from: the model, its clock and field side, and a logger. */
export interface DeviceCore {
  readonly profile: Profile;
  readonly clock: Clock;
  readonly device: Device;
  readonly signals: SignalRunner;
  readonly scenarios: ScenarioController;
  readonly logger: Logger;
}

export interface ServiceModule {
  /** The service's name in logs and in errors while stopping. */
  readonly name: string;
  /** Listens or connects; a service that is off resolves at once. Rejects if it cannot start. */
  start(): Promise<void>;
  /** Stops listening and releases every timer and socket it holds; safe after a failed start. */
  stop(): Promise<void>;
  /** The addresses it serves once started (the ready file, GET /sim/v1/health). */
  addresses(): Partial<EmulatorAddresses>;
}
