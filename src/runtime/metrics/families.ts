import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundedLabel } from './labels.js';

/** One queue's depth as the metrics see it; null where the broker cannot tell. */
export interface QueueDepth {
  queue: string;
  ready: number | null;
  scheduled: number | null;
  leased: number | null;
  dead: number | null;
  oldestReadyAgeMs: number | null;
}

/** What the gauges read at scrape time. */
export interface ClusterGauges {
  queues(): Promise<readonly QueueDepth[]> | readonly QueueDepth[];
  workersOnline(): Promise<number | null> | number | null;
}

export type FinalState = 'SUCCESS' | 'FAILURE' | 'REVOKED' | 'REJECTED';

/** Task runtimes: 5 ms to 10 minutes. */
const RUNTIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Queue waits: 1 ms (an idle worker) to an hour (a backlog). */
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
const DEPTH_STATES = ['ready', 'scheduled', 'leased', 'dead'] as const;

/**
 * The tq metric families, the same on `tq web` (the whole cluster, from the
 * event stream) and `tq worker --metrics-port` (that worker). Conventions:
 * tq_ prefix, base units (seconds), _total on counters; labels are task names
 * and queues only, each capped by a BoundedLabel, never task ids.
 */
export class TqMetrics {
  readonly registry = new Registry();
  readonly taskLabel: BoundedLabel;
  readonly queueLabel = new BoundedLabel();
  private readonly tasks: Counter<'task' | 'state'>;
  private readonly retries: Counter<'task'>;
  private readonly deadLetters: Counter<'queue'>;
  private readonly runtime: Histogram<'task'>;
  private readonly queueWait: Histogram<'queue'>;

  constructor(options: { taskNames?: readonly string[]; gauges: ClusterGauges; processMetrics?: boolean }) {
    const registers = [this.registry];
    this.taskLabel = new BoundedLabel(undefined, options.taskNames ?? []);
    this.tasks = new Counter({ name: 'tq_tasks_total', help: 'Tasks that reached a final state, by task name and state.', labelNames: ['task', 'state'], registers });
    this.retries = new Counter({ name: 'tq_task_retries_total', help: 'Task attempts that failed and were scheduled to run again.', labelNames: ['task'], registers });
    this.deadLetters = new Counter({ name: 'tq_dead_letters_total', help: 'Messages moved to dead letters (rejected, or retries exhausted).', labelNames: ['queue'], registers });
    this.runtime = new Histogram({ name: 'tq_task_runtime_seconds', help: 'How long one task attempt ran.', labelNames: ['task'], buckets: RUNTIME_BUCKETS, registers });
    this.queueWait = new Histogram({ name: 'tq_task_queue_wait_seconds', help: 'From when a task could run (sent, or its eta) to when a worker started it.', labelNames: ['queue'], buckets: WAIT_BUCKETS, registers });
    const queueLabel = this.queueLabel;
    new Gauge({
      name: 'tq_queue_messages', help: 'Messages in a queue by state (ready, scheduled, leased, dead); a state the broker cannot count is left out.',
      labelNames: ['queue', 'state'], registers,
      async collect() {
        this.reset();
        for (const q of await options.gauges.queues()) {
          for (const state of DEPTH_STATES) if (q[state] !== null) this.set({ queue: queueLabel.value(q.queue), state }, q[state]);
        }
      },
    });
    new Gauge({
      name: 'tq_queue_oldest_message_age_seconds', help: 'Age of the oldest ready message in a queue.', labelNames: ['queue'], registers,
      async collect() {
        this.reset();
        for (const q of await options.gauges.queues()) if (q.oldestReadyAgeMs !== null) this.set({ queue: queueLabel.value(q.queue) }, q.oldestReadyAgeMs / 1000);
      },
    });
    new Gauge({
      name: 'tq_workers_online', help: 'Workers whose heartbeat is current.', registers,
      async collect() {
        const n = await options.gauges.workersOnline();
        if (n !== null) this.set(n);
      },
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  final(task: string | undefined, state: FinalState): void {
    this.tasks.inc({ task: this.taskLabel.value(task), state });
  }

  retried(task: string | undefined): void {
    this.retries.inc({ task: this.taskLabel.value(task) });
  }

  deadLettered(queue: string | undefined): void {
    this.deadLetters.inc({ queue: this.queueLabel.value(queue) });
  }

  ran(task: string | undefined, ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.runtime.observe({ task: this.taskLabel.value(task) }, ms / 1000);
  }

  waited(queue: string | undefined, ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) this.queueWait.observe({ queue: this.queueLabel.value(queue) }, ms / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
