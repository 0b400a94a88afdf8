import type { Broker } from './brokers/broker.js';
import { broadcast } from './broadcast.js';
import type { ControlCommand } from './cluster.js';
import { TqError } from './errors.js';

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

export async function inspect(broker: Broker, verb: InspectVerb, options: InspectOptions = {}): Promise<InspectAnswer> {
  switch (verb) {
    case 'queues':
      return [{ source: broker.displayUrl, ok: true, data: await broker.stats() }];
    case 'dead':
      return [{ source: broker.displayUrl, ok: true, data: await broker.listDead(100) }];
    case 'scheduled':
      // Delayed messages live in the broker, not in workers, so the broker answers.
      return [{ source: broker.displayUrl, ok: true, data: await broker.listScheduled(100) }];
    default: {
      if (verb === 'query_task' && (options.ids ?? []).length === 0) throw new TqError('BAD_INPUT', 'query_task needs one or more task ids');
      const command = (verb === 'query_task' ? { verb, ids: options.ids! } : { verb }) as ControlCommand;
      const replies = await broadcast(broker, command, options);
      return replies.map((r) => ({ source: r.hostname, ok: r.ok, data: r.data, noReply: r.noReply }));
    }
  }
}
