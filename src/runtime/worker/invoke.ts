import { RetryRequest, runInContext, type TaskContext } from '../context.js';
import { serializeError, type SerializedError } from '../errors.js';
import type { Logger } from '../log.js';
import type { TaskMessage } from '../message.js';
import type { Task } from '../task.js';
import type { Cancellation } from './cancellation.js';

/** What one attempt of a task came to, in a form that crosses threads and processes. */
export type InvokeResult =
  | { ok: true; value: unknown }
  | { ok: false; error: SerializedError; retryCountdown?: number; retryRequested?: boolean };

export interface InvokeContext {
  worker: string;
  cancel: Cancellation;
  log: Logger;
  onProgress(fraction: number, note?: string): void;
}

/**
 * Runs one attempt of a task's function in its context. Used in the worker's
 * own event loop (solo, async) and inside threads and child processes. Never
 * throws; the value is checked to survive JSON here, where it was made.
 */
export async function invokeTask(task: Task, message: TaskMessage, ic: InvokeContext): Promise<InvokeResult> {
  let log: Logger | undefined;
  const ctx: TaskContext = {
    id: message.id,
    name: message.task,
    retries: message.retries,
    args: message.args,
    kwargs: message.kwargs,
    queue: message.queue,
    worker: ic.worker,
    get signal() {
      return ic.cancel.signal; // made on first use
    },
    get log() {
      return (log ??= ic.log.child(message.task)); // made on first use, like the signal
    },
    progress: (fraction, note) => ic.onProgress(Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0, note),
    retry: (options = {}) => {
      throw new RetryRequest(options.countdown, options.error);
    },
  };
  // kwargs, when given, arrive as one extra last argument (an options object).
  const args = Object.keys(message.kwargs).length > 0 ? [...message.args, message.kwargs] : message.args;
  try {
    const value = await runInContext(ctx, () => task.fn(...args));
    const problem = jsonProblem(value);
    return problem ? { ok: false, error: problem } : { ok: true, value: value === undefined ? null : value };
  } catch (err) {
    if (err instanceof RetryRequest) {
      const error = err.original === undefined ? { name: 'Retry', message: 'retry requested' } : serializeError(err.original);
      return { ok: false, error, retryRequested: true, retryCountdown: err.countdown };
    }
    return { ok: false, error: serializeError(err) };
  }
}

/** A result must survive JSON; say why when it cannot (BigInt, cycles, functions). */
function jsonProblem(value: unknown): SerializedError | null {
  try {
    if (typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`a ${typeof value} is not JSON`);
    JSON.stringify(value);
    return null;
  } catch (err) {
    return { name: 'NotSerializable', message: `the task's return value cannot be stored as JSON: ${(err as Error).message}` };
  }
}
