import { loadavg } from 'node:os';
import type { WorkerHeartbeat } from '../cluster.js';
import type { Worker } from '../worker/worker.js';

export interface HeartbeatSource {
  worker: Worker;
  hostname: string;
  pool: string;
  version: string;
  startedAt: Date;
  queues(): string[];
}

/** How many messages the worker holds (running and reserved) per queue. */
function heldByQueue(worker: Worker): Record<string, number> {
  const held: Record<string, number> = {};
  for (const h of [...worker.active.values(), ...worker.buffer]) held[h.reservation.queue] = (held[h.reservation.queue] ?? 0) + 1;
  return held;
}

/** The heartbeat a worker publishes now. */
export function heartbeatOf(source: HeartbeatSource, state: 'online' | 'offline'): WorkerHeartbeat {
  const { worker } = source;
  const c = worker.counters;
  return {
    hostname: source.hostname,
    pid: process.pid,
    pool: source.pool,
    concurrency: worker.concurrency,
    queues: source.queues(),
    tasks: worker.registry.names(),
    active: worker.active.size,
    held: heldByQueue(worker),
    processed: c.succeeded + c.failed + c.retried + c.revoked + c.rejected,
    failed: c.failed,
    retried: c.retried,
    load: loadavg()[0] ?? 0,
    rssBytes: process.memoryUsage().rss,
    startedAt: source.startedAt.toISOString(),
    sentAt: new Date().toISOString(),
    version: source.version,
    state,
  };
}
