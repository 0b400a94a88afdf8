import { CronExpressionParser, type CronExpression } from 'cron-parser';
import { formatDuration } from './duration.js';
import { offsetAt, offsetSpans } from './timezone.js';

/**
 * When an entry fires, as absolute instants (epoch ms). Every beat computes the
 * same instants from the same spec, whatever its start time, so a tick's time
 * identifies it across processes.
 */
export interface Schedule {
  readonly kind: 'cron' | 'every';
  /** How it reads in `--list` and logs: the cron expression, or 'every 30s'. */
  readonly text: string;
  /** IANA timezone the cron fields are read in (shown for intervals too). */
  readonly tz: string;
  /** The first tick strictly after `ms`, or null when there is none. */
  next(ms: number): number | null;
  /** The last tick at or before `ms`, or null when there is none. */
  latest(ms: number): number | null;
  /** How many ticks fall in (after, upTo], counting at most `limit`. */
  count(after: number, upTo: number, limit: number): number;
}

/**
 * Fixed intervals are aligned to the Unix epoch (ticks at k × interval), not to
 * when a beat started: that is what makes two beats agree on every tick. A '1d'
 * interval therefore fires at 00:00 UTC; use cron for a local wall-clock time.
 */
export class IntervalSchedule implements Schedule {
  readonly kind = 'every';
  readonly text: string;

  constructor(
    readonly intervalMs: number,
    readonly tz: string,
  ) {
    this.text = `every ${formatDuration(intervalMs)}`;
  }

  next(ms: number): number {
    return (Math.floor(ms / this.intervalMs) + 1) * this.intervalMs;
  }

  latest(ms: number): number {
    return Math.floor(ms / this.intervalMs) * this.intervalMs;
  }

  count(after: number, upTo: number, limit: number): number {
    if (upTo <= after) return 0;
    return Math.min(limit, Math.floor(upTo / this.intervalMs) - Math.floor(after / this.intervalMs));
  }
}

/**
 * Cron in a timezone. The fields are matched against the local wall clock
 * (enumerated by cron-parser in UTC, where no DST exists) and each span of
 * constant offset turns wall times into instants. We do not use cron-parser's
 * own timezone mode: its next() and prev() disagree around DST changes, and a
 * tick set must not depend on where a beat starts looking. The rules:
 *
 * - clocks go forward: a wall time in the skipped hour fires as if the clock
 *   had not jumped (02:30 → 03:30 new time), once even if that is a tick anyway;
 * - clocks go back: a wall time in the repeated hour fires once, at its first
 *   occurrence — unless the entry runs every hour (hour field `*`), which then
 *   fires in both passes, so "hourly" means every real hour.
 */
export class CronSchedule implements Schedule {
  readonly kind = 'cron';
  private readonly everyHour: boolean;
  private readonly walls: CronExpression;

  constructor(
    readonly text: string,
    readonly tz: string,
    /** Seeds cron's `H` fields, so every beat picks the same "random" minute. */
    hashSeed: string,
  ) {
    this.walls = CronExpressionParser.parse(text, { tz: 'UTC', hashSeed });
    this.everyHour = this.walls.fields.hour.values.length === 24;
  }

  next(ms: number): number | null {
    for (let horizon = DAY_MS; horizon <= SEARCH_LIMIT_MS; horizon *= 8) {
      let best: number | null = null;
      for (const span of this.spans(ms - DAY_MS, ms + horizon)) {
        if (best !== null && span.from > best) break;
        const w = this.wallStep('next', Math.max(ms + span.offset, span.firstWall - 1));
        if (w === null || w >= span.endWall) continue;
        const t = w - span.offset;
        if (t <= ms + horizon && (best === null || t < best)) best = t;
      }
      if (best !== null) return best;
      if (this.wallStep('next', ms + offsetAt(this.tz, ms)) === null) return null;
    }
    return null;
  }

  latest(ms: number): number | null {
    for (let horizon = DAY_MS; horizon <= SEARCH_LIMIT_MS; horizon *= 8) {
      let best: number | null = null;
      for (const span of this.spans(ms - horizon, ms + DAY_MS).reverse()) {
        if (best !== null && span.to + MAX_SHIFT_MS < best) break;
        const w = this.wallStep('prev', Math.min(ms + span.offset, span.endWall - 1) + 1);
        if (w === null || w < span.firstWall) continue;
        const t = w - span.offset;
        if (t >= ms - horizon + MAX_SHIFT_MS && (best === null || t > best)) best = t;
      }
      if (best !== null) return best;
      if (this.wallStep('prev', ms + offsetAt(this.tz, ms) + 1) === null) return null;
    }
    return null;
  }

  count(after: number, upTo: number, limit: number): number {
    let n = 0;
    for (let t = this.latest(upTo); t !== null && t > after && n < limit; t = this.latest(t - 1)) n++;
    return n;
  }

  /**
   * Spans of constant offset over [from, to), each with the wall times it
   * fires for: [firstWall, endWall). A span reaches past its end into a
   * skipped hour (clocks forward), and starts after the repeated hour (clocks
   * back) unless the entry runs every hour.
   */
  private spans(from: number, to: number): { from: number; to: number; offset: number; firstWall: number; endWall: number }[] {
    const spans = offsetSpans(this.tz, from, to);
    return spans.map((span, i) => {
      const before = spans[i - 1];
      const after = spans[i + 1];
      const firstWall = span.from + (before && !this.everyHour ? Math.max(span.offset, before.offset) : span.offset);
      const endWall = span.to + (after ? Math.max(span.offset, after.offset) : span.offset);
      return { ...span, firstWall, endWall };
    });
  }

  /** The matching wall time strictly after (next) or before (prev) `wall`; null when none. */
  private wallStep(direction: 'next' | 'prev', wall: number): number | null {
    try {
      this.walls.reset(new Date(wall));
      return (direction === 'next' ? this.walls.next() : this.walls.prev()).getTime();
    } catch {
      return null;
    }
  }
}

const DAY_MS = 86_400_000;
/** Larger than any DST shift in use (2 h). */
const MAX_SHIFT_MS = 3 * 60 * 60 * 1000;
/** How far ahead (or back) to look for a tick before calling a schedule finished: ~9 years, for Feb 29 crons. */
const SEARCH_LIMIT_MS = DAY_MS * 8 ** 4;

/** The tick `steps` ticks after `tick` (for claim lifetimes), or null when the schedule ends first. */
export function tickAfter(schedule: Schedule, tick: number, steps: number): number | null {
  if (schedule instanceof IntervalSchedule) return tick + steps * schedule.intervalMs;
  let t: number | null = tick;
  for (let i = 0; i < steps && t !== null; i++) t = schedule.next(t);
  return t;
}

/** The gap from `tick` to the next one: an entry's period, which varies for cron. */
export function periodAt(schedule: Schedule, tick: number): number | null {
  const next = schedule.next(tick);
  return next === null ? null : next - tick;
}
