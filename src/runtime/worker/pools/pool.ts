import type { RegisteredTask } from '../../discovery.js';
import type { TaskMessage } from '../../message.js';
import type { Cancellation } from '../cancellation.js';
import type { InvokeResult } from '../invoke.js';

export interface RunRequest {
  entry: RegisteredTask;
  message: TaskMessage;
  /** Aborted by the worker (revoke, cold shutdown, lost lease) or the pool (soft limit): the task should stop. */
  cancel: Cancellation;
  softLimitMs?: number;
  hardLimitMs?: number;
  onProgress(fraction: number, note?: string): void;
}

/**
 * Where task functions run. The worker's main thread keeps the broker, the
 * leases and the bookkeeping; a pool only runs functions. The worker never
 * asks a pool to run more than `size` at once.
 */
export interface Pool {
  readonly name: string;
  readonly size: number;
  /** Grows or shrinks the pool (pool_grow / pool_shrink); returns the new size. Shrinking never ends a running task. */
  resize(size: number): Promise<number>;
  /** Whether a running task can be ended by force (hard time limits, terminate). */
  readonly canKill: boolean;
  start(): Promise<void>;
  run(request: RunRequest): Promise<InvokeResult>;
  /** Ends the task by force where the pool can (its thread/child is replaced). */
  kill(taskId: string, reason: string): boolean;
  /** Stops the pool; running tasks are ended (their messages were handed back first). */
  close(): Promise<void>;
}

/** The warning every pool logs when a task's soft limit fires (the task itself may carry on). */
export function softLimitWarning(message: Pick<TaskMessage, 'task' | 'id'>, seconds: number): string {
  return `Task ${message.task}[${message.id}] passed its soft time limit (${seconds}s): its AbortSignal fired with SoftTimeLimitExceeded`;
}

export function softLimitError(seconds: number) {
  const error = new Error(`soft time limit (${seconds}s) exceeded`);
  error.name = 'SoftTimeLimitExceeded';
  return error;
}

export function hardLimitResult(ms: number): InvokeResult {
  return { ok: false, error: { name: 'TimeLimitExceeded', message: `hard time limit (${ms / 1000}s) exceeded: the task was ended` } };
}
