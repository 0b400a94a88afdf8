import type { QueueStats } from './brokers/broker.js';
import type { Stores } from './brokers/index.js';
import { isOnline, type WorkerHeartbeat } from './cluster.js';

/**
 * Queue depths as monitors show them, on every broker: the broker's own
 * counts, for the queues it knows and the ones online workers consume; where
 * the broker cannot count leased messages (RabbitMQ's protocol tells no
 * unacked counts), the sum of what online workers say they hold of each
 * queue (their heartbeats, at most a couple of seconds old).
 */
export async function queueStats(stores: Stores, heartbeats: readonly WorkerHeartbeat[], now = Date.now()): Promise<QueueStats[]> {
  const online = heartbeats.filter((hb) => isOnline(hb, now));
  let stats = await stores.broker.stats();
  if (!stores.broker.keepsState) {
    const listed = new Set(stats.map((s) => s.queue));
    const missing = [...new Set(online.flatMap((hb) => hb.queues))].filter((q) => !listed.has(q));
    if (missing.length > 0) stats = [...stats, ...(await stores.broker.stats(missing))].sort((a, b) => a.queue.localeCompare(b.queue));
  }
  return stats.map((s) => (s.leased === null ? { ...s, leased: heldIn(online, s.queue) } : s));
}

function heldIn(heartbeats: readonly WorkerHeartbeat[], queue: string): number | null {
  const known = heartbeats.filter((hb) => hb.held !== undefined);
  return known.length === 0 ? null : known.reduce((n, hb) => n + (hb.held![queue] ?? 0), 0);
}

/** The messages a queue holds in all (what a null count leaves out). */
export function depthOf(s: QueueStats): number {
  return s.ready + (s.scheduled ?? 0) + (s.leased ?? 0) + s.dead;
}
