/**
 * The serial port: the RTU master and the profile's virtual field devices. A port that cannot
 * open yet is retried by the service, not fatal, so start() waits only for the first attempt.
 */
import type { SerialControl } from '../../serial/contract.js';
import { SerialService } from '../../serial/service.js';
import { buildFieldDevices, serialControl } from '../field-devices.js';
import type { DeviceCore, ServiceModule } from '../service.js';

export interface SerialModule extends ServiceModule {
  /** The emulator API's view of the port and the field devices. */
  readonly control: SerialControl;
  /** Settles once the ports have had their first open attempt (SNMP's coldStart waits for it). */
  firstAttempt(): Promise<void>;
}

export function serialModule(core: DeviceCore, profileFile: string, seed: number): SerialModule {
  const { profile, device, clock, logger } = core;
  const { models, attachments } = buildFieldDevices(profile, profileFile, clock, seed);
  const service = new SerialService(device, clock, profile.serial, logger.child({ component: 'serial' }), attachments);
  for (const ref of profile.serial.fieldDevices) if (ref.fault) service.setFault(ref.name, { ...ref.fault });
  let opening: Promise<void> = Promise.resolve();
  return {
    name: 'serial',
    control: serialControl(service, models),
    // Not awaited here: a port that is slow to open (a tcp:// peer that does not answer) must not
    // hold up Modbus, HTTP and MQTT; only SNMP waits for the first attempt.
    start: async () => {
      for (const model of models.values()) model.start();
      opening = service.start();
      // Awaited by SNMP's start; marked handled so a stop before then is not an unhandled rejection.
      opening.catch(() => undefined);
    },
    firstAttempt: () => opening,
    stop: async () => {
      await service.close();
      for (const model of models.values()) model.stop();
    },
    addresses: () => ({}),
  };
}
