/**
 * Polls `probe` every `intervalMs` until it gives a value (not undefined), or fails after
 * `deadlineMs` naming what it waited for.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, deadlineMs = 15_000, intervalMs = 20): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * As until, for a probe that throws while what it reads is not there yet (a listener between an
 * in-process stop and start, a file not yet written): a throw counts as "not yet".
 */
export function untilSettled<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs?: number): Promise<T> {
  return until(what, () => probe().catch(() => undefined), deadlineMs);
}
