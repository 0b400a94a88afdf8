import { runInContext, type TaskContext } from '../context.js';
import { serializeError, type SerializedError } from '../errors.js';
import type { Logger } from '../log.js';
import { decodeMessage, type TaskMessage } from '../message.js';
import type { TaskRegistry } from '../discovery.js';
import type { Reservation } from '../brokers/broker.js';
import type { Outcome } from './outcome.js';

export interface ExecuteOptions {
  registry: TaskRegistry;
  hostname: string;
  maxMessageBytes: number;
  log: Logger;
  signal: AbortSignal;
  onProgress(message: TaskMessage, fraction: number, note?: string): void;
  /** Called once the message is decoded and about to run. */
  onStart(message: TaskMessage): void;
}

/**
 * Decodes one delivery and runs its task in the event loop (the solo and async
 * pools). Never throws: every path ends in an Outcome, so a bad message or a
 * bad task can never take the worker down.
 */
export async function execute(delivery: Reservation, options: ExecuteOptions): Promise<Outcome> {
  const decoded = decodeMessage(delivery.body, options.maxMessageBytes);
  if (!decoded.ok) return { kind: 'reject', message: null, reason: `malformed message: ${decoded.reason}` };
  const message = decoded.message;
  const entry = options.registry.get(message.task);
  if (!entry) return { kind: 'reject', message, reason: `unknown task '${message.task}': not registered on ${options.hostname}` };
  if (message.expires && Date.parse(message.expires) <= Date.now()) {
    return { kind: 'revoked', message, reason: `expired at ${message.expires}` };
  }

  options.onStart(message);
  const ctx: TaskContext = {
    id: message.id,
    name: message.task,
    retries: message.retries,
    args: message.args,
    kwargs: message.kwargs,
    queue: message.queue,
    worker: options.hostname,
    signal: options.signal,
    log: options.log.child(message.task),
    progress: (fraction, note) => options.onProgress(message, clamp(fraction), note),
  };
  // kwargs, when given, arrive as one extra last argument (an options object).
  const args = Object.keys(message.kwargs).length > 0 ? [...message.args, message.kwargs] : message.args;
  const started = performance.now();
  try {
    const value = await runInContext(ctx, () => entry.task.fn(...args));
    const runtimeMs = performance.now() - started;
    const problem = jsonProblem(value);
    if (problem) return { kind: 'failure', message, error: problem, runtimeMs };
    return { kind: 'success', message, value: value === undefined ? null : value, runtimeMs };
  } catch (err) {
    const runtimeMs = performance.now() - started;
    const error = serializeError(err);
    const maxRetries = entry.task.options.retries ?? 0;
    if (message.retries < maxRetries) {
      const delayMs = (entry.task.options.retryDelay ?? 1) * 1000;
      return { kind: 'retry', message, error, delayMs, runtimeMs };
    }
    return { kind: 'failure', message, error, runtimeMs };
  }
}

/** A result must survive JSON; say why when it cannot (BigInt, cycles, functions at top level). */
function jsonProblem(value: unknown): SerializedError | null {
  try {
    if (typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`a ${typeof value} is not JSON`);
    JSON.stringify(value);
    return null;
  } catch (err) {
    return { name: 'NotSerializable', message: `the task's return value cannot be stored as JSON: ${(err as Error).message}` };
  }
}

function clamp(n: number): number {
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
}
