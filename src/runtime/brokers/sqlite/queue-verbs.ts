import type { TqEvent } from '../../cluster.js';
import type { Envelope } from '../../message.js';
import type { ResultRecord } from '../../states.js';
import { PURGE_REASON, type PurgedTask, type ReadyTaskCount } from '../broker.js';
import { revokedRecord } from './pending-record.js';
import type { Statements } from './statements.js';

/** Events per stored row when one call appends many (a purge): the size of a busy worker's batches. */
const EVENTS_PER_ROW = 500;

/**
 * Inside a transaction: inserts the messages whose ids are new (no message,
 * no stored result, not earlier in this call). Returns the ids not inserted,
 * as Broker.enqueue says, and the ids that were (a message already queued
 * with the very same body counts as inserted).
 */
export function insertNew(st: Statements, envelopes: readonly Envelope[], now: number): { skipped: string[]; added: Set<string> } {
  const skipped: string[] = [];
  const added = new Set<string>();
  for (const e of envelopes) {
    const due = e.etaMs ?? now;
    const fresh = !added.has(e.id) && st.insertNew.run(e.id, e.queue, e.priority, due > now ? 'scheduled' : 'ready', due, e.body, now, e.id, now).changes > 0;
    if (fresh || (!added.has(e.id) && st.sameBody.get(e.id, e.body))) added.add(e.id);
    else skipped.push(e.id);
  }
  return { skipped, added };
}

/**
 * Inside a transaction: deletes the ready messages of `queues`, stores each
 * one's REVOKED record (reason PURGE_REASON) and appends its task-revoked
 * event, all in the caller's transaction. Returns what it removed per queue.
 */
export function purgeQueues(
  st: Statements,
  queues: readonly string[],
  now: number,
  storeResult: (record: ResultRecord, now: number) => void,
  appendEvents: (events: readonly TqEvent[]) => void,
): Record<string, PurgedTask[]> {
  const at = new Date(now).toISOString();
  const removedPerQueue: Record<string, PurgedTask[]> = {};
  for (const queue of queues) {
    const removed = st.purge.all(queue) as { id: string; task: string }[];
    for (const { id, task } of removed) storeResult(revokedRecord(id, task, queue, PURGE_REASON), now);
    const events: TqEvent[] = removed.map(({ id, task }) => ({ type: 'task-revoked', at, taskId: id, task, queue, data: { reason: PURGE_REASON } }));
    for (let i = 0; i < events.length; i += EVENTS_PER_ROW) appendEvents(events.slice(i, i + EVENTS_PER_ROW));
    removedPerQueue[queue] = removed;
  }
  return removedPerQueue;
}

/** Broker.peekReady: one statement per queue, a read only. */
export function peekReady(st: Statements, queues: readonly string[], max: number): ReadyTaskCount[] {
  return queues.flatMap((queue) => (st.peekReady.all(queue, max) as { task: string; n: number }[]).map((r) => ({ queue, task: r.task, count: r.n })));
}
