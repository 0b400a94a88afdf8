import type { TqEvent } from '../cluster.js';
import { eventTimes } from '../metrics/event-times.js';
import type { WireSeries } from './wire.js';

/** 10-second buckets over the last hour: the overview's throughput and failure charts. */
export const BUCKET_MS = 10_000;
export const BUCKETS = 360;

type Kind = 'succeeded' | 'failed' | 'retried';
const KIND_OF: Partial<Record<TqEvent['type'], Kind>> = { 'task-succeeded': 'succeeded', 'task-failed': 'failed', 'task-retried': 'retried' };

/**
 * Finished tasks per time bucket, from the event stream. Fixed size (BUCKETS
 * per kind), so a firehose of events costs no memory; events are placed by
 * their own time, so replaying the stream after a restart of `tq web` rebuilds
 * the charts as far back as the stream reaches.
 */
export class TaskHistory {
  /** Bucket start (epoch ms) of counts[k][BUCKETS - 1]. */
  private lastStart: number;
  private readonly counts: Record<Kind, number[]> = { succeeded: [], failed: [], retried: [] };

  constructor(now = Date.now()) {
    this.lastStart = bucketOf(now);
    for (const k of Object.keys(this.counts) as Kind[]) this.counts[k] = new Array<number>(BUCKETS).fill(0);
  }

  add(events: readonly TqEvent[], now = Date.now(), times = eventTimes(events)): void {
    this.advance(now);
    for (let i = 0; i < events.length; i++) {
      const kind = KIND_OF[events[i]!.type];
      if (!kind) continue;
      const at = times[i]!;
      if (Number.isNaN(at)) continue;
      const index = BUCKETS - 1 - (this.lastStart - bucketOf(at)) / BUCKET_MS;
      // Older than the window, or ahead of this clock (another machine's): not charted.
      if (index >= 0 && index < BUCKETS) this.counts[kind][index]! += 1;
    }
  }

  snapshot(now = Date.now()): WireSeries {
    this.advance(now);
    return { bucketMs: BUCKET_MS, lastStart: this.lastStart, succeeded: [...this.counts.succeeded], failed: [...this.counts.failed], retried: [...this.counts.retried] };
  }

  private advance(now: number): void {
    const target = bucketOf(now);
    const shift = (target - this.lastStart) / BUCKET_MS;
    if (shift <= 0) return;
    for (const k of Object.keys(this.counts) as Kind[]) {
      const row = this.counts[k];
      if (shift >= BUCKETS) {
        row.fill(0);
      } else {
        row.splice(0, shift);
        row.push(...new Array<number>(shift).fill(0));
      }
    }
    this.lastStart = target;
  }
}

function bucketOf(ms: number): number {
  return Math.floor(ms / BUCKET_MS) * BUCKET_MS;
}
