import { peekMessage } from '../../message.js';
import type { ResultRecord } from '../../states.js';

/** A message row as `getResult` reads it when no result is stored yet. */
export interface MessageRow {
  id: string;
  queue: string;
  state: string;
  holder: string | null;
  leased_at: number | null;
  enqueued_at: number;
  available_at: number;
  body: string;
}

/** PENDING while queued or scheduled; STARTED, with its holder, while leased. */
export function pendingRecord(msg: MessageRow, now: number): ResultRecord {
  const leased = msg.state === 'leased' && msg.available_at > now;
  const { task, retries } = peekMessage(msg.body);
  return {
    id: msg.id,
    task,
    state: leased ? 'STARTED' : 'PENDING',
    queue: msg.queue,
    retries,
    worker: leased ? (msg.holder ?? undefined) : undefined,
    enqueuedAt: new Date(msg.enqueued_at).toISOString(),
    startedAt: leased && msg.leased_at ? new Date(msg.leased_at).toISOString() : undefined,
    eta: msg.state === 'scheduled' ? new Date(msg.available_at).toISOString() : undefined,
  };
}


/** The record of a task taken out of its queue before it ran (revoked, purged). */
export function revokedRecord(id: string, task: string, queue: string, reason: string): ResultRecord {
  return { id, task, queue, state: 'REVOKED', retries: 0, error: { name: 'Revoked', message: reason }, finishedAt: new Date().toISOString() };
}
