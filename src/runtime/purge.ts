import type { Stores } from './brokers/index.js';
import { PURGE_REASON } from './brokers/broker.js';
import type { TqEvent } from './cluster.js';
import { isoNow } from './iso-time.js';
import { revokedRecord } from './revoke.js';

/**
 * Removes the waiting (ready) messages of `queues` and records each removed
 * task REVOKED (reason 'purged') with a task-revoked event, so its waiters
 * learn it at once. On one store that is the purge's own atomic step; on a
 * split deployment the records go to the backend right after. Returns how
 * many were removed per queue.
 */
export async function purgeQueues(stores: Stores, queues: readonly string[]): Promise<Record<string, number>> {
  const removed = await stores.broker.purge(queues);
  if (!stores.fused) {
    const at = isoNow();
    const events: TqEvent[] = [];
    for (const [queue, tasks] of Object.entries(removed)) {
      for (const { id, task } of tasks) {
        await stores.backend.storeResult(revokedRecord(id, task, PURGE_REASON, queue));
        events.push({ type: 'task-revoked', at, taskId: id, task, queue, data: { reason: PURGE_REASON } });
      }
    }
    if (events.length > 0) await stores.backend.appendEvents(events);
  }
  return Object.fromEntries(Object.entries(removed).map(([queue, tasks]) => [queue, tasks.length]));
}
