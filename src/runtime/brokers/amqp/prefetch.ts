/** How long the highest recent demand is remembered before a prefetch may shrink to a lower one. */
const PERIOD_MS = 1_000;

/**
 * The prefetch a worker's band consumers should run with: what the worker
 * holds at most. That is its reservation window (-c × --prefetch-multiplier)
 * plus what its look-ahead adds (one message per slot while tasks are short:
 * a slot then starts its next message without waiting for an ack → delivery
 * round trip). A reserve tells the window, and the worker's room; the
 * deliveries it holds now plus that room are what it would take.
 *
 * That sum dips while acks are in flight (a task already acked here is still
 * in the worker's count for a moment), so a higher demand applies at once and
 * a lower one only after the highest of the last one to two periods was lower
 * too. A new window (the pool grew or shrank) starts over from it.
 */
export class PrefetchWindow {
  private window = 0;
  private current = 0;
  private peak = 0;
  private previousPeak = 0;
  private periodStart = 0;

  /** The prefetch to use for this reserve. */
  next(window: number, holdsPlusRoom: number, now = Date.now()): number {
    if (window !== this.window) {
      this.window = window;
      this.current = 0;
      this.peak = this.previousPeak = 0;
      this.periodStart = now;
    }
    if (now - this.periodStart >= PERIOD_MS) {
      // A whole period without a reserve counts as a period of no demand above the window.
      this.previousPeak = now - this.periodStart >= 2 * PERIOD_MS ? 0 : this.peak;
      this.peak = 0;
      this.periodStart = now;
    }
    this.peak = Math.max(this.peak, holdsPlusRoom);
    const wanted = Math.max(window, this.peak, this.previousPeak);
    if (wanted > this.current || (wanted < this.current && this.previousPeak > 0)) this.current = wanted;
    return this.current;
  }
}
