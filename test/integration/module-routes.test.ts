/**
 * GET /sim/v1/modules (#20 part 4): the catalogue the web UI's mode lists come from. Every mode it
 * lists for a channel is one the profile check accepts there, and every other mode of that channel
 * type is refused, so the list and the check cannot drift apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileSchema } from '../../src/config/profile.js';
import { MODE_TABLES } from '../../src/device/catalog.js';
import { moduleCatalog } from '../../src/http/module-routes.js';
import { moduleCatalogSchema } from '../../src/http/schemas.js';
import { startSimApp, type SimApp } from '../helpers/sim-app.js';

/** Whether a one-module profile with this channel mode passes the profile check. */
function accepts(module: string, index: number, mode: string): boolean {
  return profileSchema.safeParse({ device: { name: 'modes' }, slots: [{ slot: 1, module, channels: [{ index, mode }] }] }).success;
}

describe('the module catalogue', () => {
  const catalog = moduleCatalog();

  it('lists, per channel, exactly the modes the profile check accepts there', () => {
    for (const model of catalog) {
      for (const ch of model.channels) {
        const listed = new Set(ch.modes.map((m) => m.name));
        for (const name of Object.values(MODE_TABLES[ch.type] ?? {})) {
          expect(accepts(model.model, ch.index, name), `${model.model} channel ${ch.index} mode ${name}`).toBe(listed.has(name));
        }
      }
    }
  });

  it('gives DI counter and DO pulse only to the capable channels, and the default first', () => {
    const di = catalog.find((m) => m.model === '45MR-1600')!;
    expect(di.channels[3]!.modes.map((m) => m.name)).toEqual(['di', 'counter']);
    expect(di.channels[4]!.modes.map((m) => m.name)).toEqual(['di']);
    const mixed = catalog.find((m) => m.model === '45MR-2606')!;
    expect(mixed.channels.map((c) => c.modes.length)).toEqual([2, 2, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1]);
    expect(catalog.find((m) => m.model === '45MR-3800')!.channels[0]!.modes).toEqual([
      { code: 4, name: '4-20mA' },
      { code: 3, name: '4-20mA-burnout' },
      { code: 2, name: '0-20mA' },
      { code: 0, name: 'disable' },
    ]);
    expect(catalog.find((m) => m.model === '45MR-2404')!.channels.every((c) => c.modes.length === 0)).toBe(true);
  });
});

describe('GET /sim/v1/modules', () => {
  let sim: SimApp;
  beforeAll(async () => {
    sim = await startSimApp(profileSchema.parse({ device: { name: 'modules' }, slots: [{ slot: 1, module: '45MR-1600' }] }));
  });
  afterAll(() => sim?.close());

  it('answers the whole catalogue, whatever the rail holds, as its schema documents it', async () => {
    const res = await fetch(`${sim.base}/modules`);
    expect(res.status).toBe(200);
    const body = moduleCatalogSchema.parse(await res.json());
    expect(body).toEqual(moduleCatalog());
    expect(body.find((m) => m.model === '45MR-6810')!.variants).toEqual(['45MR-6810', '45MR-6810-T']);
    const doc = (await (await fetch(`${sim.base}/openapi.json`)).json()) as { paths: Record<string, { get?: { 'x-required-role': string } }> };
    expect(doc.paths['/sim/v1/modules']?.get?.['x-required-role']).toBe('user');
  });
});
