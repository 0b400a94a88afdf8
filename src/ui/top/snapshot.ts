import { runtimeOf, visibleTasks, type ClusterState } from '../../runtime/monitor/cluster-state.js';
import { bytes, duration, offlineSummary, perSecond, row } from '../dashboard/format.js';

const WORKER_WIDTHS = [30, 7, 7, 3, 6, 9, 6, 6, 10];
const QUEUE_WIDTHS = [20, 7, 9, 7, 6, 8, 7, 7];
const TASK_WIDTHS = [8, 24, 36, 30, 8];
/** Numbers and times align right, as in the live view. */
const WORKER_RIGHT = new Set([3, 4, 5, 6, 7, 8]);
const QUEUE_RIGHT = new Set([1, 2, 3, 4, 5, 6, 7]);
const TASK_RIGHT = new Set([4]);

/**
 * `tq top` off a terminal: one plain-text snapshot of workers, queues and the
 * newest tasks. Every cell goes through row() → fit(), which neutralises it.
 */
export function renderClusterSnapshot(state: ClusterState, now = Date.now(), maxTasks = 20): string {
  const workers = state.workers.map((w) =>
    row([w.hostname, w.online ? 'online' : 'offline', w.pool, String(w.concurrency), String(w.active), String(w.processed), String(w.failed), bytes(w.rssBytes), `${duration(now - Date.parse(w.sentAt))} ago`], WORKER_WIDTHS, WORKER_RIGHT),
  );
  if (state.longOffline > 0) workers.push(offlineSummary(state.longOffline));
  const queues = state.queues.map((q) =>
    row([q.queue, String(q.ready), q.scheduled === null ? '-' : String(q.scheduled), q.leased === null ? '-' : String(q.leased), String(q.dead), q.oldestReadyAgeMs === null ? '-' : duration(q.oldestReadyAgeMs), perSecond(q.inPerSecond), perSecond(q.outPerSecond)], QUEUE_WIDTHS, QUEUE_RIGHT),
  );
  const tasks = visibleTasks(state).slice(0, maxTasks).map((t) => row([t.state, t.name, t.id, t.worker ?? '-', duration(runtimeOf(t, now))], TASK_WIDTHS, TASK_RIGHT));
  return [
    row(['WORKER', 'STATE', 'POOL', 'C', 'ACTIVE', 'PROCESSED', 'FAILED', 'RSS', 'HEARTBEAT'], WORKER_WIDTHS, WORKER_RIGHT),
    ...(workers.length > 0 ? workers : ['(no worker has reported to this broker)']),
    '',
    row(['QUEUE', 'READY', 'SCHEDULED', 'LEASED', 'DEAD', 'OLDEST', 'IN/s', 'OUT/s'], QUEUE_WIDTHS, QUEUE_RIGHT),
    ...(queues.length > 0 ? queues : ['(no queues)']),
    '',
    row(['STATE', 'TASK', 'ID', 'WORKER', 'RUNTIME'], TASK_WIDTHS, TASK_RIGHT),
    ...(tasks.length > 0 ? tasks : ['(no task events)']),
  ].map((l) => l.trimEnd()).join('\n');
}
