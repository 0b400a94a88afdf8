/**
 * One error hierarchy for all of tq. A `TqError` carries a stable `code` and
 * says whether the user can act on it (`userError`): the CLI prints those as one
 * line plus a hint, with no stack, and maps `code` to an exit code. Anything that
 * is not a `TqError` is a bug and is printed with its stack.
 */
export type TqErrorCode =
  | 'BAD_INPUT'
  | 'UNKNOWN_TASK'
  | 'BROKER_UNREACHABLE'
  | 'BROKER_CORRUPT'
  | 'BROKER_REFUSED'
  | 'CONFIG'
  | 'DISCOVERY'
  | 'MESSAGE_TOO_LARGE'
  | 'TIMEOUT'
  | 'TASK_FAILED'
  | 'UNKNOWN_ID'
  | 'DUPLICATE_ID'
  | 'LEASE_LOST'
  | 'NOT_SERIALIZABLE'
  | 'WORKER_ERROR';

export interface TqErrorOptions {
  hint?: string;
  cause?: unknown;
  userError?: boolean;
}

export class TqError extends Error {
  readonly code: TqErrorCode;
  readonly hint?: string;
  readonly userError: boolean;

  constructor(code: TqErrorCode, message: string, options: TqErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'TqError';
    this.code = code;
    this.hint = options.hint;
    this.userError = options.userError ?? true;
  }
}

/** Exit codes, documented in the README. Keep the two in step. */
export const EXIT_CODES: Record<TqErrorCode | 'OK' | 'BUG', number> = {
  OK: 0,
  BUG: 1,
  BAD_INPUT: 2,
  CONFIG: 2,
  UNKNOWN_TASK: 3,
  DISCOVERY: 3,
  BROKER_UNREACHABLE: 4,
  BROKER_CORRUPT: 4,
  BROKER_REFUSED: 4,
  MESSAGE_TOO_LARGE: 2,
  TIMEOUT: 5,
  TASK_FAILED: 6,
  UNKNOWN_ID: 7,
  DUPLICATE_ID: 2,
  LEASE_LOST: 1,
  NOT_SERIALIZABLE: 6,
  WORKER_ERROR: 8,
};

/** A plain, JSON-safe description of an error, as stored in a FAILURE result. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, stack: err.stack };
  }
  return { name: 'NonErrorThrown', message: safeString(err) };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Raised by `AsyncResult.get()` when the task ended in FAILURE. */
export class TaskFailedError extends TqError {
  readonly remote: SerializedError;
  constructor(taskId: string, remote: SerializedError) {
    super('TASK_FAILED', `task ${taskId} failed: ${remote.name}: ${remote.message}`);
    this.remote = remote;
  }
}
