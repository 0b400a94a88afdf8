import type { SerializedError } from '../errors.js';
import type { TaskMessage } from '../message.js';

/** What running one delivered message came to; the worker turns it into one broker call. */
export type Outcome =
  | { kind: 'success'; message: TaskMessage; value: unknown; runtimeMs: number }
  /** `exhausted`: a retry policy ran out, so the message also goes to dead letters. */
  | { kind: 'failure'; message: TaskMessage; error: SerializedError; runtimeMs: number; exhausted: boolean }
  | { kind: 'retry'; message: TaskMessage; error: SerializedError; delayMs: number; runtimeMs: number }
  | { kind: 'revoked'; message: TaskMessage; reason: string }
  /** Not a task we can run at all: dead-lettered with the reason. */
  | { kind: 'reject'; message: TaskMessage | null; reason: string };
