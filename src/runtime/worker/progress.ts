import type { Ledger } from './ledger.js';
import type { TaskMessage } from '../message.js';
import type { Held } from './held.js';

/** Stored progress updates per task at most this often (the last one, at 100%, always goes). */
const MIN_GAP_MS = 200;

/**
 * Stores the progress tasks report, throttled: at most 5 stored updates a
 * second per task, since progress is advisory and the queue is not. Fenced
 * like every write of a leased task.
 */
export class ProgressStore {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly ledger: Ledger,
    private readonly hostname: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  report(held: Held, message: TaskMessage, fraction: number, note?: string): void {
    const now = Date.now();
    if (now - (this.last.get(message.id) ?? 0) < MIN_GAP_MS && fraction < 1) return;
    this.last.set(message.id, now);
    const record = {
      id: message.id, task: message.task, state: 'STARTED' as const, queue: message.queue, retries: message.retries,
      worker: this.hostname, startedAt: new Date(held.startedAt ?? now).toISOString(), progress: { fraction, note },
    };
    this.ledger.progress(held.reservation.lease, record).catch(this.onError);
  }

  /** The task is settled: nothing more to throttle. */
  forget(id: string): void {
    this.last.delete(id);
  }
}
