/**
 * Counts per whole second over a sliding window: tasks/s, the dashboard's
 * sparkline, a queue's in/out rate. Plain data and pure functions, so a
 * reducer can keep one in its state and tests can pass their own clock.
 */
export interface RateWindow {
  /** Epoch second of the last bucket. */
  readonly head: number;
  /** Oldest first; the last one is the current (partial) second. */
  readonly counts: readonly number[];
}

export const SPARKLINE_SECONDS = 60;

export function emptyWindow(nowMs: number, seconds = SPARKLINE_SECONDS): RateWindow {
  return { head: Math.floor(nowMs / 1000), counts: new Array<number>(seconds).fill(0) };
}

/** Moves the window forward to `nowMs`, dropping seconds that fell out of it. */
export function advance(w: RateWindow, nowMs: number): RateWindow {
  const second = Math.floor(nowMs / 1000);
  const shift = second - w.head;
  if (shift <= 0) return w;
  const size = w.counts.length;
  if (shift >= size) return { head: second, counts: new Array<number>(size).fill(0) };
  return { head: second, counts: [...w.counts.slice(shift), ...new Array<number>(shift).fill(0)] };
}

/** Adds `n` at time `atMs`; a time older than the window is ignored, a newer one moves it. */
export function addAt(w: RateWindow, atMs: number, n = 1): RateWindow {
  const moved = advance(w, atMs);
  const index = moved.counts.length - 1 - (moved.head - Math.floor(atMs / 1000));
  if (index < 0) return moved;
  const counts = [...moved.counts];
  counts[index] = counts[index]! + n;
  return { head: moved.head, counts };
}

/** Average per second over the last `seconds` complete seconds (the current partial one left out). */
export function perSecond(w: RateWindow, nowMs: number, seconds = 5): number {
  const moved = advance(w, nowMs);
  const complete = moved.counts.slice(0, -1);
  const span = complete.slice(-seconds);
  return span.length === 0 ? 0 : span.reduce((a, b) => a + b, 0) / span.length;
}

/** The counts per second for the sparkline, oldest first, at `nowMs`. */
export function series(w: RateWindow, nowMs: number): number[] {
  return [...advance(w, nowMs).counts];
}
