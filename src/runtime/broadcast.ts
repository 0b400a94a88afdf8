import { randomUUID } from 'node:crypto';
import type { Backend } from './brokers/backend.js';
import { HEARTBEAT_INTERVAL_MS, isOnline, MISSED_HEARTBEATS_OFFLINE, type ControlCommand, type ControlReply } from './cluster.js';

export interface BroadcastOptions {
  /** Hostnames that should answer; empty or absent: every worker online. */
  destination?: string[];
  /** How long to wait for replies (default 1 s); returns sooner once every expected worker answered. */
  timeoutMs?: number;
}

/**
 * A reply, or a stand-in for a worker that was expected and did not answer
 * (`noReply`, with `data` saying why), so no caller can take silence for
 * success.
 */
export interface BroadcastReply extends ControlReply {
  noReply?: true;
}

/**
 * Sends a control command to the workers of this backend and gathers their
 * replies. Who is expected: the destination's workers that are online, or
 * else every worker online (by heartbeat). It returns as soon as each of
 * them answered, or at the timeout; a named worker that is not online is
 * reported at once without waiting for it, and when nobody expected is
 * online nothing is sent and nothing waited for (the reply list is empty).
 */
export async function broadcast(backend: Backend, command: ControlCommand, options: BroadcastOptions = {}): Promise<BroadcastReply[]> {
  const destination = options.destination ?? [];
  const timeoutMs = options.timeoutMs ?? 1000;
  const online = new Set((await backend.listHeartbeats()).filter((hb) => isOnline(hb)).map((hb) => hb.hostname));
  const expected = destination.length > 0 ? destination.filter((h) => online.has(h)) : [...online];
  const id = randomUUID();
  const notOnline = destination.filter((h) => !online.has(h)).map((h) => stand(id, h, `not online: no heartbeat in the last ${(HEARTBEAT_INTERVAL_MS * MISSED_HEARTBEATS_OFFLINE) / 1000} s`));
  if (expected.length === 0) return notOnline;
  await backend.publishControl({ id, command, destination, sentAt: new Date().toISOString() });
  const deadline = Date.now() + timeoutMs;
  let replies = await backend.collectReplies(id, timeoutMs, expected.length);
  // A worker that came online after the heartbeats were read may have answered in an expected one's place.
  for (;;) {
    const missing = expected.filter((h) => !replies.some((r) => r.hostname === h)).length;
    const left = deadline - Date.now();
    if (missing === 0 || left <= 0) break;
    replies = await backend.collectReplies(id, left, replies.length + missing);
  }
  const silent = expected.filter((h) => !replies.some((r) => r.hostname === h)).map((h) => stand(id, h, `no reply within ${timeoutMs / 1000} s`));
  return [...replies, ...silent, ...notOnline].sort((a, b) => a.hostname.localeCompare(b.hostname));
}

function stand(requestId: string, hostname: string, why: string): BroadcastReply {
  return { requestId, hostname, ok: false, data: why, noReply: true };
}
