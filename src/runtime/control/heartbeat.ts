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
