import type { RegisteredTask } from '../discovery.js';
import type { SerializedError } from '../errors.js';
import type { Reservation } from '../brokers/broker.js';
import type { TaskMessage } from '../message.js';
import type { InvokeResult } from './invoke.js';
import { decideFailure } from './policy.js';

/** What running one delivered message came to; the worker turns it into one broker call. */
export type Outcome =
  | { kind: 'success'; message: TaskMessage; value: unknown; runtimeMs: number }
  /** `exhausted`: a retry policy ran out, so the message also goes to dead letters. */
  | { kind: 'failure'; message: TaskMessage; error: SerializedError; runtimeMs: number; exhausted: boolean }
  | { kind: 'retry'; message: TaskMessage; error: SerializedError; delayMs: number; runtimeMs: number }
  | { kind: 'revoked'; message: TaskMessage; reason: string }
  /**
   * Not a task we can run at all: dead-lettered with the reason, and stored
   * FAILURE ('Rejected'). `message` is null when the body did not decode; the
   * record then goes under the id of `delivery`.
   */
  | { kind: 'reject'; message: TaskMessage | null; reason: string; delivery?: Pick<Reservation, 'id' | 'queue' | 'body'> };

/**
 * An outcome the broker never stored: every try failed (the broker away, or
 * refusing writes) for a whole lease. `runsAgain`: the message is still in the
 * broker and runs again once its lease lapses (false for a task acked before it ran).
 */
export interface Unstored {
  error: unknown;
  runsAgain: boolean;
}

/** What one attempt's result means, given the task's retry policy. */
export function toOutcome(result: InvokeResult, entry: RegisteredTask, message: TaskMessage, runtimeMs: number): Outcome {
  if (result.ok) return { kind: 'success', message, value: result.value, runtimeMs };
  const decision = decideFailure(entry.task.options, message.retries, result.error, { requested: result.retryRequested ?? false, countdown: result.retryCountdown });
  if (decision.retry) return { kind: 'retry', message, error: result.error, delayMs: decision.delayMs, runtimeMs };
  return { kind: 'failure', message, error: result.error, runtimeMs, exhausted: decision.exhausted };
}
