// Issue #20 (Trends): the browser files of uPlot are served from node_modules at /vendor/uplot/,
// by the bundled CLI (the package found from dist/cli/bundle.cjs) and under a fleet device's
// /fleet/v1/devices/NAME/ prefix (where the console's relative URLs lead); nothing else under
// /vendor is.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiFleets } from '../helpers/fleet-api.js';
import { cleanupProcesses, startCli } from '../helpers/process.js';

const UPLOT_DIST = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
const fleets = new ApiFleets();

afterEach(async () => {
  await fleets.stopAll();
  await cleanupProcesses();
});

/** Checks what `base` serves under /vendor: the two named files, byte for byte, and 404s around them. */
async function expectVendor(base: string): Promise<void> {
  const js = await fetch(`${base}/vendor/uplot/uPlot.esm.js`);
  expect(js.status).toBe(200);
  expect(js.headers.get('content-type')).toMatch(/^text\/javascript\b/);
  expect(js.headers.get('cache-control')).toMatch(/max-age=86400/);
  expect(js.headers.get('last-modified')).toBeTruthy();
  expect(await js.text()).toBe(await readFile(join(UPLOT_DIST, 'uPlot.esm.js'), 'utf8'));

  const css = await fetch(`${base}/vendor/uplot/uPlot.min.css`);
  expect(css.status).toBe(200);
  expect(css.headers.get('content-type')).toMatch(/^text\/css\b/);
  expect(await css.text()).toBe(await readFile(join(UPLOT_DIST, 'uPlot.min.css'), 'utf8'));

  // Files of the package that are not named, paths out of it, other packages, other cases: 404.
  for (const path of ['uplot/uPlot.iife.js', 'uplot/package.json', 'uplot/', 'uplot/../../package.json', 'uplot/%2e%2e/package.json', 'uplot/UPLOT.ESM.JS', 'express/index.js', '']) {
    const res = await fetch(`${base}/vendor/${path}`);
    expect(res.status, path).toBe(404);
    expect(await res.json(), path).toMatchObject({ statusCode: 404, code: 'HTTP_NOT_FOUND' });
  }
}

describe('/vendor (#20)', () => {
  it('serves uPlot from the bundled CLI, and only the named files', async () => {
    const { ready } = await startCli(['--http', '127.0.0.1:0', '--https', 'off', '--modbus', 'off', '--mqtt', 'off', '--quiet']);
    await expectVendor(`http://${ready.http}`);
  });

  it('serves them under a fleet device console too', async () => {
    const { fleet } = await fleets.start(1);
    await expectVendor(`http://${fleet.httpAddress}/fleet/v1/devices/ioThinx_4510-001`);
  });
});
