import type { TqEvent } from '../cluster.js';
import { eventTimes } from './event-times.js';
import type { TqMetrics } from './families.js';

/** Tasks whose start time `tq web` waits for, at most (the oldest are forgotten first). */
export const MAX_WAITING = 20_000;

/**
 * Feeds the tq metric families from the event stream, for `tq web`: the whole
 * cluster, whichever worker ran a task. Counters count only events from
 * `sinceMs` on: the replay of older events at start-up fills the page's
 * history but would make every restart of `tq web` look like a burst of tasks.
 */
export class EventMetrics {
  /** Task id → epoch ms from which it could run (sent, its eta, or its retry's). */
  private readonly runnableAt = new Map<string, number>();

  constructor(
    private readonly metrics: TqMetrics,
    private readonly sinceMs = Date.now(),
  ) {}

  add(events: readonly TqEvent[], times = eventTimes(events)): void {
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const at = times[i]!;
      if (Number.isNaN(at)) continue;
      const d = e.data ?? {};
      if (e.type === 'task-sent' && e.taskId) this.remember(e.taskId, typeof d.eta === 'string' ? Math.max(at, Date.parse(d.eta) || 0) : at);
      if (at < this.sinceMs) continue;
      switch (e.type) {
        case 'task-started': {
          const from = e.taskId ? this.runnableAt.get(e.taskId) : undefined;
          if (from !== undefined) {
            this.metrics.waited(e.queue, at - from);
            this.runnableAt.delete(e.taskId!);
          }
          break;
        }
        case 'task-succeeded':
          this.metrics.final(e.task, 'SUCCESS');
          this.metrics.ran(e.task, Number(d.runtimeMs));
          break;
        case 'task-failed':
          this.metrics.final(e.task, 'FAILURE');
          this.metrics.ran(e.task, Number(d.runtimeMs));
          if (d.deadLettered === true) this.metrics.deadLettered(e.queue);
          break;
        case 'task-retried':
          this.metrics.retried(e.task);
          if (e.taskId) this.remember(e.taskId, at + (Number(d.delayMs) || 0));
          break;
        case 'task-revoked':
          this.metrics.final(e.task, 'REVOKED');
          break;
        case 'task-rejected':
          this.metrics.final(e.task, 'REJECTED');
          this.metrics.deadLettered(e.queue);
          break;
      }
    }
  }

  private remember(id: string, ms: number): void {
    this.runnableAt.delete(id);
    this.runnableAt.set(id, ms);
    if (this.runnableAt.size > MAX_WAITING) this.runnableAt.delete(this.runnableAt.keys().next().value!);
  }
}
