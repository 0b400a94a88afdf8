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
  const queues = await brokerQueues(stores, online);
  const stats = await stores.broker.stats(queues);
  return stats.map((s) => (s.leased === null ? { ...s, leased: heldIn(online, s.queue) } : s));
}

/**
 * The queues to ask a broker about: undefined (every one it knows) for a
 * broker that lists its queues; else those registered in the backend and
 * those online workers consume.
 */
export async function brokerQueues(stores: Stores, heartbeats?: readonly WorkerHeartbeat[]): Promise<string[] | undefined> {
  if (stores.broker.keepsState) return undefined;
  const consumed = (heartbeats ?? (await stores.backend.listHeartbeats()).filter((hb) => isOnline(hb))).flatMap((hb) => hb.queues);
  return [...new Set([...(await stores.backend.knownQueues()), ...consumed])].sort();
}

const registered = new WeakMap<Stores, Set<string>>();

/** Registers queue names in the backend once per process, for a broker that cannot list its queues. */
export async function registerQueues(stores: Stores, queues: Iterable<string>): Promise<void> {
  if (stores.broker.keepsState) return;
  let known = registered.get(stores);
  if (!known) registered.set(stores, (known = new Set()));
  const fresh = [...new Set(queues)].filter((q) => !known.has(q));
  if (fresh.length === 0) return;
  await stores.backend.registerQueues(fresh);
  for (const q of fresh) known.add(q);
}

function heldIn(heartbeats: readonly WorkerHeartbeat[], queue: string): number | null {
  const known = heartbeats.filter((hb) => hb.held !== undefined);
  return known.length === 0 ? null : known.reduce((n, hb) => n + (hb.held![queue] ?? 0), 0);
}

/** The messages a queue holds in all (what a null count leaves out). */
export function depthOf(s: QueueStats): number {
  return s.ready + (s.scheduled ?? 0) + (s.leased ?? 0) + s.dead;
}
