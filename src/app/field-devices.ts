/**
 * Builds the profile's virtual field devices: finds each definition (a ready-made map in
 * profiles/field-devices, or a file next to the profile), makes the FieldDevice model (src/sim)
 * and the attachment the serial service puts on the bus (src/serial), and the SerialControl the
 * emulator API drives them through.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Profile } from '../config/profile.js';
import { isBareName, resolveShipped } from '../config/profile-name.js';
import type { FieldDeviceRef } from '../config/sections.js';
import type { Clock } from '../device/clock.js';
import { isSimError, SimError } from '../errors.js';
import type { SerialControl } from '../serial/contract.js';
import type { FieldDeviceAttachment, SerialService } from '../serial/service.js';
import { FieldDevice, loadFieldDeviceFile } from '../sim/field-device.js';
import type { FieldDeviceDefinition } from '../sim/field-device-schema.js';
import { deriveSeed, mulberry32 } from '../sim/random.js';

/**
 * A bare name (power-meter) is a ready-made map in profiles/field-devices, the folder `validate
 * --kind field-device NAME` reads (src/config/profile-name.ts); anything with a slash or an
 * extension is a file (the profiles' rule).
 */
export function definitionFile(definition: string, profileFile: string): string {
  // A bare name is a shipped definition; an unknown one lists the shipped names (PROFILE_READ_FAILED).
  if (isBareName(definition)) return resolveShipped('field-device', definition);
  return isAbsolute(definition) ? definition : resolve(dirname(profileFile), definition);
}

/**
 * The definition of the profile's field device number `i`. One that cannot be read is
 * PROFILE_INVALID at serial.fieldDevices.i.definition, so `start` names the profile and the path
 * as `validate` does (inFile); the definition's own message names its file or bare name first.
 */
export function loadDefinition(ref: FieldDeviceRef, i: number, profileFile: string): FieldDeviceDefinition {
  try {
    return loadFieldDeviceFile(definitionFile(ref.definition, profileFile));
  } catch (error) {
    if (!isSimError(error)) throw error;
    const message = error.message.replace(/\n/g, '; ');
    throw new SimError('PROFILE_INVALID', message, { context: { issues: [{ path: ['serial', 'fieldDevices', i, 'definition'], message }] } });
  }
}

export interface FieldDevices {
  models: Map<string, FieldDevice>;
  attachments: FieldDeviceAttachment[];
}

export function buildFieldDevices(profile: Profile, profileFile: string, clock: Clock, seed: number): FieldDevices {
  const models = new Map<string, FieldDevice>();
  const attachments: FieldDeviceAttachment[] = [];
  for (const [i, ref] of profile.serial.fieldDevices.entries()) {
    const definition = loadDefinition(ref, i, profileFile);
    const model = new FieldDevice(definition, clock, deriveSeed(seed, `field-device:${ref.name}`));
    models.set(ref.name, model);
    attachments.push({
      name: ref.name,
      slaveId: ref.slaveId ?? definition.defaultSlaveId,
      space: model,
      port: ref.port,
      random: mulberry32(deriveSeed(seed, `field-device-noise:${ref.name}`)),
    });
  }
  return { models, attachments };
}

/** The API's view of the serial side: the service's status plus each model's points. */
export function serialControl(service: SerialService, models: Map<string, FieldDevice>): SerialControl {
  const model = (name: string) => {
    const found = models.get(name);
    if (!found) throw new SimError('HTTP_NOT_FOUND', `no field device ${name}; the profile has ${[...models.keys()].join(', ') || 'none'}`, { context: { name } });
    return found;
  };
  return {
    status: () => service.status(),
    fieldDeviceNames: () => [...models.keys()],
    fieldDevice: (name) => {
      const device = model(name);
      const slave = service.status().fieldDevices.find((d) => d.name === name);
      // Every model is attached to the bus, so this is only a guard.
      if (!slave) throw new SimError('HTTP_NOT_FOUND', `field device ${name} is not on the bus`, { context: { name } });
      return { ...slave, name, definition: device.definition.name, description: device.definition.description, points: device.points(), requests: device.counters };
    },
    setFault: (name, fault) => {
      model(name);
      service.setFault(name, fault);
    },
    setPoint: (name, point, value) => model(name).set(point, value),
  };
}
