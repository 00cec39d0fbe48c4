/**
 * Faults of the device API (src/device/faults.ts): `rest-error` answers a 5xx in the device's
 * error shape instead of the request, `rest-slow` answers after a delay on the device clock.
 * Only /api: the emulator API stays usable, so a test can clear what it injected.
 */
import type { RequestHandler } from 'express';
import type { Clock } from '../../device/clock.js';
import type { Device } from '../../device/device.js';
import { isRestFault } from '../../device/faults.js';

export function deviceApiFaults(device: Device, clock: Clock): RequestHandler {
  return (_req, res, next) => {
    const fault = device.faults.find(isRestFault);
    if (!fault) {
      next();
      return;
    }
    device.faults.hit(fault);
    if (fault.spec.kind === 'rest-error') {
      res.status(fault.spec.status).json({ error: { code: fault.spec.status, message: `injected fault ${fault.id}: rest-error ${fault.spec.status}` } });
      return;
    }
    clock.setTimeout(() => next(), fault.spec.delayMs);
  };
}
