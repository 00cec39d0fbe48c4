/**
 * The Modbus/TCP side of one emulator: the address map built from the Device and the running
 * config's `modbus` section, and (when listening) the server. Runtime changes (base addresses,
 * the accessible-IP list) are validated first, then written into the running config and applied.
 */
import type { Logger } from 'pino';
import type { Profile } from '../config/profile.js';
import type { Clock } from '../device/clock.js';
import type { Device } from '../device/device.js';
import { isSimError, SimError } from '../errors.js';
import { AddressMap, type BaseOverride } from './address-map.js';
import { ModbusTcpServer, type ModbusLimits, type ModbusServerSettings } from './server.js';

type ModbusConfig = Profile['modbus'];

export class ModbusService {
  private current: AddressMap;
  private server: ModbusTcpServer | undefined;
  private listening: string | null = null;

  constructor(
    private readonly device: Device,
    private readonly clock: Clock,
    /** The running config's section; changes made here are visible in GET /sim/v1/config. */
    private readonly config: ModbusConfig,
    private readonly logger: Logger,
    /** Called after a runtime change to the config section, so the owner can persist it. */
    private readonly onChange: () => void = () => {},
    /** The profile's `limits.modbus` (backpressure, frame timeout); the defaults when not given. */
    private readonly limits?: ModbusLimits,
  ) {
    this.current = new AddressMap(device, config);
  }

  async listen(host: string, port: number): Promise<string> {
    this.server = new ModbusTcpServer(this.device, this.clock, this.current, this.settings(), this.logger, this.limits);
    this.listening = await this.server.listen(host, port);
    return this.listening;
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.listening = null;
  }

  address(): string | null {
    return this.listening;
  }

  stats(): Record<string, number | boolean> {
    return { ...(this.server?.stats ?? {}), enabled: this.config.enabled };
  }

  map(): AddressMap['rows'] {
    return this.current.rows;
  }

  baseAddresses(): { effective: AddressMap['bases']; overrides: BaseOverride[] } {
    return { effective: this.current.bases, overrides: this.config.baseAddresses };
  }

  setBaseAddresses(overrides: ModbusConfig['baseAddresses']): void {
    let map: AddressMap;
    try {
      map = new AddressMap(this.device, { ...this.config, baseAddresses: overrides });
    } catch (error) {
      // Name the field relative to the request body ({"overrides": [...]}).
      if (isSimError(error, 'PROFILE_INVALID')) {
        const first = (error.context.issues as { path: (string | number)[] }[] | undefined)?.[0];
        throw new SimError('PROFILE_INVALID', error.message.replaceAll('modbus.baseAddresses', 'overrides'), {
          context: { ...error.context, path: first ? ['overrides', ...first.path.slice(2)].join('.') : null },
        });
      }
      throw error;
    }
    this.config.baseAddresses = overrides;
    this.current = map;
    this.server?.setMap(map);
    this.onChange();
  }

  accessibleIps(): ModbusConfig['accessibleIps'] {
    return this.config.accessibleIps;
  }

  setAccessibleIps(list: ModbusConfig['accessibleIps']): void {
    this.config.accessibleIps = list;
    this.server?.setSettings(this.settings());
    this.onChange();
  }

  private settings(): ModbusServerSettings {
    const c = this.config;
    return { unitId: c.unitId, maxConnections: c.maxConnections, idleTimeoutS: c.idleTimeoutS, accessibleIps: c.accessibleIps, watchdog: c.watchdog };
  }
}
