/** Runtime (ms) under which tasks count as short: a broker round trip is then a large part of a slot's time. */
const SHORT_TASK_MS = 10;
/** Weight of the newest runtime in the moving average. */
const ALPHA = 0.2;

/**
 * Decides whether a worker reserves one extra message per slot beyond its
 * prefetch. While tasks finish in a few milliseconds, a slot that must wait a
 * round trip for its next message idles for much of its time; one message
 * waiting locally hides that wait. As soon as tasks take longer, the extra
 * stops, so a message never sits behind a long task on a busy worker while
 * another worker could run it (the reason the prefetch default is 1).
 */
export class LookAhead {
  private averageMs: number | undefined;

  record(runtimeMs: number): void {
    this.averageMs = this.averageMs === undefined ? runtimeMs : this.averageMs + ALPHA * (runtimeMs - this.averageMs);
  }

  /** Extra messages per slot to keep reserved now: 1 while recent tasks were short, else 0. */
  get extraPerSlot(): number {
    return this.averageMs !== undefined && this.averageMs < SHORT_TASK_MS ? 1 : 0;
  }
}
