import type { ControlReply, WorkerHeartbeat } from '../../cluster.js';

/**
 * A Python worker's `stats` reply (celery/worker/worker.py stats) as a tq
 * heartbeat, so `tq workers` and `tq inspect` count it; null for a tq
 * worker's (tq has its richer heartbeat) or an error. Celery's stats name no
 * queues or tasks: those stay empty, so no tq worker takes a Python worker
 * for a taker of its queues' tasks.
 */
export function heartbeatOfStats(reply: ControlReply): WorkerHeartbeat | null {
  const s = reply.data as Record<string, unknown> | null;
  if (!reply.ok || typeof s !== 'object' || s === null || 'counters' in s) return null;
  const pool = (s.pool ?? {}) as Record<string, unknown>;
  const total = (s.total ?? {}) as Record<string, number>;
  const rusage = (s.rusage ?? {}) as Record<string, unknown>;
  const uptime = typeof s.uptime === 'number' ? s.uptime : 0;
  const now = Date.now();
  return {
    hostname: reply.hostname,
    pid: typeof s.pid === 'number' ? s.pid : 0,
    pool: poolName(pool.implementation),
    concurrency: typeof pool['max-concurrency'] === 'number' ? pool['max-concurrency'] : 1,
    queues: [],
    active: 0,
    processed: Object.values(total).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0),
    failed: 0,
    retried: 0,
    load: 0,
    rssBytes: typeof rusage.maxrss === 'number' ? rusage.maxrss * 1024 : 0,
    startedAt: new Date(now - uptime * 1000).toISOString(),
    sentAt: new Date(now).toISOString(),
    version: 'celery',
    state: 'online',
  };
}

/** 'celery.concurrency.prefork:TaskPool' → 'prefork'. */
function poolName(implementation: unknown): string {
  if (typeof implementation !== 'string') return 'celery';
  return /concurrency\.(\w+)/.exec(implementation)?.[1] ?? implementation;
}
