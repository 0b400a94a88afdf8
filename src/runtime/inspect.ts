import type { QueueStats } from './brokers/broker.js';
import type { Stores } from './brokers/index.js';
import { brokerQueues, depthOf, queueStats } from './queue-stats.js';
import { broadcast } from './broadcast.js';
import { isOnline, type ControlCommand, type WorkerHeartbeat } from './cluster.js';
import { TqError } from './errors.js';
import { peekMessage } from './message.js';

/** Verbs answered by the workers (broadcast) — the rest the broker answers alone. */
export const WORKER_VERBS = ['active', 'reserved', 'registered', 'stats', 'ping', 'revoked', 'active_queues', 'query_task'] as const;
export const BROKER_VERBS = ['scheduled', 'queues', 'dead'] as const;
export type InspectVerb = (typeof WORKER_VERBS)[number] | (typeof BROKER_VERBS)[number];

export interface InspectOptions {
  ids?: string[];
  destination?: string[];
  timeoutMs?: number;
}

/**
 * Per-worker answers for worker verbs; one answer under the broker's name for broker verbs.
 * `noReply`: a worker that was expected and did not answer (`data` says why).
 */
export type InspectAnswer = { source: string; ok: boolean; data: unknown; noReply?: boolean }[];

/** Listings of dead and scheduled messages say which task each one is for, as far as its body can be read (null: it cannot). */
export type Named<T> = T & { task: string | null };

export async function inspect(stores: Stores, verb: InspectVerb, options: InspectOptions = {}): Promise<InspectAnswer> {
  const { broker } = stores;
  switch (verb) {
    case 'queues': {
      const heartbeats = await stores.backend.listHeartbeats();
      return [{ source: broker.displayUrl, ok: true, data: queuesInUse(await queueStats(stores, heartbeats), heartbeats) }];
    }
    case 'dead':
      return [{ source: broker.displayUrl, ok: true, data: (await broker.listDead(100, await brokerQueues(stores))).map(named) }];
    case 'scheduled':
      // Delayed messages live in the broker, not in workers, so the broker answers.
      return [{ source: broker.displayUrl, ok: true, data: (await broker.listScheduled(100)).map(named) }];
    default: {
      if (verb === 'query_task' && (options.ids ?? []).length === 0) throw new TqError('BAD_INPUT', 'query_task needs one or more task ids');
      const command = (verb === 'query_task' ? { verb, ids: options.ids! } : { verb }) as ControlCommand;
      const replies = await broadcast(stores.backend, command, options);
      return replies.map((r) => ({ source: r.hostname, ok: r.ok, data: r.data, noReply: r.noReply }));
    }
  }
}

/**
 * The queues worth showing, the same on every broker: each one that holds a
 * message (ready, scheduled, leased or dead) or that an online worker
 * consumes. On a broker that cannot count a queue's delayed messages
 * (RabbitMQ: they wait in the shared delay ladder), every queue in use is
 * shown, since it may hold some. Brokers differ in what else they remember (Redis keeps the name of
 * every queue ever used, SQLite none that are empty), so that is left out.
 */
export function queuesInUse(stats: readonly QueueStats[], heartbeats: readonly WorkerHeartbeat[], now = Date.now()): QueueStats[] {
  const byName = new Map(stats.filter((s) => depthOf(s) > 0 || s.scheduled === null).map((s) => [s.queue, s]));
  for (const hb of heartbeats) {
    if (!isOnline(hb, now)) continue;
    for (const queue of hb.queues) if (!byName.has(queue)) byName.set(queue, { queue, ready: 0, scheduled: 0, leased: 0, dead: 0, oldestReadyAgeMs: null });
  }
  return [...byName.values()].sort((a, b) => a.queue.localeCompare(b.queue));
}

function named<T extends { body: string }>(item: T): Named<T> {
  return { ...item, task: taskNameOf(item.body) };
}

/** The task name in a body, also in a preview cut short of valid JSON (its name is near the start). */
export function taskNameOf(body: string): string | null {
  const peeked = peekMessage(body).task;
  if (peeked) return peeked;
  const literal = /"task"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(body)?.[1];
  try {
    const name: unknown = literal ? JSON.parse(literal) : null;
    return typeof name === 'string' && name ? name : null;
  } catch {
    return null;
  }
}
