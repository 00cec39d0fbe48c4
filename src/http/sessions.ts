/**
 * In-memory state of the login machinery: sessions and a cache of verified Basic credentials
 * (the failed-login throttle is login-throttle.ts). All of it is transport security, not device behaviour, so it runs
 * on the real wall clock (an injectable `now`, for tests) and is lost on restart.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Account, Role } from '../config/accounts.js';

type Now = () => number;

export const SESSION_TTL_MS = 8 * 3600_000;
const MAX_SESSIONS = 1024;

export interface Session {
  role: Role;
  name: string;
  /** The password hash at login: a password change ends the account's sessions. */
  hash: string;
  expires: number;
}

/** Digest of a token: the store keeps no usable token, and a lookup leaks nothing by timing. */
function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: Now = Date.now) {}

  /** Starts a session; returns its token (32 random bytes, base64url). */
  create(account: Account): string {
    this.prune();
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(digest(token), { role: account.role, name: account.name, hash: account.password.scrypt, expires: this.now() + SESSION_TTL_MS });
    return token;
  }

  get(token: string): Session | undefined {
    const key = digest(token);
    const session = this.sessions.get(key);
    if (session && session.expires <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  delete(token: string): boolean {
    return this.sessions.delete(digest(token));
  }

  private prune(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (session.expires <= now) this.sessions.delete(key);
    // Still full: drop the oldest (Map keeps insertion order).
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }
}

const VERIFIED_TTL_MS = 10 * 60_000;
const MAX_VERIFIED = 256;

/**
 * Basic credentials verified lately, so that a script sending Basic on every request pays one
 * scrypt, not one per request. Keyed by an HMAC of name and password under a per-process random
 * key (the plaintext is not kept); an entry holds only while the account's hash is unchanged.
 */
export class VerifiedCredentials {
  private readonly secret = randomBytes(32);
  private readonly entries = new Map<string, { hash: string; expires: number }>();

  constructor(private readonly now: Now = Date.now) {}

  key(name: string, password: string): string {
    return createHmac('sha256', this.secret).update(`${name.length}:${name}`).update(password).digest('base64url');
  }

  has(key: string, hash: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (entry.hash !== hash || entry.expires <= this.now()) {
      this.entries.delete(key);
      return false;
    }
    return true;
  }

  add(key: string, hash: string): void {
    this.entries.delete(key);
    if (this.entries.size >= MAX_VERIFIED) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { hash, expires: this.now() + VERIFIED_TTL_MS });
  }
}
