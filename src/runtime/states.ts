import type { SerializedError } from './errors.js';

/**
 * A task's life: PENDING (queued, known) → STARTED (leased by a worker) →
 * SUCCESS | FAILURE | RETRY (queued or scheduled again) | REVOKED.
 * An id the backend never saw is UNKNOWN, never PENDING.
 */
export type TaskState = 'PENDING' | 'RECEIVED' | 'STARTED' | 'RETRY' | 'SUCCESS' | 'FAILURE' | 'REVOKED';

export const FINAL_STATES: ReadonlySet<TaskState> = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

export function isFinal(state: TaskState): boolean {
  return FINAL_STATES.has(state);
}

/** What the backend keeps about one task id. JSON-safe. */
export interface ResultRecord {
  id: string;
  task: string;
  state: TaskState;
  /** The return value, on SUCCESS. */
  result?: unknown;
  /** The error, on FAILURE, RETRY (the one that caused it) and REVOKED (the reason). */
  error?: SerializedError;
  /** Hostname of the worker that ran (or holds) it. */
  worker?: string;
  queue?: string;
  retries: number;
  /** ISO-8601 UTC timestamps. */
  enqueuedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** On RETRY: when the next attempt is due. */
  eta?: string | null;
  /** Last progress the task reported: 0..1 and a note. */
  progress?: { fraction: number; note?: string };
  /** The task that sent this one (a chain's previous step, a callback's parent); null for a first call. */
  parentId?: string | null;
  /** The first task of the workflow this one belongs to (its own id for a lone call). */
  rootId?: string;
  /** The group (or chord header) this task is a member of. */
  groupId?: string;
  /** What this task sent once it finished: the next chain step, callbacks, errbacks. */
  children?: string[];
}
