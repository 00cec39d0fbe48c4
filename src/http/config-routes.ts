/**
 * The running config: read it whole, replace it whole (PUT), change part of it (PATCH, a JSON
 * merge patch), or reset it to the profile the emulator was started with. Each change is checked
 * as a start would check it, persisted atomically in the data dir, answered once on disk, and
 * applied by an in-process restart on the same addresses right after the response.
 *
 *   PUT   body: every top-level key ─┐
 *   PATCH merge patch onto the latest config (RFC 7396) ─► profile schema ─┴─► ConfigControl.replace
 *         (checks files and services, one writer, on disk) ─► 200 ─► restart
 */
import type { Response } from 'express';
import * as z from 'zod';
import { mergePatch } from '../config/merge-patch.js';
import { profileSchema, type Profile } from '../config/profile.js';
import { badRequest } from './errors.js';
import { configAppliedBodySchema as appliedSchema, type ConfigApplied, type ConfigAppliedBody, type ConfigControl } from '../config/contract.js';
import { route, type Route } from './route.js';

/** The keys PUT needs: every section but the optional ones (`fleet`, which only `iothinx-sim fleet` reads). */
const PROFILE_KEYS = Object.entries(profileSchema.shape)
  .filter(([, field]) => !(field instanceof z.ZodOptional))
  .map(([key]) => key);

/**
 * PUT's body (issue #14 point 1): the whole document. An empty body or `{}` would otherwise be
 * "every default" and wipe the rail, so every top-level key of the profile must be there, as GET
 * returns them; the sections' own defaults still apply inside them. The keys' defaults are taken
 * off for the first stage (a missing key is reported, not defaulted), then the profile schema runs.
 */
export const wholeProfileSchema = z
  .strictObject(
    Object.fromEntries(Object.entries(profileSchema.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault || field instanceof z.ZodPrefault ? field.unwrap() : field).optional()])),
    { error: (issue) => (issue.input === undefined ? 'the body is empty: PUT takes the whole config as GET /sim/v1/config returns it' : undefined) },
  )
  .superRefine((body, ctx) => {
    const missing = PROFILE_KEYS.filter((key) => body[key] === undefined);
    if (missing.length === 0) return;
    ctx.addIssue({ code: 'custom', path: [missing[0]!], message: `missing ${missing.join(', ')}: PUT takes the whole config, every top-level key as GET /sim/v1/config returns it (PATCH changes a part)` });
  })
  .meta({ required: PROFILE_KEYS })
  // The first stage's output is a profile's input; zod types a pipe's target input as the output.
  .pipe(profileSchema as unknown as z.ZodType<Profile, Profile>);

/** RFC 7396: members replace, null removes (the default then applies), objects merge, arrays replace whole. */
const mergePatchSchema = z.record(z.string(), z.unknown()).meta({
  description: 'A JSON merge patch (RFC 7396) of the profile document, e.g. {"modbus": {"maxConnections": 4}}. Content-Type application/merge-patch+json or application/json.',
});

/** The current config with the patch merged in, validated as a profile (errors name the field, e.g. modbus.maxConnections). */
function patched(current: Profile, patch: Record<string, unknown>): Profile {
  const result = profileSchema.safeParse(mergePatch(current, patch));
  if (!result.success) throw badRequest(result.error, 'body');
  return result.data;
}

/** Answers, then restarts once the response is out (or the client gone). */
function answer(res: Response, { config, apply }: ConfigApplied, persisted: boolean): ConfigAppliedBody {
  res.once('close', () => void apply());
  return { applied: true, persisted, restart: true, config };
}

export function configRoutes({ config }: { config: ConfigControl }): Route[] {
  return [
    route({
      method: 'get',
      path: '/config',
      summary: 'The running config, as a profile document (PUT it back whole, or PATCH a part, to apply changes).',
      response: profileSchema,
      handle: () => config.current(),
    }),
    route({
      method: 'put',
      path: '/config',
      summary: 'Replaces the whole running config: every top-level key as GET returns it; checked as a start would (files, services), persisted atomically in the data dir, answered once on disk, applied by a restart on the same addresses.',
      description:
        'A missing top-level key (an empty body, `{}`) is 400 naming it: use PATCH for part of the config. Bad input: 400 naming the field; nothing is written and the emulator keeps running as it was. A failed write: 500 CONFIG_WRITE_FAILED, nothing changed.',
      body: wholeProfileSchema,
      response: appliedSchema,
      errors: [500],
      handle: async ({ body, res }) => answer(res, await config.replace(() => body), config.persistent),
    }),
    route({
      method: 'patch',
      path: '/config',
      summary: 'Changes part of the running config: a JSON merge patch (RFC 7396) onto the latest config, then as PUT (validated as a whole profile, checked, persisted, restart).',
      description:
        'Content-Type: application/merge-patch+json (or application/json). `{"device": {"name": "Line4"}}` renames the device and keeps everything else; `null` removes a member so its default applies; arrays (slots, entries) are replaced whole. Errors name the field in the merged document.',
      body: mergePatchSchema,
      response: appliedSchema,
      errors: [500],
      handle: async ({ body, res }) => answer(res, await config.replace((current) => patched(current, body)), config.persistent),
    }),
    route({
      method: 'post',
      path: '/reset',
      summary: 'Back to the profile the emulator was started with: forgets the running config in the data dir and restarts.',
      response: appliedSchema,
      errors: [500],
      handle: async ({ res }) => answer(res, await config.reset(), config.persistent),
    }),
  ];
}
