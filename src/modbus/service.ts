/**
 * The Modbus/TCP side of one emulator: the address map built from the Device and the running
 * config's `modbus` section, and (when listening) the server. Runtime changes (base addresses,
 * the accessible-IP list) are checked on a copy, handed to the owner's `commit` (which persists
 * them, issue #14 point 3), and put in force by `apply` once they are on disk: a change that
 * cannot be written changes nothing.
 */
import type { Logger } from 'pino';
import type { Profile } from '../config/profile.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { isSimError, SimError } from '../errors.js';
import { AddressMap } from './address-map.js';
import type { BaseAddresses, MapRow, ModbusControl, ModbusStats } from './contract.js';
import { ModbusTcpServer, type ModbusLimits, type ModbusServerSettings } from './server.js';
import { deviceRouter, ModbusUnit } from './unit.js';

type ModbusConfig = Profile['modbus'];
/** What can change at run time, without a restart. */
export type ModbusRuntime = Pick<ModbusConfig, 'accessibleIps' | 'baseAddresses'>;

/**
 * Persists a change of the `modbus` section: `change` makes the next section from the latest
 * accepted one (or throws to refuse); resolves once the change is on disk and `apply` has put
 * it in force, rejects (changing nothing) otherwise.
 */
export type ModbusCommit = (change: (section: ModbusConfig) => ModbusConfig) => Promise<void>;

/** The emulator API drives it as its ModbusControl (src/modbus/contract.ts). */
export class ModbusService implements ModbusControl {
  private current: AddressMap;
  /**
   * The device's request handling (map, faults, journal, watchdog): its own listener answers
   * through it, and so does a fleet's gateway (src/fleet/gateway.ts), listener or not.
   */
  readonly unit: ModbusUnit;
  private server: ModbusTcpServer | undefined;
  private listening: string | null = null;
  private readonly commit: ModbusCommit;

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    /** The running config's section; changes made here are visible in GET /sim/v1/config. */
    private readonly config: ModbusConfig,
    private readonly logger: Logger,
    /** Persists a runtime change and then calls apply(); without an owner, the change applies at once. */
    commit?: ModbusCommit,
    /** The profile's `limits.modbus` (backpressure, frame timeout); the defaults when not given. */
    private readonly limits?: ModbusLimits,
  ) {
    this.current = new AddressMap(device, config);
    this.unit = new ModbusUnit(device, clock, this.current, config.watchdog, logger);
    this.commit = commit ?? (async (change) => this.apply(change(this.config)));
  }

  async listen(host: string, port: number): Promise<string> {
    const router = deviceRouter(this.unit, () => this.config.unitId);
    this.server = new ModbusTcpServer(this.clock, router, this.settings(), this.device.refusals, this.logger, this.limits);
    this.listening = await this.server.listen(host, port);
    return this.listening;
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.unit.close();
    this.listening = null;
  }

  address(): string | null {
    return this.listening;
  }

  stats(): ModbusStats {
    if (!this.server) return { enabled: this.config.enabled };
    const { unrouted: _unrouted, ...stats } = this.server.stats;
    return { ...stats, watchdogAlarm: this.device.head.read('watchdogAlarmFlag') === 1, enabled: this.config.enabled };
  }

  map(): readonly MapRow[] {
    return this.current.rows;
  }

  baseAddresses(): BaseAddresses {
    return { effective: this.current.bases, overrides: this.config.baseAddresses };
  }

  async setBaseAddresses(overrides: ModbusConfig['baseAddresses']): Promise<void> {
    this.mapFor(overrides, 'overrides');
    await this.commit((section) => ({ ...section, baseAddresses: overrides }));
  }

  accessibleIps(): ModbusConfig['accessibleIps'] {
    return this.config.accessibleIps;
  }

  async setAccessibleIps(list: ModbusConfig['accessibleIps']): Promise<void> {
    await this.commit((section) => ({ ...section, accessibleIps: list }));
  }

  /**
   * Puts the runtime part of a section in force (the owner calls it once the change is on disk):
   * a new map for new base addresses, the new list for new connections, and connections from
   * hosts no longer allowed dropped. Idempotent.
   */
  apply(next: ModbusRuntime): void {
    if (JSON.stringify(next.baseAddresses) !== JSON.stringify(this.config.baseAddresses)) {
      const map = this.mapFor(next.baseAddresses, 'modbus.baseAddresses');
      this.config.baseAddresses = next.baseAddresses;
      this.current = map;
      this.unit.setMap(map);
    }
    if (JSON.stringify(next.accessibleIps) !== JSON.stringify(this.config.accessibleIps)) {
      this.config.accessibleIps = next.accessibleIps;
      this.server?.setSettings(this.settings());
    }
  }

  /** The map these overrides make on this rail; throws PROFILE_INVALID naming the field under `prefix` (overlaps ...). */
  private mapFor(overrides: ModbusConfig['baseAddresses'], prefix: string): AddressMap {
    try {
      return new AddressMap(this.device, { ...this.config, baseAddresses: overrides });
    } catch (error) {
      // Name the field relative to the request body ({"overrides": [...]}).
      if (isSimError(error, 'PROFILE_INVALID') && prefix !== 'modbus.baseAddresses') {
        const first = (error.context.issues as { path: (string | number)[] }[] | undefined)?.[0];
        throw new SimError('PROFILE_INVALID', error.message.replaceAll('modbus.baseAddresses', prefix), {
          context: { ...error.context, path: first ? [prefix, ...first.path.slice(2)].join('.') : null },
        });
      }
      throw error;
    }
  }

  private settings(): ModbusServerSettings {
    const c = this.config;
    return { maxConnections: c.maxConnections, idleTimeoutS: c.idleTimeoutS, accessibleIps: c.accessibleIps };
  }
}
