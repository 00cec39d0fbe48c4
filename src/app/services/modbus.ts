/**
 * Modbus/TCP: the server on the listen address, and the runtime sections it owns (accessible-IP
 * list, base addresses) that every other listener also obeys. Built even when the server is off,
 * because those sections and the address map are served by the emulator API regardless.
 */
import type { ConfigControl } from '../../config/contract.js';
import { ModbusService, type ModbusCommit } from '../../modbus/service.js';
import type { DeviceCore, ListenAddress, ServiceModule } from '../service.js';

export interface ModbusModule extends ServiceModule {
  readonly service: ModbusService;
}

export function modbusModule(core: DeviceCore, listen: ListenAddress | null, config: ConfigControl): ModbusModule {
  const { profile, device, clock, logger } = core;
  // Runtime edits of the section go through the running config's writer: answered once on disk.
  const commit: ModbusCommit = async (change) => void (await config.edit((p) => ({ ...p, modbus: change(p.modbus) })));
  const service = new ModbusService(device, clock, profile.modbus, logger.child({ component: 'modbus' }), commit, profile.limits.modbus);
  const on = listen !== null && profile.modbus.enabled;
  return {
    name: 'modbus',
    service,
    start: async () => {
      if (on) await service.listen(listen.host, listen.port);
    },
    stop: () => service.close(),
    addresses: () => ({ modbus: service.address() }),
  };
}
