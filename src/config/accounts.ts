/**
 * The device's accounts (M-38 page-34): exactly three, one per role — Administrator, Operator,
 * User — each renamable and enabled or disabled. A profile lists the ones it changes; the others
 * keep their defaults, so the parsed config always holds all three, in role order.
 *
 *   http:
 *     accounts:
 *       enabled: true                       # off: the emulator API is open (the default)
 *       users:
 *         - { role: administrator, password: "s3cret!" }     # plaintext: hashed at load
 *         - { role: operator, name: op, password: { scrypt: "scrypt$N=16384,r=8,p=1$...$..." } }
 *
 * Passwords are kept as scrypt hashes only (password.ts). A plaintext password is accepted in a
 * profile for scripting (1..30 characters, no spaces; the device's digit-and-symbol rule applies
 * when a password is set through the API, as the factory default itself would fail it) and
 * hashed while the profile loads, so the running config and GET /sim/v1/config never hold it.
 */
import * as z from 'zod';
import { hashPasswordSync, isPasswordHash } from './password.js';

export const ROLES = ['administrator', 'operator', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** 1..30 characters, no spaces (M-38 page-34). */
export const accountNameSchema = z.string().regex(/^\S{1,30}$/, '1..30 characters, no spaces (M-38 page-34)');

export const passwordHashSchema = z.strictObject({
  scrypt: z.string().refine(isPasswordHash, 'expected scrypt$N=<2^k>,r=<1..32>,p=<1..16>$<salt base64>$<hash base64>'),
});

const plaintextPassword = z
  .string()
  .regex(/^\S{1,30}$/, 'a plaintext password is 1..30 characters, no spaces')
  .transform((plain) => ({ scrypt: hashPasswordSync(plain) }));

const passwordSchema = z.union([passwordHashSchema, plaintextPassword], {
  error: 'expected a plaintext password (1..30 characters, no spaces) or { scrypt: "scrypt$N=...,r=...,p=...$<salt>$<hash>" }',
});

export interface Account {
  role: Role;
  name: string;
  password: { scrypt: string };
  enabled: boolean;
}

/**
 * Factory accounts. ASSUMPTION (reference §6: the defaults are not published): admin / moxa,
 * Moxa's usual default, for the administrator; operator / moxa and user / moxa for the others,
 * which start disabled so that turning accounts on exposes only the one documented login. The
 * hashes are of "moxa", precomputed so that loading a profile costs no scrypt for them.
 */
export const DEFAULT_PASSWORD = 'moxa';
const DEFAULT_ACCOUNTS: Readonly<Record<Role, Readonly<Account>>> = {
  administrator: {
    role: 'administrator',
    name: 'admin',
    password: { scrypt: 'scrypt$N=16384,r=8,p=1$YBDvhaU14p922e83kw5XtA==$kx3IzEpT9RDsSjH7omM3sVdT6DKARYSuuWI/LiTfMCQ=' },
    enabled: true,
  },
  operator: {
    role: 'operator',
    name: 'operator',
    password: { scrypt: 'scrypt$N=16384,r=8,p=1$I4TLCoqqxtjYXeY63zH+eQ==$doD1F31BwvcaxVTk/rwqRySP2oZIgtOzW1kLvTlQC+k=' },
    enabled: false,
  },
  user: {
    role: 'user',
    name: 'user',
    password: { scrypt: 'scrypt$N=16384,r=8,p=1$L1VnLGUBbhNYKRsH7EYqbw==$/cKsni3WCCOl176O2v2WUEa9UZfMo2NuLGLZZzWfK7Q=' },
    enabled: false,
  },
};

export function defaultAccount(role: Role): Account {
  const account = DEFAULT_ACCOUNTS[role];
  return { ...account, password: { ...account.password } };
}

const accountEntrySchema = z.strictObject({
  role: z.enum(ROLES),
  /** Defaults to the role's factory name. */
  name: accountNameSchema.optional(),
  /** Defaults to the factory password. */
  password: passwordSchema.optional(),
  /** A listed account defaults to enabled. */
  enabled: z.boolean().default(true),
});

/**
 * Cross-field rules of the account list: one entry per role, names unique (over all three,
 * defaults included), and the administrator always enabled (it alone can change accounts).
 */
function checkAccounts(users: readonly Account[], ctx: z.RefinementCtx, index: (role: Role) => number | undefined): void {
  const names = new Map<string, Role>();
  for (const account of users) {
    const at = index(account.role);
    const other = names.get(account.name);
    if (other !== undefined) {
      ctx.addIssue({ code: 'custom', path: at === undefined ? [] : [at, 'name'], message: `name ${account.name} is already the ${other}'s` });
    }
    names.set(account.name, account.role);
    if (account.role === 'administrator' && !account.enabled) {
      ctx.addIssue({ code: 'custom', path: at === undefined ? [] : [at, 'enabled'], message: 'the administrator account cannot be disabled' });
    }
  }
}

const usersSchema = z
  .array(accountEntrySchema)
  .max(ROLES.length)
  .transform((entries, ctx): Account[] => {
    const seen = new Map<Role, number>();
    entries.forEach((entry, i) => {
      if (seen.has(entry.role)) ctx.addIssue({ code: 'custom', path: [i, 'role'], message: `the ${entry.role} is listed twice; the device has one account per role` });
      seen.set(entry.role, i);
    });
    const users = ROLES.map((role): Account => {
      const entry = entries[seen.get(role) ?? -1];
      if (!entry) return defaultAccount(role);
      const fallback = defaultAccount(role);
      return { role, name: entry.name ?? fallback.name, password: entry.password ?? fallback.password, enabled: entry.enabled };
    });
    checkAccounts(users, ctx, (role) => seen.get(role));
    return users;
  })
  // Documents the parsed form (openapi.json's GET /sim/v1/config): all three, hashes only.
  .pipe(z.array(z.strictObject({ role: z.enum(ROLES), name: z.string(), password: passwordHashSchema, enabled: z.boolean() })));

export const accountsSchema = z.strictObject({
  /**
   * Whether /sim/v1 asks for credentials. The real device always does; the emulator is open by
   * default so that tests and scripts need no login (docs/security.md).
   */
  enabled: z.boolean().default(false),
  users: usersSchema.prefault([]),
});

export type AccountsConfig = z.output<typeof accountsSchema>;

export function defaultAccounts(): AccountsConfig {
  return { enabled: false, users: ROLES.map(defaultAccount) };
}
