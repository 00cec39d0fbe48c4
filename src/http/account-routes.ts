/**
 * Logging in and out, and the device's three accounts (reference §6, M-38 page-34): list them
 * and change one (name, password, enabled). Changes go to the running config in place
 * (`profile.http.accounts`), then `onConfigChange` persists it. Hashes never leave the emulator.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { accountNameSchema, ROLES, type Account, type AccountsConfig, type Role } from '../config/accounts.js';
import { hashPassword } from '../config/password.js';
import type { Profile } from '../config/profile.js';
import { SimError } from '../errors.js';
import type { Auth } from './auth.js';
import { route, type Route } from './route.js';

export interface AccountOptions {
  /** The running profile; read on every request, its `http.accounts` replaced on a change. */
  profile(): Profile;
  auth: Auth;
  logger: Logger;
  /** Called after an account changed, so that whoever owns the running config persists it. */
  onConfigChange?: () => void;
}

/**
 * The device's password rule (M-38 page-34): 1..30 characters, no spaces, at least one digit
 * and one symbol (a character that is neither a letter nor a digit).
 */
export const devicePasswordSchema = z
  .string()
  .regex(/^\S{1,30}$/, '1..30 characters, no spaces (M-38 page-34)')
  .regex(/\p{N}/u, 'needs at least one digit (M-38 page-34)')
  .regex(/[^\p{L}\p{N}\s]/u, 'needs at least one symbol, e.g. ! or # (M-38 page-34)');

const roleSchema = z.enum(ROLES);
const identitySchema = z.strictObject({ name: z.string(), role: roleSchema });
const accountViewSchema = z.strictObject({ role: roleSchema, name: z.string(), enabled: z.boolean() });
const accountsViewSchema = z.strictObject({
  enabled: z.boolean().meta({ description: 'Whether the emulator API asks for credentials (http.accounts.enabled).' }),
  users: z.array(accountViewSchema),
});

const loginBody = z.strictObject({ name: z.string().min(1).max(256), password: z.string().min(1).max(256) });
const accountParams = z.object({ role: roleSchema.meta({ description: 'The account: one per role.', examples: ['operator'] }) });
const accountBody = z
  .strictObject({
    name: accountNameSchema.optional(),
    password: devicePasswordSchema.optional().meta({ description: 'Stored as a scrypt hash; never returned.' }),
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'give name, password or enabled');

const view = (a: Account) => ({ role: a.role, name: a.name, enabled: a.enabled });

export function accountRoutes({ profile, auth, logger, onConfigChange }: AccountOptions): Route[] {
  const accounts = (): AccountsConfig => profile().http.accounts;

  async function update(role: Role, body: z.output<typeof accountBody>): Promise<Account> {
    if (role === 'administrator' && body.enabled === false) {
      throw new SimError('HTTP_BAD_REQUEST', 'the administrator account cannot be disabled', { context: { path: 'enabled' } });
    }
    // Hash first: the change below is then applied in one synchronous step on the config as it is now.
    const hash = body.password === undefined ? undefined : await hashPassword(body.password);
    const current = accounts();
    const clash = body.name !== undefined && current.users.find((a) => a.role !== role && a.name === body.name);
    if (clash) throw new SimError('HTTP_BAD_REQUEST', `name ${body.name} is already the ${clash.role}'s`, { context: { path: 'name' } });
    let updated: Account | undefined;
    const users = current.users.map((a) => {
      if (a.role !== role) return a;
      updated = { role, name: body.name ?? a.name, password: hash === undefined ? a.password : { scrypt: hash }, enabled: body.enabled ?? a.enabled };
      return updated;
    });
    if (!updated) throw new SimError('HTTP_NOT_FOUND', `no ${role} account in the running config`, { context: { path: 'role' } });
    // A new object, not a mutation: the old one may be shared (a schema default) or held by a reader.
    profile().http.accounts = { ...current, users };
    logger.info({ role, name: updated.name, changed: Object.keys(body) }, 'account changed');
    onConfigChange?.();
    return updated;
  }

  return [
    route({
      method: 'post',
      path: '/login',
      summary: 'Checks name and password and sets an HttpOnly, SameSite=Strict session cookie (8 h).',
      description: 'Then send the cookie instead of Authorization: Basic. 401 for a wrong password or a disabled account; 429 with Retry-After after repeated failures from one address.',
      body: loginBody,
      response: identitySchema,
      errors: [401, 429],
      handle: ({ body, req, res }) => auth.login(req, res, body.name, body.password),
    }),
    route({
      method: 'post',
      path: '/logout',
      summary: 'Ends the session of the cookie sent, if any, and clears the cookie.',
      response: z.strictObject({ loggedOut: z.boolean().meta({ description: 'Whether a session was ended.' }) }),
      handle: ({ req, res }) => ({ loggedOut: auth.logout(req, res) }),
    }),
    route({
      method: 'get',
      path: '/whoami',
      summary: 'The account of the request; with accounts off, everyone is the administrator (name null).',
      response: z.strictObject({ accountsEnabled: z.boolean(), name: z.string().nullable(), role: roleSchema }),
      handle: ({ req }) => {
        const identity = auth.identity(req);
        return { accountsEnabled: accounts().enabled, name: identity?.name ?? null, role: identity?.role ?? 'administrator' };
      },
    }),
    route({
      method: 'get',
      path: '/accounts',
      summary: 'The three accounts: role, name, enabled (never a password or hash).',
      response: accountsViewSchema,
      handle: () => ({ enabled: accounts().enabled, users: accounts().users.map(view) }),
    }),
    route({
      method: 'put',
      path: '/accounts/:role',
      summary: 'Renames, enables or disables an account, or sets its password (the device rule: 1..30 characters, a digit and a symbol, no spaces).',
      description: 'The administrator cannot be disabled. A new password or name ends the account\'s sessions. Persisted with the running config.',
      params: accountParams,
      body: accountBody,
      response: accountViewSchema,
      handle: async ({ params, body }) => view(await update(params.role, body)),
    }),
  ];
}
