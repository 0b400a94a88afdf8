import { randomUUID } from 'node:crypto';
import type { Broker } from './brokers/broker.js';
import { isOnline, type ControlCommand, type ControlReply } from './cluster.js';

export interface BroadcastOptions {
  /** Hostnames that should answer; empty or absent: every worker. */
  destination?: string[];
  /** How long to wait for replies (default 1 s); returns sooner once every expected worker answered. */
  timeoutMs?: number;
}

/** Sends a control command to the workers on this broker and gathers their replies. */
export async function broadcast(broker: Broker, command: ControlCommand, options: BroadcastOptions = {}): Promise<ControlReply[]> {
  const destination = options.destination ?? [];
  const online = (await broker.listHeartbeats()).filter((hb) => isOnline(hb)).map((hb) => hb.hostname);
  const expected = destination.length > 0 ? destination.length : online.length;
  const id = randomUUID();
  await broker.publishControl({ id, command, destination, sentAt: new Date().toISOString() });
  const replies = await broker.collectReplies(id, options.timeoutMs ?? 1000, expected || undefined);
  return replies.sort((a, b) => a.hostname.localeCompare(b.hostname));
}

/** How long a revocation is remembered in the broker. */
export const REVOKE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Revokes tasks everywhere: stored in the broker first (queued messages are
 * removed and recorded REVOKED; every id is remembered, so a worker that is
 * offline now still never runs it), then broadcast to running workers, which
 * drop prefetched copies and, with `terminate`, end running ones.
 */
export async function revokeTasks(broker: Broker, ids: string[], options: { terminate?: boolean; timeoutMs?: number } = {}) {
  const removedFromQueue = await broker.revoke(ids, REVOKE_TTL_MS, options.terminate ? 'revoked (terminate)' : 'revoked');
  // Workers report the revocations they carry out; these never reached a worker, so say it here.
  const at = new Date().toISOString();
  await broker.appendEvents(removedFromQueue.map((taskId) => ({ type: 'task-revoked' as const, at, taskId, data: { reason: 'revoked while queued' } })));
  const replies = await broadcast(broker, { verb: 'revoke', ids, terminate: options.terminate ?? false }, { timeoutMs: options.timeoutMs ?? 1000 });
  return { removedFromQueue, replies };
}
