/**
 * The web UI: static files from `web/` at `/`, same listener as the APIs. No build step; the
 * directory sits two levels above both dist/http/ and the bundled dist/cli/.
 */
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';

export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/** Mounts the web UI's static files at `/` (index.html for `/`). */
export function mountWebUi(app: Express, webDir: string = WEB_DIR): void {
  app.use(express.static(webDir, { index: 'index.html', fallthrough: true, redirect: false }));
}

/**
 * The fleet listener's page: `fleet.html` at `/` (the device list, each opening that device's own
 * console under /fleet/v1/devices/NAME/), and the shared script and style files beside it.
 */
export function mountFleetUi(app: Express, webDir: string = WEB_DIR): void {
  app.get('/', (_req, res) => res.sendFile('fleet.html', { root: webDir }));
  app.use(express.static(webDir, { index: false, fallthrough: true, redirect: false }));
}
