import type { SerializedError } from '../errors.js';
import { summarize } from '../worker/records.js';
import type { Outcome } from '../worker/outcome.js';
import type { Worker } from '../worker/worker.js';
import { addAt, emptyWindow, perSecond, series, type RateWindow } from './rate-window.js';

export type FinishedState = 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED' | 'REJECTED';

export interface RunningTask {
  id: string;
  name: string;
  /** Arguments, short: at most ~40 characters of JSON. */
  args: string;
  startedAt: number;
  progress?: { fraction: number; note?: string };
}

/** One line of the dashboard's log: a finished task, a log line, or how many were left out. */
export type LogItem =
  | { seq: number; kind: 'task'; id: string; name: string; state: FinishedState; runtimeMs?: number; detail: string }
  | { seq: number; kind: 'line'; text: string; level: 'debug' | 'info' | 'warn' | 'error' }
  | { seq: number; kind: 'skipped'; count: number };

export interface ErrorItem {
  id: string;
  name: string;
  at: number;
  error: SerializedError;
}

export interface ActivitySnapshot {
  running: RunningTask[];
  /** Held in the prefetch buffer, not started. */
  reserved: number;
  counters: { received: number; succeeded: number; failed: number; retried: number };
  tasksPerSecond: number;
  /** Finished tasks per second over the last minute, oldest first. */
  sparkline: number[];
  /** Log items since the previous snapshot (at most LOG_ITEMS_PER_SNAPSHOT, then one 'skipped'). */
  newLog: LogItem[];
  errors: ErrorItem[];
}

/** Items printed per redraw at most: a fast worker must not spend its time writing to the terminal. */
export const LOG_ITEMS_PER_SNAPSHOT = 20;
const ERRORS_KEPT = 3;

/**
 * What the worker dashboard shows, gathered from a Worker's events. Listening
 * costs O(1) per task (a map entry and a counter); everything the screen
 * needs is folded together in `snapshot()`, which the UI calls at most 10×/s.
 */
export class WorkerActivity {
  private readonly running = new Map<string, RunningTask>();
  private pendingLog: LogItem[] = [];
  private skipped = 0;
  private seq = 0;
  private finishedSinceSnapshot = 0;
  private window: RateWindow;
  private readonly errors: ErrorItem[] = [];
  private readonly detach: () => void;

  constructor(
    private readonly worker: Worker,
    private readonly clock: () => number = Date.now,
  ) {
    this.window = emptyWindow(clock());
    const received = (m: { id: string; task: string; args: unknown[] }) =>
      this.running.set(m.id, { id: m.id, name: m.task, args: summarize(m.args, 40), startedAt: this.clock() });
    const progress = (m: { id: string }, fraction: number, note?: string) => {
      const task = this.running.get(m.id);
      if (task) task.progress = { fraction, note };
    };
    const finished = (outcome: Outcome, accepted: boolean) => this.onFinished(outcome, accepted);
    worker.on('task-received', received);
    worker.on('task-progress', progress);
    worker.on('task-finished', finished);
    this.detach = () => {
      worker.off('task-received', received);
      worker.off('task-progress', progress);
      worker.off('task-finished', finished);
    };
  }

  /** A log line for the dashboard's log (the worker's logger writes here while the dashboard runs). */
  addLine(text: string, level: 'debug' | 'info' | 'warn' | 'error'): void {
    this.push({ seq: 0, kind: 'line', text, level });
  }

  snapshot(): ActivitySnapshot {
    const now = this.clock();
    if (this.finishedSinceSnapshot > 0) this.window = addAt(this.window, now, this.finishedSinceSnapshot);
    this.finishedSinceSnapshot = 0;
    const newLog = this.pendingLog;
    if (this.skipped > 0) newLog.push({ seq: ++this.seq, kind: 'skipped', count: this.skipped });
    this.pendingLog = [];
    this.skipped = 0;
    const c = this.worker.counters;
    return {
      running: [...this.running.values()].sort((a, b) => a.startedAt - b.startedAt),
      reserved: this.worker.buffer.length,
      counters: { received: c.received, succeeded: c.succeeded, failed: c.failed, retried: c.retried },
      tasksPerSecond: perSecond(this.window, now, 5),
      sparkline: series(this.window, now),
      newLog,
      errors: [...this.errors],
    };
  }

  close(): void {
    this.detach();
  }

  private onFinished(outcome: Outcome, accepted: boolean): void {
    const m = outcome.message;
    if (m) this.running.delete(m.id);
    this.finishedSinceSnapshot++;
    const id = m?.id ?? '?';
    const name = m?.task ?? 'message';
    const late = accepted ? '' : ' (lease lost; outcome discarded)';
    switch (outcome.kind) {
      case 'success':
        return this.push({ seq: 0, kind: 'task', id, name, state: 'SUCCESS', runtimeMs: outcome.runtimeMs, detail: summarize(outcome.value, 60) + late });
      case 'failure':
        this.recordError(id, name, outcome.error);
        return this.push({ seq: 0, kind: 'task', id, name, state: 'FAILURE', runtimeMs: outcome.runtimeMs, detail: `${outcome.error.name}: ${outcome.error.message}${late}` });
      case 'retry':
        this.recordError(id, name, outcome.error);
        return this.push({ seq: 0, kind: 'task', id, name, state: 'RETRY', runtimeMs: outcome.runtimeMs, detail: `retry in ${(outcome.delayMs / 1000).toFixed(1)}s: ${outcome.error.message}${late}` });
      case 'revoked':
        return this.push({ seq: 0, kind: 'task', id, name, state: 'REVOKED', detail: outcome.reason + late });
      case 'reject':
        return this.push({ seq: 0, kind: 'task', id, name, state: 'REJECTED', detail: outcome.reason + late });
    }
  }

  private recordError(id: string, name: string, error: SerializedError): void {
    this.errors.unshift({ id, name, at: this.clock(), error });
    this.errors.length = Math.min(this.errors.length, ERRORS_KEPT);
  }

  private push(item: LogItem): void {
    if (this.pendingLog.length >= LOG_ITEMS_PER_SNAPSHOT) {
      this.skipped++;
      return;
    }
    this.pendingLog.push({ ...item, seq: ++this.seq });
  }
}
