import { watch, type FSWatcher } from 'node:fs';

/**
 * Wakes waiters when the SQLite file may have changed. SQLite cannot block a
 * reader until a row appears, so an idle worker would otherwise poll. Instead
 * we watch the database's directory (inotify on Linux: another process's commit
 * touches the -wal file). What no write announces — a delayed message becoming
 * due, a lease lapsing — the caller covers by sleeping no longer than until the
 * next such time; a slow tick covers missed events, a fast one file systems
 * that cannot be watched.
 *
 * States: idle (no watcher yet) → watching (from the first wait on; one
 * inotify watch kept for the broker's life, as re-creating it per wait costs
 * more than the wait) → closed.
 */
export class ChangeWaiter {
  private watcher: FSWatcher | undefined;
  private waiters = new Set<() => void>();
  private closed = false;

  /**
   * @param watchedTickMs longest sleep while the directory watch works (a safety net for missed events)
   * @param unwatchedTickMs longest sleep when it cannot be watched (e.g. some network file systems)
   */
  constructor(
    private readonly dir: string,
    private readonly watchedTickMs: number,
    private readonly unwatchedTickMs: number,
  ) {}

  /** Resolves on the next change, after `ms` (capped by the fallback tick), or on abort. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted || ms <= 0) return Promise.resolve();
    this.ensureWatcher();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, this.watcher ? this.watchedTickMs : this.unwatchedTickMs));
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }

  close(): void {
    this.closed = true;
    for (const done of [...this.waiters]) done();
    this.stopWatcher();
  }

  private ensureWatcher(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.dir, { persistent: false }, () => {
        for (const done of [...this.waiters]) done();
      });
      this.watcher.on('error', () => this.stopWatcher());
    } catch {
      this.watcher = undefined; // the fallback tick still wakes waiters
    }
  }

  private stopWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
