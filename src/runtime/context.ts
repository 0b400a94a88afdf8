import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './log.js';

/** What a running task can reach through `currentTask()`. */
export interface TaskContext {
  id: string;
  name: string;
  /** How many times this task was retried before this attempt. */
  retries: number;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  queue: string;
  /** Hostname of the worker running it. */
  worker: string;
  /** Fires when the task should stop: soft time limit, revoke, cold shutdown. */
  signal: AbortSignal;
  log: Logger;
  /** Reports progress (0..1) and a short note; shown by `tq result` and the TUI. */
  progress(fraction: number, note?: string): void;
  /**
   * Asks for this task to run again later, and ends this attempt: throws a
   * RetryRequest the worker recognises. `countdown` in seconds overrides the backoff.
   */
  retry(options?: { countdown?: number; error?: unknown }): never;
}

/** Thrown by `currentTask().retry()`; the worker reschedules instead of failing. */
export class RetryRequest extends Error {
  constructor(
    readonly countdown: number | undefined,
    readonly original: unknown,
  ) {
    super(original instanceof Error ? original.message : 'retry requested');
    this.name = 'Retry';
  }
}

/**
 * One store per process, not per module instance: task files may get their
 * own copy of the `tq` module (the TypeScript loader isolates what it loads,
 * and a project may hold a second install), and `currentTask()` there must see
 * the context the worker set here.
 */
const STORE_KEY = Symbol.for('tq.task-context');
const storage: AsyncLocalStorage<TaskContext> = ((globalThis as Record<symbol, unknown>)[STORE_KEY] ??= new AsyncLocalStorage<TaskContext>()) as AsyncLocalStorage<TaskContext>;

/**
 * The context of the task running in this async call chain. Throws outside a
 * task, so a helper that needs it fails loudly rather than silently doing nothing.
 */
export function currentTask(): TaskContext {
  const ctx = storage.getStore();
  if (!ctx) throw new Error('currentTask() was called outside a running task');
  return ctx;
}

export function runInContext<T>(ctx: TaskContext, fn: () => T): T {
  return storage.run(ctx, fn);
}
