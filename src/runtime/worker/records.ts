import { peekMessage, truncate, type TaskMessage } from '../message.js';
import type { ResultRecord } from '../states.js';
import type { Outcome } from './outcome.js';
import { isoAt, isoNow } from '../iso-time.js';

/** The backend record an outcome stores (null: nothing to store). */
export function recordFor(outcome: Outcome, worker: string, startedAt: number | undefined, ignoreResult = false): ResultRecord | null {
  const now = isoNow();
  const base = (m: TaskMessage): ResultRecord => ({
    id: m.id,
    task: m.task,
    state: 'PENDING',
    queue: m.queue,
    retries: m.retries,
    worker,
    startedAt: startedAt ? isoAt(startedAt) : undefined,
    finishedAt: now,
    ...lineageOf(m),
  });
  switch (outcome.kind) {
    case 'success':
      return ignoreResult ? { ...base(outcome.message), state: 'SUCCESS' } : { ...base(outcome.message), state: 'SUCCESS', result: outcome.value };
    case 'failure':
      return { ...base(outcome.message), state: 'FAILURE', error: outcome.error };
    case 'retry':
      return {
        ...base(outcome.message),
        state: 'RETRY',
        error: outcome.error,
        eta: new Date(Date.now() + outcome.delayMs).toISOString(),
        finishedAt: undefined,
      };
    case 'revoked':
      return { ...base(outcome.message), state: 'REVOKED', error: { name: 'Revoked', message: outcome.reason } };
    case 'reject': {
      const error = { name: 'Rejected', message: outcome.reason };
      if (outcome.message) return { ...base(outcome.message), state: 'FAILURE', error };
      // Its body's id cannot be trusted (it may be another task's); the delivery's is the one a waiter waits on.
      if (!outcome.delivery) return null;
      const { id, queue, body } = outcome.delivery;
      return { id, task: truncate(peekMessage(body).task, 200), state: 'FAILURE', queue, retries: 0, worker, finishedAt: now, error };
    }
  }
}

/** Short, single-line summary of a value for log lines. */
export function summarize(value: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Where a task sits in its workflow, for its record: only what a lone call
 * does not have (its own id as root, no parent, no group), so the records of
 * plain tasks, the hot path, stay as small as they were.
 */
export function lineageOf(m: TaskMessage): Pick<ResultRecord, 'parentId' | 'rootId' | 'groupId'> {
  const groupId = m.group?.id ?? m.chord?.id;
  if (m.parentId === null && m.rootId === m.id && groupId === undefined) return {};
  return { parentId: m.parentId, rootId: m.rootId, groupId };
}
