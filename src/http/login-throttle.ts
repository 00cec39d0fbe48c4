/**
 * The failed-login throttle (#14 point 13; profile `limits.login`, docs/security.md; the log
 * budget of failures is src/device/log-budget.ts). An attempt takes a slot BEFORE its password is
 * hashed, so a burst of concurrent attempts cannot all reach scrypt before the first failure is
 * recorded:
 *
 *   attempt ─► admit(peer, name) ─┬─ failures + attempts in flight ≥ limit (address or account)
 *                                 │      └─► refused: 429 + Retry-After, no scrypt
 *                                 └─ slot ─► scrypt ─┬─ wrong ─► slot.failed()    (a failure, kept for the window)
 *                                                    └─ right ─► slot.released()  (the slot is freed)
 *
 * Counted per peer address and per account name (any name tried, known or not, so that a 429 does
 * not tell which names exist). A window of `windowS` seconds opens at an address's (or name's)
 * first failure; when it ends, the count starts again. A success does not clear failures: an
 * attacker holding one account could otherwise reset his address between guesses at another.
 * Transport security, not device behaviour: it runs on the wall clock (an injectable `now`).
 */
import { createHash } from 'node:crypto';
import type { Limits } from '../config/limits.js';

type Now = () => number;
export type LoginLimits = Limits['login'];

/** Addresses (and names) remembered at once; past it, expired windows go first, then the oldest. */
const MAX_KEYS = 4096;

interface Window {
  /** Wall-clock ms when the window ends (0 until the first failure opens one). */
  ends: number;
  failures: number;
  /** Attempts admitted whose password is still being checked. */
  inFlight: number;
}

/** Failures per key in windows, bounded in keys. */
class Windows {
  private readonly windows = new Map<string, Window>();

  /** The key's window, reset if it has ended; created (evicting if full) when `create`. */
  get(key: string, now: number, create: true): Window;
  get(key: string, now: number, create: false): Window | undefined;
  get(key: string, now: number, create: boolean): Window | undefined {
    let w = this.windows.get(key);
    if (w && w.ends !== 0 && w.ends <= now) {
      w.failures = 0;
      w.ends = 0;
    }
    if (w || !create) return w;
    if (this.windows.size >= MAX_KEYS) this.evict(now);
    w = { ends: 0, failures: 0, inFlight: 0 };
    this.windows.set(key, w);
    return w;
  }

  /** Drops the window of a key with nothing to remember. */
  tidy(key: string, w: Window): void {
    if (w.failures === 0 && w.inFlight === 0) this.windows.delete(key);
  }

  private evict(now: number): void {
    for (const [key, w] of this.windows) if (w.inFlight === 0 && (w.ends <= now || w.failures === 0)) this.windows.delete(key);
    while (this.windows.size >= MAX_KEYS) this.windows.delete(this.windows.keys().next().value!);
  }
}

/** One admitted attempt; settle it once, with the outcome of the password check. */
export interface LoginSlot {
  /** The password was wrong (or the account disabled): a failure for the address and the name. Returns the address's failures in its window. */
  failed(): number;
  /** The password was right, or the check could not run: the slot is freed, no failure counted. */
  released(): void;
}

export type Admission = { ok: true; slot: LoginSlot } | { ok: false; by: 'address' | 'account'; retryAfterS: number };

export class LoginThrottle {
  private readonly addresses = new Windows();
  private readonly accounts = new Windows();

  constructor(
    private readonly limits: () => LoginLimits,
    private readonly now: Now = Date.now,
  ) {}

  /** Takes a slot for one attempt from `peer` at account `name`, or refuses it (nothing taken). */
  admit(peer: string, name: string): Admission {
    const now = this.now();
    const limits = this.limits();
    const nameKey = createHash('sha256').update(name).digest('base64url');
    const address = this.addresses.get(peer, now, true);
    const account = this.accounts.get(nameKey, now, true);
    const refusal = this.refusal(address, limits.maxFailuresPerAddress, now, 'address') ?? this.refusal(account, limits.maxFailuresPerAccount, now, 'account');
    if (refusal) {
      this.addresses.tidy(peer, address);
      this.accounts.tidy(nameKey, account);
      return refusal;
    }
    address.inFlight += 1;
    account.inFlight += 1;
    let settled = false;
    const settle = (failed: boolean): number => {
      if (settled) return address.failures;
      settled = true;
      const at = this.now();
      for (const [windows, key, w] of [
        [this.addresses, peer, address],
        [this.accounts, nameKey, account],
      ] as const) {
        w.inFlight -= 1;
        if (failed) {
          // The window may have ended while the password was checked: the failure opens the next one.
          if (w.ends !== 0 && w.ends <= at) w.failures = 0;
          if (w.failures === 0) w.ends = at + limits.windowS * 1000;
          w.failures += 1;
        }
        windows.tidy(key, w);
      }
      return address.failures;
    };
    return { ok: true, slot: { failed: () => settle(true), released: () => void settle(false) } };
  }

  /** Seconds an address must wait before its next attempt; 0 if it may try now (for tests and status). */
  waitS(peer: string): number {
    const now = this.now();
    const w = this.addresses.get(peer, now, false);
    if (!w || w.failures + w.inFlight < this.limits().maxFailuresPerAddress) return 0;
    return Math.max(1, Math.ceil((w.ends - now) / 1000));
  }

  private refusal(w: Window, max: number, now: number, by: 'address' | 'account'): Admission | undefined {
    if (w.failures + w.inFlight < max) return undefined;
    // Full of attempts still in flight (no window yet): they settle within one scrypt, so 1 s.
    const retryAfterS = w.ends === 0 ? 1 : Math.max(1, Math.ceil((w.ends - now) / 1000));
    return { ok: false, by, retryAfterS };
  }
}
