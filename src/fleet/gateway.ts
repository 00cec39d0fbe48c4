/**
 * The fleet's Modbus gateway (issue #16 item 2c, docs/fleet.md "Modbus gateway"): one Modbus/TCP
 * port where the unit id selects the device, as a Modbus gateway in front of a plant's devices.
 *
 *   client ─► ModbusTcpServer (src/modbus/server.ts: the same framing, connection cap, reply
 *             backpressure and frame/idle timeouts as a device's own port)
 *          ─► unit id u ─► device index first + u - 1 running? ─► that device's ModbusUnit
 *                                                                 (its map, faults, journal, watchdog)
 *                                                     otherwise ─► exception noDeviceException
 *
 * The lookup runs per request on the fleet's live member table, so a device added at run time
 * answers from its first request and a removed one stops answering at once.
 */
import type { Logger } from 'pino';
import { GATEWAY_UNIT_IDS, type FleetGateway } from '../config/fleet.js';
import type { Profile } from '../config/profile.js';
import type { Clock } from '../device/clock.js';
import { Refusals } from '../device/refusals.js';
import type { ExceptionCode } from '../modbus-pdu/exceptions.js';
import { ModbusTcpServer } from '../modbus/server.js';
import type { ModbusUnit, UnitRouter } from '../modbus/unit.js';
import type { FleetGatewayStatus } from './contract.js';

/** The unit id that selects device `index` through the gateway, or null when it has none (gateway off, or outside 1..247). */
export function unitIdOf(gateway: FleetGateway | null, first: number, index: number): number | null {
  if (gateway === null) return null;
  const unitId = index - first + GATEWAY_UNIT_IDS.first;
  return unitId >= GATEWAY_UNIT_IDS.first && unitId <= GATEWAY_UNIT_IDS.last ? unitId : null;
}

export class FleetModbusGateway {
  private constructor(
    private readonly server: ModbusTcpServer,
    /** The gateway's own backpressure and frame-timeout refusals (a device's are its own). */
    private readonly refusals: Refusals,
    private readonly section: FleetGateway,
    private readonly first: number,
    /** `host:port` as bound. */
    readonly address: string,
  ) {}

  /**
   * Listens on `section.host:port`; `unitOf(index)` is the running device's unit at that index
   * (undefined when none runs there), asked on every request.
   */
  static async start(options: { section: FleetGateway; first: number; profile: Profile; clock: Clock; unitOf: (index: number) => ModbusUnit | undefined; logger: Logger }): Promise<FleetModbusGateway> {
    const { section, first, profile, unitOf } = options;
    const noDevice = section.noDeviceException as ExceptionCode;
    const router: UnitRouter = {
      route: (unitId) => {
        if (unitId < GATEWAY_UNIT_IDS.first || unitId > GATEWAY_UNIT_IDS.last) return noDevice;
        return unitOf(first + unitId - GATEWAY_UNIT_IDS.first) ?? noDevice;
      },
      // A device's modbus-drop: the gateway stays up and answers for the device it lost.
      dropAnswer: noDevice,
    };
    const refusals = new Refusals();
    const settings = { maxConnections: section.maxConnections, idleTimeoutS: profile.modbus.idleTimeoutS, accessibleIps: profile.modbus.accessibleIps };
    const server = new ModbusTcpServer(options.clock, router, settings, refusals, options.logger, profile.limits.modbus);
    try {
      const address = await server.listen(section.host, section.port);
      return new FleetModbusGateway(server, refusals, section, first, address);
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  status(): FleetGatewayStatus {
    return {
      enabled: true,
      address: this.address,
      firstIndex: this.first,
      unitIds: { ...GATEWAY_UNIT_IDS },
      noDeviceException: this.section.noDeviceException,
      stats: this.server.stats,
      refusals: { backpressure: this.refusals.get('modbus_backpressure'), frameTimeout: this.refusals.get('modbus_frame_timeout') },
    };
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
