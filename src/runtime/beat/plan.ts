import type { CatchUp } from './entries.js';
import { periodAt, type Schedule } from './schedule.js';

/** What to do with the ticks that fell due since an entry's watermark. */
export interface TickPlan {
  /** Ticks to send now, oldest first. */
  send: number[];
  /** Due ticks the catch-up policy drops (counted up to SKIP_COUNT_LIMIT). */
  skipped: number;
  /** The watermark once the plan is carried out: the latest due tick, or the old one when nothing was due. */
  watermark: number;
}

/** Counting dropped ticks is only for the log line; stop counting here. */
export const SKIP_COUNT_LIMIT = 10_000;
/** With catchUp 'none', a tick still counts as on time this long after it was due (clamped to the period / 2). */
export const ON_TIME_MAX_MS = 60_000;
export const ON_TIME_MIN_MS = 1000;

/**
 * The pure core of beat. Due ticks are those in (watermark, now]; when more
 * than one is due, beat was not running (or was stalled) for some of them and
 * the catch-up policy decides:
 *
 * - 'latest' (default): send the most recent due tick, drop the older ones.
 * - { all: N }: send the N most recent due ticks, oldest first.
 * - 'none': send the most recent tick only if it is on time (due less than
 *   min(period / 2, 60 s) ago, at least 1 s); drop everything else.
 *
 * A clock that went back leaves now < watermark: nothing is due, so no tick is
 * ever sent twice by a beat that trusts its watermark.
 */
export function planTicks(schedule: Schedule, catchUp: CatchUp, watermark: number, now: number): TickPlan {
  const latest = schedule.latest(now);
  if (latest === null || latest <= watermark) return { send: [], skipped: 0, watermark };
  const keep = typeof catchUp === 'object' ? catchUp.all : 1;

  const newestFirst: number[] = [];
  for (let t: number | null = latest; t !== null && t > watermark && newestFirst.length < keep; t = schedule.latest(t - 1)) newestFirst.push(t);
  const oldestKept = newestFirst[newestFirst.length - 1]!;
  let skipped = schedule.count(watermark, oldestKept - 1, SKIP_COUNT_LIMIT);

  let send = newestFirst.reverse();
  if (catchUp === 'none' && now - latest > onTimeWindow(schedule, latest)) {
    skipped = Math.min(SKIP_COUNT_LIMIT, skipped + 1);
    send = [];
  }
  return { send, skipped, watermark: latest };
}

function onTimeWindow(schedule: Schedule, tick: number): number {
  const period = periodAt(schedule, tick) ?? ON_TIME_MAX_MS * 2;
  return Math.max(ON_TIME_MIN_MS, Math.min(ON_TIME_MAX_MS, period / 2));
}
