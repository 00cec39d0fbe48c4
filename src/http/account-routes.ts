/**
 * Logging in and out, and the device's three accounts (reference §6, M-38 page-34): list them
 * and change one (name, password, enabled). A change goes through the running config's writer
 * (`commit`): checked against the latest accepted accounts, answered once on disk, and in force
 * from then on (issue #14 point 3). Hashes never leave the emulator.
 */
import type { Logger } from 'pino';
import * as z from 'zod';
import { accountNameSchema, ROLES, type Account, type AccountsConfig, type Role } from '../config/accounts.js';
import { hashPassword } from '../config/password.js';
import type { Profile } from '../config/profile.js';
import { SimError } from '../errors.js';
import type { Auth } from './auth.js';
import { route, type Route } from './route.js';

export interface AccountOptions {
  /** The running profile; read on every request. */
  profile(): Profile;
  auth: Auth;
  logger: Logger;
  /**
   * Persists a change (ConfigControl.edit): `change` makes the next config from the latest
   * accepted one, or throws to refuse; resolves with it once on disk and in force.
   */
  commit(change: (current: Profile) => Profile): Promise<Profile>;
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

export function accountRoutes({ profile, auth, logger, commit }: AccountOptions): Route[] {
  const accounts = (): AccountsConfig => profile().http.accounts;

  async function update(role: Role, body: z.output<typeof accountBody>): Promise<Account> {
    if (role === 'administrator' && body.enabled === false) {
      throw new SimError('HTTP_BAD_REQUEST', 'the administrator account cannot be disabled', { context: { path: 'enabled' } });
    }
    // Hash first: the change below is then made in one synchronous step on the accounts as the writer has them.
    const hash = body.password === undefined ? undefined : await hashPassword(body.password);
    const made: { account?: Account } = {};
    await commit((config) => {
      const current = config.http.accounts;
      const clash = body.name !== undefined && current.users.find((a) => a.role !== role && a.name === body.name);
      if (clash) throw new SimError('HTTP_BAD_REQUEST', `name ${body.name} is already the ${clash.role}'s`, { context: { path: 'name' } });
      const users = current.users.map((a) => {
        if (a.role !== role) return a;
        made.account = { role, name: body.name ?? a.name, password: hash === undefined ? a.password : { scrypt: hash }, enabled: body.enabled ?? a.enabled };
        return made.account;
      });
      if (!made.account) throw new SimError('HTTP_NOT_FOUND', `no ${role} account in the running config`, { context: { path: 'role' } });
      // New objects, not a mutation: the config before this change stays as it was on disk.
      return { ...config, http: { ...config.http, accounts: { ...current, users } } };
    });
    const updated = made.account!;
    logger.info({ role, name: updated.name, changed: Object.keys(body) }, 'account changed');
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
