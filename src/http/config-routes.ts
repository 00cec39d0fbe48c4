/**
 * The running config: read it whole, replace it whole (validated like a profile file, persisted
 * atomically in the data dir, applied by an in-process restart on the same addresses), or reset
 * it to the profile the emulator was started with.
 */
import { z } from 'zod';
import { profileSchema } from '../config/profile.js';
import type { HttpAppOptions } from './options.js';
import { route, type Route } from './route.js';

const appliedSchema = z.strictObject({
  applied: z.literal(true),
  persisted: z.boolean(),
  /** The emulator restarts in-process right after this response; SSE streams reconnect. */
  restart: z.literal(true),
  config: profileSchema,
});

export function configRoutes({ config }: HttpAppOptions): Route[] {
  return [
    route({
      method: 'get',
      path: '/config',
      summary: 'The running config, as a profile document (PUT it back to apply changes).',
      response: profileSchema,
      handle: () => config.current(),
    }),
    route({
      method: 'put',
      path: '/config',
      summary: 'Replaces the running config: validated as a profile, persisted atomically in the data dir, applied by a restart on the same addresses.',
      description: 'Bad input: 400 naming the field; nothing is written and the emulator keeps running as it was.',
      body: profileSchema,
      response: appliedSchema,
      handle: async ({ body, res }) => {
        const apply = await config.replace(body);
        res.on('finish', () => void apply());
        return { applied: true, persisted: config.persistent, restart: true, config: body };
      },
    }),
    route({
      method: 'post',
      path: '/reset',
      summary: 'Back to the profile the emulator was started with: forgets the running config in the data dir and restarts.',
      response: appliedSchema,
      handle: async ({ res }) => {
        const apply = await config.reset();
        res.on('finish', () => void apply());
        return { applied: true, persisted: config.persistent, restart: true, config: config.current() };
      },
    }),
  ];
}
