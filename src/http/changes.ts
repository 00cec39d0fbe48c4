/**
 * Who is allowed may change while connections are open (#14 point 14): the accessible-IP list
 * narrows, an account is disabled, renamed or given a new password. Whatever holds a connection
 * or a stream open registers a re-check here, and the app runs every re-check after each request
 * that changed state and succeeded, so the check sees the change wherever it was made and
 * however it was persisted.
 *
 *   PUT/POST/PATCH/DELETE ─► route ─► 2xx 'finish' ─► listeners: close peers accept() refuses now
 *                                                  └► event streams: end those of changed accounts
 */
import type { RequestHandler } from 'express';
import { SAFE_METHODS } from './guard.js';

type Recheck = () => void;

const rechecks = new WeakMap<object, Set<Recheck>>();

/** Registers a re-check on the app; returns its removal. */
export function onStateChanged(app: object, recheck: Recheck): () => void {
  const set = rechecks.get(app) ?? new Set<Recheck>();
  set.add(recheck);
  rechecks.set(app, set);
  return () => set.delete(recheck);
}

/** Runs every re-check of the app now. */
export function stateChanged(app: object): void {
  for (const recheck of rechecks.get(app) ?? []) recheck();
}

/**
 * Middleware: after a state-changing request answered 2xx, run the app's re-checks, if what
 * they depend on changed. `access` returns the objects that decide who may connect (the
 * accessible-IP list, the accounts): the running config replaces them on every change and keeps
 * them otherwise, so comparing identities tells a field write (hundreds a second in the #14 soak,
 * each re-checking every connection and stream for nothing) from an access change.
 */
export function recheckAfterChanges(app: object, access: () => readonly unknown[]): RequestHandler {
  let seen: readonly unknown[] = access();
  const changed = () => {
    const now = access();
    if (now.length === seen.length && now.every((x, i) => x === seen[i])) return false;
    seen = now;
    return true;
  };
  return (req, res, next) => {
    if (!SAFE_METHODS.has(req.method)) {
      res.once('finish', () => {
        // Next turn: the response's bytes are handed to the socket before a re-check may close it.
        if (res.statusCode >= 200 && res.statusCode < 300) setImmediate(() => changed() && stateChanged(app));
      });
    }
    next();
  };
}
