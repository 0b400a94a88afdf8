import type { Backend } from '../brokers/backend.js';
import type { TqEvent } from '../cluster.js';

/** Largest batch sent in one call; a busy worker flushes at this size rather than waiting for the tick. */
const MAX_BATCH = 500;
/** Longest an event waits before it is sent. */
const FLUSH_MS = 100;

/**
 * Collects a worker's events and appends them to the broker's stream in
 * batches: one round trip per 100 ms (or per 500 events), so events cost a
 * busy worker a small fraction of a round trip per task. Events are advisory:
 * if the broker is away they are dropped after one failed try, never queued up
 * without bound.
 */
export class EventBatcher {
  private pending: TqEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly backend: Backend,
    private readonly onError: (err: unknown) => void,
  ) {}

  add(event: TqEvent): void {
    this.pending.push(event);
    if (this.pending.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return this.inFlight;
    this.inFlight = this.inFlight.then(() => this.backend.appendEvents(batch).catch(this.onError));
    return this.inFlight;
  }
}
