/**
 * At most `perMinute()` lines a minute for something a client can cause as often as it likes (a
 * failed login's log line, an SNMPv3 USM failure's journal entry): `take()` says whether this one
 * may be written, and `suppressed()` how many were not since the last one that was. Here, not in
 * an adapter, so that every adapter may bound its lines alike without importing another.
 *
 * The minute opens at the first line taken after the last one ended; `now` is whichever clock the
 * caller's lines live on (the wall clock for logs, the device clock for the journal).
 */
export class LogBudget {
  private windowEnds = 0;
  private used = 0;
  private skipped = 0;

  constructor(
    private readonly perMinute: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True if a line may be written now; false (and one more suppressed) past the budget. */
  take(): boolean {
    const now = this.now();
    if (now >= this.windowEnds) {
      this.windowEnds = now + 60_000;
      this.used = 0;
    }
    if (this.used >= this.perMinute()) {
      this.skipped += 1;
      return false;
    }
    this.used += 1;
    return true;
  }

  /** Lines suppressed since the last one written; resets the count. */
  suppressed(): number {
    const n = this.skipped;
    this.skipped = 0;
    return n;
  }
}
