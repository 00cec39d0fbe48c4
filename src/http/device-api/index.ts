/**
 * The device's own RESTful API under /api, as a client written for a real ioThinx 4510 expects
 * it (reference §3a; our choices where the manual is silent are in docs/device-api.md).
 *
 *   request ─► service on? (404) ─► OPTIONS ─► resolve path (404) ─► 204 + Allow
 *                                 └► Accept (101) ─► Content-Type (102) ─► resolve path (404)
 *                                      ─► method in Allow? (405) ─► GET ─► 200 JSON
 *                                                                 └► PUT ─► body (413/201/202)
 *                                                                      ─► channel.write (202) ─► 200 {"value": n}
 *                                  any failure ─► errors.ts ─► {"error":{"code","message","detail"}}
 *
 * It is one middleware and its own error handler, so neither the /sim/v1 body rules (JSON only,
 * zod) nor its error format apply here.
 */
import { Router, type Request } from 'express';
import type { Logger } from 'pino';
import type { Profile } from '../../config/profile.js';
import type { Device } from '../../device/device.js';
import { readValue } from './body.js';
import { DacCode, DacError, dacErrorHandler } from './errors.js';
import { checkAccept, checkContentType } from './headers.js';
import { ioResource } from './io.js';
import { allowHeader, type Resource } from './resource.js';
import { sysInfoResource } from './sysinfo.js';

export interface DeviceApiOptions {
  device: Device;
  /** Read on every request: `http.restApi` switches the service (the running config may change). */
  profile: Profile;
  logger: Logger;
}

/** The path's segments below /api, percent-decoded; a trailing slash is ignored. */
function segments(req: Request): string[] {
  let path = req.path;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path
    .slice(1)
    .split('/')
    .map((segment) => {
      if (!segment.includes('%')) return segment;
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new DacError(DacCode.NotFound, `malformed percent-encoding in path segment ${segment}`);
      }
    });
}

function resolve(device: Device, req: Request): Resource {
  const [head, ...rest] = segments(req);
  if (head === 'io') return ioResource(device, rest);
  const resource = head === 'sysInfo' ? sysInfoResource(device, rest) : undefined;
  if (!resource) {
    throw new DacError(DacCode.NotFound, `no resource /api${req.path}; the API has /api/sysInfo[/device|/network[/LAN[/1]]] and /api/io/{type}/{ioName}[/{attribute}]`);
  }
  return resource;
}

export function deviceApiRouter(options: DeviceApiOptions): Router {
  const { device } = options;
  const router = Router();
  router.use(async (req, res) => {
    if (!options.profile.http.restApi) {
      throw new DacError(DacCode.NotFound, 'the RESTful API service is disabled (profile: http.restApi is false)');
    }
    res.setHeader('Cache-Control', 'no-store');
    // No header rule for OPTIONS: it reads nothing, and a browser's CORS preflight cannot send them.
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', allowHeader(resolve(device, req)));
      res.status(204).end();
      return;
    }
    checkAccept(req.headers.accept);
    checkContentType(req.headers['content-type']);
    const resource = resolve(device, req);
    if (req.method === 'GET') {
      res.json(resource.get());
      return;
    }
    if (req.method === 'PUT' && resource.put) {
      const value = await readValue(req, res, { maxBytes: options.profile.limits.http.maxBodyBytes, onTooLarge: () => device.refusals.count('http_body_size') });
      res.json(resource.put(value));
      return;
    }
    const allow = allowHeader(resource);
    throw new DacError(DacCode.MethodNotAllowed, `${req.method} is not allowed on /api${req.path}; allowed: ${allow}`, { allow });
  });
  router.use(dacErrorHandler(options.logger));
  return router;
}
