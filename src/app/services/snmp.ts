/**
 * The SNMP agent and its traps (src/snmp), loaded only when SNMP is on. The engine id is kept in
 * the data dir so that a restart keeps it, as SNMPv3 managers expect.
 */
import { isAllowedForServices } from '../../config/accessible-ips.js';
import type { SnmpControl } from '../../snmp/contract.js';
import type { ModbusService } from '../../modbus/service.js';
import type { SnmpService } from '../../snmp/service.js';
import type { DeviceCore, ListenAddress, ServiceModule } from '../service.js';

export interface SnmpModule extends ServiceModule {
  readonly control: SnmpControl;
}

/** `before`: what must have happened before the agent answers and sends coldStart (the serial ports' first open attempt). */
export function snmpModule(core: DeviceCore, modbus: ModbusService, listen: ListenAddress | null, dataDir: string | undefined, before: () => Promise<void>): SnmpModule {
  const { profile, device, clock, logger } = core;
  const on = listen !== null && profile.snmp.enabled;
  let service: SnmpService | null = null;
  let traps: { close(): void } | null = null;
  let address: string | null = null;
  return {
    name: 'snmp',
    control: { status: () => service?.status() ?? { enabled: false } },
    start: async () => {
      await before();
      if (!on) return;
      const [{ SnmpService }, { loadEngineId, loadEngineBoots }, { TrapSender }] = await Promise.all([import('../../snmp/service.js'), import('../../snmp/engine-id.js'), import('../../snmp/traps.js')]);
      const log = logger.child({ component: 'snmp' });
      const [engineId, engineBoots] = await Promise.all([loadEngineId(device.identity.mac, dataDir, log), loadEngineBoots(dataDir, log)]);
      let lastTrigger = 0;
      const agent = new SnmpService(device, clock, profile.snmp, log, {
        engineId,
        engineBoots,
        accept: (peer) => isAllowedForServices(modbus.accessibleIps(), peer),
        lastTrigger: () => lastTrigger,
        limits: profile.limits.snmp,
      });
      const sender = new TrapSender(device, profile.snmp, logger.child({ component: 'snmp-traps' }), { engineId, lastTrigger: (type) => (lastTrigger = type) });
      agent.traps = sender;
      service = agent;
      traps = sender;
      address = await agent.listen(listen.host, listen.port);
      // coldStart once the agent answers, as a manager expects.
      sender.start();
    },
    stop: async () => {
      traps?.close();
      await service?.close();
    },
    addresses: () => ({ snmp: address }),
  };
}
