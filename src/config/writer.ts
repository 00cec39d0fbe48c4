/**
 * One writer for the running config (issue #14 points 2-4): every change, a whole new config or
 * a runtime edit (accessible-IP list, base addresses, an account), goes through it.
 *
 *   submit(edit) ─► pending edits (each caller waits) ──► no write in flight? ──► take them all
 *                                                                                   │
 *        fold them, in order, onto the state on disk: each edit gets the previous   │
 *        one's result; an edit that throws is refused alone and the rest go on  ◄───┘
 *                                                                                   │
 *        persist(state): write temp, fsync, rename, fsync the directory ─────┬─ ok ──► committed = state,
 *                                                                            │         onCommit(state), every
 *                                                                            │         carried edit resolves
 *                                                                            └─ failed ► every carried edit
 *                                                                                      rejects; committed stays
 *
 * So at most one write is in flight and one is pending (the pending edits become one state, the
 * latest, when the write before them ends), a caller's promise resolves only once a write that
 * includes its edit is on disk, and memory (onCommit) only ever holds a state that is on disk.
 * Edits are functions of the state, not states: one computed on top of an edit that then failed
 * to write is computed again on top of what is really on disk.
 */

/** Makes the next state from the latest accepted one; throws (a SimError) to refuse the change. */
export type Edit<S> = (state: S) => S | Promise<S>;

interface Job<S> {
  edit: Edit<S>;
  resolve(state: S): void;
  reject(error: unknown): void;
}

export interface ConfigWriterOptions<S> {
  /** Puts a state on disk (or nowhere, without a data dir); rejects if it could not. */
  persist(state: S): Promise<void>;
  /** Called with each state once it is on disk, before the callers who asked for it hear so. */
  onCommit?(state: S): void;
  /** Called when a write failed, with the number of edits it carried (each is answered with the error). */
  onWriteFailed?(error: unknown, edits: number): void;
}

export class ConfigWriter<S> {
  private committed: S;
  private pending: Job<S>[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    initial: S,
    private readonly options: ConfigWriterOptions<S>,
  ) {
    this.committed = initial;
  }

  /** The latest state on disk. */
  get state(): S {
    return this.committed;
  }

  /** Resolves with the state that carried the edit once it is on disk; rejects with the edit's own error or the write's. */
  submit(edit: Edit<S>): Promise<S> {
    return new Promise<S>((resolve, reject) => {
      this.pending.push({ edit, resolve, reject });
      this.draining ??= this.drain().finally(() => (this.draining = undefined));
    });
  }

  /** Resolves once every edit submitted so far has been written (or refused). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      let state = this.committed;
      const carried: Job<S>[] = [];
      for (const job of batch) {
        try {
          state = await job.edit(state);
          carried.push(job);
        } catch (error) {
          job.reject(error);
        }
      }
      if (carried.length === 0) continue;
      try {
        await this.options.persist(state);
      } catch (error) {
        this.options.onWriteFailed?.(error, carried.length);
        for (const job of carried) job.reject(error);
        continue;
      }
      this.committed = state;
      this.options.onCommit?.(state);
      for (const job of carried) job.resolve(state);
    }
  }
}
