/**
 * What other web sites may not do through a browser (#14 point 12), checked first on every request:
 *
 *   request ─► peer still allowed (accessible-IP list)? ── no ─► connection destroyed
 *           ─► Host one we serve? ── no ─► 421 HTTP_HOST_NOT_ALLOWED (counted http_host)
 *              │ yes
 *              ▼
 *           GET / HEAD / OPTIONS ─────────────────────────────────────────────► next
 *           anything else ─► Content-Type JSON, or Sec-Fetch-Site same-origin|none,
 *                            or (no Sec-Fetch-Site) Origin = our own,
 *                            or a body from a non-browser (the body rules refuse non-JSON) ── no ─► 403 HTTP_CROSS_SITE
 *                              │ yes                                          (counted http_cross_site)
 *                              ▼
 *                             next
 *
 * DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 talks to us
 * same-origin, but its requests say `Host: evil.example`. So a Host must be an IP literal,
 * `localhost` (or a name under .localhost), a host a listener is bound to, this machine's host
 * name, or a name in limits.http.allowedHosts (`*` = any).
 *
 * Cross-site request forgery: a browser sends a form post or a no-cors fetch to any origin, but
 * never with a JSON Content-Type (that needs a CORS preflight, which this app never grants). So a
 * state-changing request needs JSON, an empty body included, unless the browser itself says it
 * comes from our own origin (Sec-Fetch-Site, or Origin where that header is missing).
 */
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { Request, RequestHandler } from 'express';
import type { Refusals } from '../device/refusals.js';
import { SimError } from '../errors.js';

/** Methods that change nothing; the rest must pass the cross-site rule (and trigger re-checks, changes.ts). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Host names each app's listeners are bound to (server.ts registers them). */
const served = new WeakMap<object, Set<string>>();

/** Whether a peer may talk at all (the accessible-IP list with additional restrictions). */
export type PeerRule = (remoteAddress: string | undefined) => boolean;
const peerRules = new WeakMap<object, PeerRule>();

/**
 * Called by listenHttp/listenHttps with their accept rule: every request is checked against it
 * again, so a peer taken off the list gets nothing more on a connection it still holds, in the
 * moment before the listener closes it (#14 point 14).
 */
export function setPeerRule(app: object, rule: PeerRule): void {
  peerRules.set(app, rule);
}

function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Called by listenHttp/listenHttps: `host` is a name the app is served under. */
export function addServedHost(app: object, host: string): void {
  const set = served.get(app) ?? new Set<string>();
  set.add(normalize(host.replace(/^\[(.*)\]$/, '$1')));
  served.set(app, set);
}

/**
 * `to` is served under every name `from` is (an app served through another's listener, as a
 * fleet device under /fleet/v1/devices/{name}/): its Host check then passes the same requests.
 */
export function shareServedHosts(from: object, to: object): void {
  for (const host of served.get(from) ?? []) addServedHost(to, host);
}

/** The host name of a Host header value: `[::1]:80` → `::1`, `Example.com.:8080` → `example.com`. */
export function hostOf(header: string): string {
  const value = header.trim();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return normalize(end < 0 ? value.slice(1) : value.slice(1, end));
  }
  const colon = value.indexOf(':');
  // Two colons or more without brackets: an IPv6 literal some client sent bare.
  if (colon >= 0 && value.indexOf(':', colon + 1) < 0) return normalize(value.slice(0, colon));
  return normalize(value);
}

export interface GuardOptions {
  /** limits.http.allowedHosts of the running config. */
  allowedHosts: readonly string[];
  refusals: Refusals;
}

/** Media types a browser cannot send cross-site without a preflight: application/json and application/*+json. */
export function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

function ownOrigin(req: Request): string {
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${(req.headers.host ?? '').toLowerCase()}`;
}

/** Whether the browser says the request comes from our own origin (or from the user, `none`). */
function sameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = req.headers.origin;
  return origin !== undefined && origin.toLowerCase() === ownOrigin(req);
}

/**
 * A body from a client that is no browser (neither Origin nor Sec-Fetch-Site): left to the body
 * rules behind, which refuse anything but JSON (415 on /sim/v1, 102 on /api), so that such a
 * client learns what is wrong with its body. Without a body it has to say JSON here.
 */
function plainClientBody(req: Request): boolean {
  if (req.headers.origin !== undefined || req.headers['sec-fetch-site'] !== undefined) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function requestGuard(app: object, options: GuardOptions): RequestHandler {
  const allowed = new Set(options.allowedHosts.map(normalize));
  const any = allowed.has('*');
  const machine = normalize(hostname());
  const hostAllowed = (name: string): boolean =>
    any || isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || name === machine || allowed.has(name) || (served.get(app)?.has(name) ?? false);

  return (req, _res, next) => {
    const rule = peerRules.get(app);
    if (rule && !rule(req.socket.remoteAddress)) {
      req.socket.destroy();
      return;
    }
    const host = req.headers.host;
    // HTTP/1.0 may omit Host; a browser never does.
    if (host !== undefined && !hostAllowed(hostOf(host))) {
      options.refusals.count('http_host');
      next(new SimError('HTTP_HOST_NOT_ALLOWED', `Host ${host} is not a name this emulator serves; use its IP address or localhost, or add the name to limits.http.allowedHosts`));
      return;
    }
    if (SAFE_METHODS.has(req.method) || isJsonType(req.headers['content-type']) || sameOrigin(req) || plainClientBody(req)) {
      next();
      return;
    }
    options.refusals.count('http_cross_site');
    const from = req.headers.origin ?? req.headers['sec-fetch-site'] ?? 'an unknown origin';
    next(
      new SimError(
        'HTTP_CROSS_SITE',
        `${req.method} changes the device and needs Content-Type: application/json (an empty body too) or a same-origin request; got Content-Type ${req.headers['content-type'] ?? 'none'} from ${from}`,
      ),
    );
  };
}
