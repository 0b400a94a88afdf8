/** What the group commit needs from the database it writes to. */
export interface GroupCommitStore {
  /** Runs `body` in one IMMEDIATE transaction (SQLITE_BUSY waited out by the busy timeout); commits when it returns, rolls back when it throws. */
  transaction(body: () => void): void;
  /** Inside that transaction: runs `work` in its own savepoint, rolled back alone when it throws. */
  savepoint<T>(work: () => T): T;
  /** False once SQLite itself ended the transaction (an I/O error, a full disk): then nothing done in it stands. */
  inTransaction(): boolean;
}

interface Pending {
  work: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Group commit: per-task writes (finish, retry, dead letter, progress,
 * reserve, …) that arrive together share one IMMEDIATE transaction, so a
 * worker running 50 tasks at once pays one commit (one WAL append, one lock
 * round) for the lot instead of one each. Each write runs in its own
 * savepoint and keeps its own outcome: a write that throws is rolled back
 * alone and fails alone; one that is refused (a stale lease) is refused
 * alone. A write's promise settles only after the transaction that carried
 * it committed, so "accepted" means durable; when the commit itself fails,
 * nothing in it was written and every write in it fails with that error.
 *
 * No fixed delay: a write waits only for the end of the event-loop turn it
 * was made in (setImmediate), gathering every other write made in that turn;
 * a lone write commits as soon as the turn's other callbacks are done, and
 * never waits for a timer.
 *
 * States: idle (nothing gathered) → gathering (writes queued, a flush set
 * for the end of this turn) → idle once the flush commits (or fails) them.
 */
export class GroupCommit {
  private gathered: Pending[] = [];
  /** Writes that go before the others of their transaction (see `submit`). */
  private early: Pending[] = [];
  private flushSet = false;
  /** Transactions committed and the writes they carried, for tests and tuning. */
  readonly counts = { transactions: 0, writes: 0 };

  constructor(private readonly store: GroupCommitStore) {}

  /**
   * Runs `work` inside a shared transaction; resolves with its value once
   * that transaction committed. Writes run in the order they were made, but
   * `first` ones go before the rest of their transaction: a lease renewal
   * made in the same turn as that lease's finish then renews it, instead of
   * finding it already acked and reporting it lost.
   */
  submit<T>(work: () => T, options: { first?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (options.first ? this.early : this.gathered).push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.flushSet) return;
      this.flushSet = true;
      setImmediate(() => this.flush());
    });
  }

  /** Commits everything gathered so far, now (also before the database closes). */
  flush(): void {
    this.flushSet = false;
    const batch = [...this.early.splice(0), ...this.gathered.splice(0)];
    if (batch.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.store.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.store.savepoint(item.work) });
          } catch (error) {
            if (!this.store.inTransaction()) throw error;
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    this.counts.transactions++;
    this.counts.writes += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
