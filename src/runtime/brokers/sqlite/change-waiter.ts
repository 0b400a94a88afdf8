import { watch, type FSWatcher } from 'node:fs';

/**
 * Wakes waiters when the SQLite file may have changed. SQLite cannot block a
 * reader until a row appears, so an idle worker would otherwise poll. Instead
 * we watch the database's directory (inotify on Linux: another process's commit
 * touches the -wal file) and fall back to a slow tick for what no write
 * announces (a delayed message becoming due, a lease lapsing) and for file
 * systems where watching does not work.
 *
 * States: idle (no watcher) → watching (≥1 waiter) → idle; closed is final.
 */
export class ChangeWaiter {
  private watcher: FSWatcher | undefined;
  private waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly fallbackMs: number,
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
        if (this.waiters.size === 0) this.stopWatcher();
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, this.fallbackMs));
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
