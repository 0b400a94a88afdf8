import { broadcast, type BroadcastReply } from './broadcast.js';
import type { Stores } from './brokers/index.js';
import { isoNow } from './iso-time.js';
import type { ResultRecord } from './states.js';

/** How long a revocation is remembered in the backend. */
export const REVOKE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Revokes tasks everywhere: stored first (every id is remembered for a day,
 * so a worker that is offline now still never runs it; messages still
 * waiting are removed and recorded REVOKED), then broadcast to running
 * workers, which drop prefetched copies and, with `terminate`, end running
 * ones. On one store, removing and recording are one atomic step; on a split
 * deployment the backend remembers the ids before the broker removes
 * anything, and a broker that cannot remove by id (RabbitMQ) leaves the
 * message to the worker that receives it, which skips and records it.
 */
export async function revokeTasks(stores: Stores, ids: string[], options: { terminate?: boolean; timeoutMs?: number } = {}): Promise<{ removedFromQueue: string[]; replies: BroadcastReply[] }> {
  const reason = options.terminate ? 'revoked (terminate)' : 'revoked';
  const removedFromQueue = stores.fused ? await stores.fused.revoke(ids, REVOKE_TTL_MS, reason) : await revokeSplit(stores, ids, reason);
  // Workers report the revocations they carry out; these never reached a worker, so say it here.
  const at = isoNow();
  await stores.backend.appendEvents(removedFromQueue.map((taskId) => ({ type: 'task-revoked' as const, at, taskId, data: { reason: 'revoked while queued' } })));
  const replies = await broadcast(stores.backend, { verb: 'revoke', ids, terminate: options.terminate ?? false }, { timeoutMs: options.timeoutMs ?? 1000 });
  return { removedFromQueue, replies };
}

async function revokeSplit(stores: Stores, ids: string[], reason: string): Promise<string[]> {
  await stores.backend.rememberRevoked(ids, REVOKE_TTL_MS);
  const removed = await stores.broker.removeWaiting(ids);
  for (const id of removed) await stores.backend.storeResult(revokedRecord(id, '', reason));
  return removed;
}

/** The record of a task taken out of its queue before it ran (revoked, purged). */
export function revokedRecord(id: string, task: string, reason: string, queue?: string): ResultRecord {
  return { id, task, queue, state: 'REVOKED', retries: 0, error: { name: 'Revoked', message: reason }, finishedAt: isoNow() };
}
