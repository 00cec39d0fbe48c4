/**
 * Third-party browser files the web UI loads, served from the installed packages in node_modules
 * (no copy in web/, no build step): uPlot for the Trends panel (#20) at /vendor/uplot/. Only the
 * files named here are served; anything else under /vendor is a 404.
 *
 *   GET /vendor/uplot/uPlot.esm.js ─► require.resolve('uplot/package.json') ─► <its dir>/dist/uPlot.esm.js
 *
 * The package is found the way Node finds a dependency, from this module's own location: from
 * dist/http/ (the library build) as from the bundled dist/cli/bundle.cjs, in a checkout, a global
 * install or a project that depends on iothinx-sim (hoisted or not), and in the container image
 * (deploy/container/prune-runtime-deps.cjs keeps what this file resolves).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type Express } from 'express';
import { SimError } from '../errors.js';

/**
 * URL folder ─► where its package is and the files of it the UI loads. Each package is resolved by
 * a literal `createRequire(import.meta.url).resolve('NAME/package.json')`: that is how
 * deploy/container/prune-runtime-deps.cjs finds, in the bundle, the packages the image must keep.
 */
const VENDOR: Record<string, { dir: () => string; files: readonly string[] }> = {
  uplot: { dir: () => dirname(createRequire(import.meta.url).resolve('uplot/package.json')), files: ['dist/uPlot.esm.js', 'dist/uPlot.min.css'] },
};

export const VENDOR_PREFIX = '/vendor';

/**
 * The URLs under VENDOR_PREFIX and their files, resolved once per process (a fleet builds an app
 * per device). A package that cannot be found leaves its URLs out (404s) rather than stopping the
 * emulator: the protocols do not need a chart, and the Trends panel says the library is missing.
 */
let resolved: Map<string, string> | undefined;

export function vendorFiles(): ReadonlyMap<string, string> {
  if (resolved) return resolved;
  resolved = new Map();
  for (const [name, { dir: find, files }] of Object.entries(VENDOR)) {
    let dir: string;
    try {
      dir = find();
    } catch {
      continue;
    }
    for (const file of files) resolved.set(`/${name}/${file.slice(file.lastIndexOf('/') + 1)}`, join(dir, file));
  }
  return resolved;
}

/** Mounts VENDOR_PREFIX: the named files (content type from their extension), 404 for the rest. */
export function mountVendor(app: Express): void {
  const files = vendorFiles();
  const router = express.Router({ caseSensitive: true, strict: true });
  for (const [url, file] of files) {
    router.get(url, (_req, res, next) => {
      // A day, then revalidated (Last-Modified): the URL names no version, so an upgraded package must
      // reach browsers without a forced reload (not `immutable`).
      res.sendFile(file, { maxAge: 86_400_000, dotfiles: 'deny' }, (error) => {
        if (error && !res.headersSent) next(new SimError('HTTP_NOT_FOUND', `no file ${VENDOR_PREFIX}${url}`, { cause: error }));
      });
    });
  }
  router.use((req, _res, next) => next(new SimError('HTTP_NOT_FOUND', `no route ${req.method} ${VENDOR_PREFIX}${req.path}`)));
  app.use(VENDOR_PREFIX, router);
}
