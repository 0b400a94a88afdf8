import type { QueueStats } from '../../src/runtime/brokers/broker.js';
import type { StoredEvent, WorkerHeartbeat } from '../../src/runtime/cluster.js';

export const T0 = Date.parse('2026-11-23T10:00:00.000Z');

export function heartbeat(hostname: string, over: Partial<WorkerHeartbeat> = {}): WorkerHeartbeat {
  return {
    hostname, pid: 1, pool: 'async', concurrency: 10, queues: ['default'], active: 1, processed: 41, failed: 2, retried: 0,
    load: 0.5, rssBytes: 90 * 1024 * 1024, startedAt: new Date(T0 - 60_000).toISOString(), sentAt: new Date(T0 - 1000).toISOString(),
    version: '0.1.0', state: 'online', ...over,
  };
}

export function stats(queue: string, over: Partial<QueueStats> = {}): QueueStats {
  return { queue, ready: 3, scheduled: 1, leased: 1, dead: 0, oldestReadyAgeMs: 2500, ...over };
}

let seq = 0;
export function event(type: StoredEvent['type'], taskId: string, atMs: number, over: Partial<StoredEvent> = {}): StoredEvent {
  return { eventId: String(++seq), type, taskId, at: new Date(atMs).toISOString(), task: 'send_mail', queue: 'default', ...over };
}

/** A task's whole life as the stream tells it. */
export function lifecycle(id: string, startMs: number, end: 'task-succeeded' | 'task-failed' | null, host = 'w1'): StoredEvent[] {
  const events = [
    event('task-sent', id, startMs),
    event('task-received', id, startMs + 10, { hostname: host, data: { args: ['a@b.c'], kwargs: { urgent: true }, retries: 0 } }),
    event('task-started', id, startMs + 10, { hostname: host }),
  ];
  if (end === 'task-succeeded') events.push(event(end, id, startMs + 510, { hostname: host, data: { runtimeMs: 500, result: '"sent"' } }));
  if (end === 'task-failed') {
    events.push(event(end, id, startMs + 60, { hostname: host, data: { runtimeMs: 50, error: { name: 'SmtpError', message: 'mailbox full', stack: 'SmtpError: mailbox full\n    at send (tasks/mail.ts:12:9)\n    at run (worker.js:1:1)' } } }));
  }
  return events;
}
