/**
 * GET /sim/v1/modules: the module catalogue (src/device/catalog.ts) as a client needs it to offer
 * a channel's modes as a list: per model, per module-wide channel index, the modes that channel
 * accepts in a profile (`slots.N.channels.M.mode`), the default first. Read-only; the same
 * layout and capability rules as the profile check (spec-check.ts), so every mode listed here is
 * one a PUT /sim/v1/config accepts for that channel, and no other (a unit test loads each).
 */
import { allModels, MODE_TABLES, type ChannelGroup, type ModuleModel } from '../device/catalog.js';
import { channelLayout } from '../device/spec-check.js';
import { route, type Route } from './route.js';
import { moduleCatalogSchema, type ModuleCatalog } from './schemas.js';


/** The modes one channel accepts: DI counter and DO pulse only on the capable channels (DS, M-EZ p=118-119). */
function channelModes(group: ChannelGroup, typeIndex: number): { code: number; name: string }[] {
  const table = MODE_TABLES[group.type];
  if (!table) return [];
  const named = (codes: readonly number[]) => codes.map((code) => ({ code, name: table[code] ?? String(code) }));
  if (group.type === 'di') return named(typeIndex < (group.counterChannels ?? 0) ? [0, 1] : [0]);
  if (group.type === 'do') return named(typeIndex < (group.pulseChannels ?? 0) ? [0, 1] : [0]);
  return named(group.modes ?? []);
}

export function moduleCatalog(models: readonly ModuleModel[] = allModels()): ModuleCatalog {
  return models.map((m) => ({
    model: m.model,
    variants: [m.model, `${m.model}-T`],
    description: m.description,
    channels: channelLayout(m.groups).map(({ group, typeIndex }, index) => ({ index, type: group.type, modes: channelModes(group, typeIndex) })),
  }));
}

export function moduleRoutes(): Route[] {
  let catalog: ModuleCatalog | undefined;
  return [
    route({
      method: 'get',
      path: '/modules',
      summary: 'The module catalogue: each 45MR model, its channels and the modes each channel accepts in a profile (the default first).',
      response: moduleCatalogSchema,
      handle: () => (catalog ??= moduleCatalog()),
    }),
  ];
}
