/**
 * Accounts on the emulator API (and later the web UI): when `http.accounts.enabled` is on in the
 * running config (read on every request), each route needs the role access.ts gives it.
 *
 *   request ─► guard (one per route, before the body is parsed)
 *                ├─ accounts off, or route open ─────────────────────────────► next
 *                ├─ Authorization: Basic name:password ─► throttle ─► scrypt ─┐  (login-throttle.ts)
 *                ├─ session cookie ─► store ─► account unchanged? ────────────┼─► role ≥ needed? ─► next
 *                └─ none / wrong ─► 401 AUTH_REQUIRED (+ WWW-Authenticate)   └─ no ─► 403 AUTH_FORBIDDEN
 *
 *   mayAccess (what GET / shows, static.ts) ─► session cookie, or Basic found in `verified` ─► role ≥ needed?
 *                                              (hashes nothing, counts no failed login, sets no header)
 *
 * The 401 carries the Basic challenge unless the request comes from a page's script (see
 * `challenges`): a browser answers a challenge with its own login prompt, and the web UI has a
 * login form of its own (web/js/login.js).
 *
 * Passwords and Authorization headers are never logged; names are logged only when they name
 * an account. Failed logins are logged at most `limits.login.failureLogsPerMinute` a minute.
 * Comparisons run in constant time (name digests, scrypt keys), and an unknown name costs the
 * same scrypt as a known one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { Account, AccountsConfig, Role } from '../config/accounts.js';
import { verifyPassword } from '../config/password.js';
import { LogBudget } from '../device/log-budget.js';
import type { Refusals } from '../device/refusals.js';
import { SimError } from '../errors.js';
import { accessOf, allows, type Access } from './access.js';
import { peerKey } from './connections.js';
import { LoginThrottle, type LoginLimits } from './login-throttle.js';
import type { Route } from './route.js';
import { SESSION_TTL_MS, SessionStore, VerifiedCredentials } from './sessions.js';

export const REALM = 'iothinx-sim';
export const SESSION_COOKIE = 'iothinx_sim_session';
const CHALLENGE = `Basic realm="${REALM}", charset="UTF-8"`;
/** What the web UI's fetches send (web/js/util.js), so that a 401 opens its own form instead of the browser's prompt. */
export const UI_MARKER = 'iothinx-sim-ui';

/**
 * Whether a 401 for this request carries `WWW-Authenticate`, which makes a browser show its Basic
 * prompt. Not for a script in a page: a request with `X-Requested-With` (the web UI sends
 * `iothinx-sim-ui`; `XMLHttpRequest`, as many libraries send, means the same), or an event stream
 * (`Accept: text/event-stream`, what EventSource sends and cannot change) without Basic
 * credentials. Everything else, curl and other scripts, a browser opening an API address
 * directly, and any request that sent Basic credentials, is challenged as before.
 */
export function challenges(req: Request): boolean {
  if (req.headers['x-requested-with'] !== undefined) return false;
  const eventStream = (req.headers.accept ?? '').includes('text/event-stream');
  return !eventStream || req.headers.authorization !== undefined;
}

export interface Identity {
  name: string;
  role: Role;
}

export interface AuthOptions {
  /** The accounts of the running config; called on every request, as that config may change. */
  accounts(): AccountsConfig;
  logger: Logger;
  /** The running profile's `limits.login`; called on every attempt, as that config may change. */
  limits(): LoginLimits;
  /** Where throttled attempts (`login_throttle`) and unlogged failures (`login_log`) are counted. */
  refusals: Refusals;
  /** Wall clock for sessions and the throttle (tests inject one). */
  now?: () => number;
}

function nameDigest(name: string): Buffer {
  return createHash('sha256').update(name).digest();
}

function sessionToken(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

/** The name and password of `Authorization: Basic`, or why the header is not readable as one. */
function basicCredentials(authorization: string): { name: string; password: string } | { error: string } {
  const m = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization);
  if (!m) return { error: 'only Authorization: Basic is supported (or the session cookie from POST /sim/v1/login)' };
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { error: 'malformed Basic credentials: expected base64 of name:password' };
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** One budget per client: `::ffff:127.0.0.1` (a dual-stack listener) and `127.0.0.1` are one peer. */
function peerOf(req: Request): string {
  return peerKey(req.socket.remoteAddress);
}

/**
 * The account a session or an event stream was opened with, if it is still enabled under the
 * same name and password hash; a disabled, renamed or re-passworded account ends what it opened.
 */
export function stillHeld(accounts: AccountsConfig, held: { role: Role; name: string; hash: string }): Account | undefined {
  const account = accounts.users.find((a) => a.role === held.role);
  return account?.enabled && account.name === held.name && account.password.scrypt === held.hash ? account : undefined;
}

export class Auth {
  private readonly sessions: SessionStore;
  private readonly throttle: LoginThrottle;
  private readonly failureLogs: LogBudget;
  private readonly verified: VerifiedCredentials;
  /** Password checks in flight, by credential key (as `verified`): at most one scrypt per name and password at a time. */
  private readonly checking = new Map<string, Promise<boolean>>();
  private readonly identities = new WeakMap<Request, Identity>();
  /**
   * Basic credentials `recognise` found in no cache, per address and name, in a throttle of their
   * own (the logins' limits, not their counts): without it, `recognise` would tell a right
   * password from a wrong one for as long as the right one is cached, at no cost and unthrottled.
   */
  private readonly unrecognised: LoginThrottle;

  constructor(private readonly options: AuthOptions) {
    this.sessions = new SessionStore(options.now);
    this.throttle = new LoginThrottle(() => options.limits(), options.now);
    this.unrecognised = new LoginThrottle(() => options.limits(), options.now);
    this.failureLogs = new LogBudget(() => options.limits().failureLogsPerMinute, options.now);
    this.verified = new VerifiedCredentials(options.now);
  }

  get enabled(): boolean {
    return this.options.accounts().enabled;
  }

  /**
   * Registers one guard per non-open route, at the route's own method and path, so express
   * decides which rule applies exactly as it decides which handler runs. Call it before the
   * body parser: a request without the right credentials is refused before its body is read.
   */
  guard(app: Express, prefix: string, routes: readonly Route[], accessFor: (route: Route) => Access = accessOf): void {
    for (const r of routes) {
      const access = accessFor(r);
      if (access !== 'open') app[r.method](prefix + r.path, this.require(access));
    }
  }

  /** Middleware: the request needs an account of `role` or higher (when accounts are on). */
  require(role: Role): RequestHandler {
    return async (req, res, next) => {
      if (!this.enabled) return next();
      let identity: Identity | undefined;
      try {
        identity = await this.identify(req, res);
      } catch (error) {
        if (error instanceof SimError && error.code === 'AUTH_REQUIRED' && challenges(req)) res.setHeader('WWW-Authenticate', CHALLENGE);
        throw error;
      }
      if (!identity) {
        if (challenges(req)) res.setHeader('WWW-Authenticate', CHALLENGE);
        throw new SimError('AUTH_REQUIRED', 'log in: send Authorization: Basic, or POST /sim/v1/login for a session cookie');
      }
      if (!allows(identity.role, role)) {
        throw new SimError('AUTH_FORBIDDEN', `${req.method} ${req.baseUrl}${req.path} needs the ${role} role or higher; ${identity.name} is the ${identity.role}`);
      }
      this.identities.set(req, identity);
      next();
    };
  }

  /** Who the guard let in, if accounts are on and the route was guarded. */
  identity(req: Request): Identity | undefined {
    return this.identities.get(req);
  }

  /**
   * Whether the request may do what needs `access`, asked without checking anything new: by its
   * session cookie, or by Basic credentials the guard verified lately (the `verified` cache). No
   * password is hashed (a page request must not be a way to make the server run scrypt), no
   * failed login counted or logged, no header or cookie set, nothing thrown. A Basic credential
   * not in the cache is not recognised, right or wrong; such misses are bounded per address and
   * name by `unrecognised`, apart from the logins' throttle. For what a page shows (static.ts),
   * never for letting a request through: a guarded route goes through `require`.
   */
  mayAccess(req: Request, access: Access): boolean {
    if (access === 'open' || !this.enabled) return true;
    const identity = this.recognise(req);
    return identity !== undefined && allows(identity.role, access);
  }

  /** The account of the request's session cookie or cached Basic credentials (as `identify` reads them), else undefined. */
  private recognise(req: Request): Identity | undefined {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const credentials = basicCredentials(authorization);
      if ('error' in credentials) return undefined;
      const admission = this.unrecognised.admit(peerOf(req), credentials.name);
      if (!admission.ok) return undefined;
      const account = this.find(credentials.name);
      if (account?.enabled && this.verified.has(this.verified.key(credentials.name, credentials.password), account.password.scrypt)) {
        admission.slot.released();
        return { name: account.name, role: account.role };
      }
      admission.slot.failed();
      return undefined;
    }
    const token = sessionToken(req);
    const account = token === undefined ? undefined : this.sessionAccount(token);
    return account ? { name: account.name, role: account.role } : undefined;
  }

  /** The account of the session `token` names, while the session lasts and its account is unchanged. */
  private sessionAccount(token: string): Account | undefined {
    const session = this.sessions.get(token);
    return session && stillHeld(this.options.accounts(), session);
  }

  /** Checks name and password and starts a session (cookie); throws AUTH_* on failure. */
  async login(req: Request, res: Response, name: string, password: string): Promise<Identity> {
    const account = await this.check(req, res, name, password);
    const token = this.sessions.create(account);
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: SESSION_TTL_MS });
    this.options.logger.info({ peer: peerOf(req), name: account.name, role: account.role }, 'logged in');
    return { name: account.name, role: account.role };
  }

  /** Ends the request's session, if any, and clears the cookie; returns whether there was one. */
  logout(req: Request, res: Response): boolean {
    const token = sessionToken(req);
    const ended = token !== undefined && this.sessions.delete(token);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
    return ended;
  }

  /** Basic credentials, else the session cookie; undefined when the request carries neither. */
  private async identify(req: Request, res: Response): Promise<Identity | undefined> {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const credentials = basicCredentials(authorization);
      if ('error' in credentials) throw new SimError('AUTH_REQUIRED', credentials.error);
      const account = await this.check(req, res, credentials.name, credentials.password);
      return { name: account.name, role: account.role };
    }
    const token = sessionToken(req);
    if (token === undefined) return undefined;
    const account = this.sessionAccount(token);
    if (!account) {
      this.sessions.delete(token);
      res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
      throw new SimError('AUTH_REQUIRED', 'the session has expired or ended; log in again');
    }
    return { name: account.name, role: account.role };
  }

  /**
   * The account with this name and password, enabled; throws AUTH_LOCKED_OUT or AUTH_REQUIRED.
   * The attempt takes its throttle slot before anything else (#14 point 13): a throttled address
   * or name is refused without scrypt, and even with the right password.
   */
  private async check(req: Request, res: Response, name: string, password: string): Promise<Account> {
    const peer = peerOf(req);
    const admission = this.throttle.admit(peer, name);
    if (!admission.ok) {
      this.options.refusals.count('login_throttle');
      res.setHeader('Retry-After', String(admission.retryAfterS));
      const who = admission.by === 'address' ? `from ${peer}` : 'for this account name';
      throw new SimError('AUTH_LOCKED_OUT', `too many failed logins ${who}; try again in ${admission.retryAfterS} s`);
    }
    const { slot } = admission;
    let failures: number | undefined;
    let account: Account | undefined;
    try {
      account = this.find(name);
      const key = this.verified.key(name, password);
      if (account?.enabled && this.verified.has(key, account.password.scrypt)) return account;
      const running = this.checking.get(key);
      if (running) {
        // The same name and password are being checked already (a script's parallel Basic
        // requests): this attempt shares that scrypt, so it frees its slot and counts no failure.
        slot.released();
        if ((await running) && account?.enabled) return account;
        throw new SimError('AUTH_REQUIRED', 'wrong name or password, or the account is disabled');
      }
      if (this.checking.size >= this.options.limits().maxChecksInFlight) {
        this.options.refusals.count('login_throttle');
        res.setHeader('Retry-After', '1');
        throw new SimError('AUTH_LOCKED_OUT', `${this.checking.size} password checks are already running (limits.login.maxChecksInFlight); try again in 1 s`);
      }
      const checking = verifyPassword(password, account?.password.scrypt);
      this.checking.set(key, checking);
      let ok: boolean;
      try {
        ok = await checking;
      } finally {
        this.checking.delete(key);
      }
      if (ok && account?.enabled) {
        this.verified.add(key, account.password.scrypt);
        return account;
      }
      failures = slot.failed();
    } finally {
      slot.released(); // no-op after failed()
    }
    this.logFailure(peer, account?.name ?? null, failures);
    throw new SimError('AUTH_REQUIRED', 'wrong name or password, or the account is disabled');
  }

  /** One `login failed` line, within the per-minute budget; the rest are counted as `login_log`. */
  private logFailure(peer: string, account: string | null, failures: number): void {
    if (!this.failureLogs.take()) {
      this.options.refusals.count('login_log');
      return;
    }
    const suppressed = this.failureLogs.suppressed();
    this.options.logger.warn({ peer, account, failures, ...(suppressed > 0 ? { suppressed } : {}) }, 'login failed');
  }

  /** The account named, compared in constant time against every account. */
  private find(name: string): Account | undefined {
    const wanted = nameDigest(name);
    let found: Account | undefined;
    for (const account of this.options.accounts().users) {
      if (timingSafeEqual(wanted, nameDigest(account.name))) found = account;
    }
    return found;
  }
}
