/**
 * The web UI: static files from `web/` at `/`, same listener as the APIs. No build step; the
 * directory sits two levels above both dist/http/ and the bundled dist/cli/.
 *
 *   GET / (or /index.html) ─► may the request read the device? (accounts off, or the role GET /sim/v1/device
 *                             needs, by its session cookie or Basic credentials the guard verified lately:
 *                             Auth.mayAccess, which hashes nothing and counts no failed login)
 *                               ├─ yes ─► index.html with the snapshot inlined as <script id="device-snapshot">
 *                               └─ no ──► index.html as it is (the page's login flow takes over)
 *   other files ─► express.static
 *
 * The inlined snapshot is what lets the page's first paint show the device (#20 part 3) instead of
 * an empty rail waiting for GET /sim/v1/device; the page still fetches it again when its event
 * stream opens, so nothing is missed between this snapshot and the stream.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type RequestHandler } from 'express';
import type { Access } from './access.js';
import type { Auth } from './auth.js';

export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/** What the page needs to inline the device: its snapshot, and who may read it. */
export interface PageSnapshot {
  /** The body of GET /sim/v1/device (channel-routes.ts deviceSnapshot). */
  snapshot(): unknown;
  auth: Auth;
  /** The role GET /sim/v1/device needs when accounts are on (access.ts). */
  access: Access;
}

/**
 * JSON that can sit inside a <script> element: `<` as \u003c, so neither `</script>` nor `<!--`
 * in a device or channel name ends the element or opens a comment; JSON.parse reads it back as `<`.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const MARK = '</head>';

function indexPage(webDir: string, page: PageSnapshot): RequestHandler {
  // index.html split at </head> once, on the first request (not at start-up: the files under web/
  // are the package's own); a failed read is tried again by the next request.
  let parts: Promise<[string, string]> | undefined;
  const split = (html: string): [string, string] => {
    const at = html.indexOf(MARK);
    return at >= 0 ? [html.slice(0, at), html.slice(at)] : [html, ''];
  };
  return async (req, res) => {
    parts ??= readFile(join(webDir, 'index.html'), 'utf8').then(split, (error: unknown) => {
      parts = undefined;
      throw error;
    });
    const [head, tail] = await parts;
    const body = tail && page.auth.mayAccess(req, page.access) ? `${head}<script id="device-snapshot" type="application/json">${scriptJson(page.snapshot())}</script>\n${tail}` : head + tail;
    // The page carries live state: a cached copy would paint a stale device.
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(body);
  };
}

/** Mounts the web UI's static files at `/` (index.html for `/`, with the device inlined when `page` is given). */
export function mountWebUi(app: Express, webDir: string = WEB_DIR, page?: PageSnapshot): void {
  if (page) app.get(['/', '/index.html'], indexPage(webDir, page));
  app.use(express.static(webDir, { index: 'index.html', fallthrough: true, redirect: false }));
}

/**
 * The fleet listener's page: `fleet.html` at `/` (the device list, each opening that device's own
 * console under /fleet/v1/devices/NAME/, which that device's app serves with its own snapshot),
 * and the shared script and style files beside it.
 */
export function mountFleetUi(app: Express, webDir: string = WEB_DIR): void {
  app.get('/', (_req, res) => res.sendFile('fleet.html', { root: webDir }));
  app.use(express.static(webDir, { index: false, fallthrough: true, redirect: false }));
}
