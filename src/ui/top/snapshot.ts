import { runtimeOf, visibleTasks, type ClusterState } from '../../runtime/monitor/cluster-state.js';
import { bytes, duration, perSecond, row } from '../dashboard/format.js';

/** `tq top` off a terminal: one plain-text snapshot of workers, queues and the newest tasks. */
export function renderClusterSnapshot(state: ClusterState, now = Date.now(), maxTasks = 20): string {
  const workers = state.workers.map((w) =>
    row([w.hostname, w.online ? 'online' : 'offline', w.pool, String(w.concurrency), String(w.active), String(w.processed), String(w.failed), bytes(w.rssBytes), `${duration(now - Date.parse(w.sentAt))} ago`], [30, 7, 7, 3, 6, 9, 6, 6, 10]),
  );
  const queues = state.queues.map((q) =>
    row([q.queue, String(q.ready), String(q.scheduled), String(q.leased), String(q.dead), q.oldestReadyAgeMs === null ? '-' : duration(q.oldestReadyAgeMs), perSecond(q.inPerSecond), perSecond(q.outPerSecond)], [20, 7, 9, 7, 6, 8, 7, 7]),
  );
  const tasks = visibleTasks(state).slice(0, maxTasks).map((t) => row([t.state, t.name, t.id, t.worker ?? '-', duration(runtimeOf(t, now))], [8, 24, 36, 30, 8]));
  return [
    row(['WORKER', 'STATE', 'POOL', 'C', 'ACTIVE', 'PROCESSED', 'FAILED', 'RSS', 'HEARTBEAT'], [30, 7, 7, 3, 6, 9, 6, 6, 10]),
    ...(workers.length > 0 ? workers : ['(no worker has reported to this broker)']),
    '',
    row(['QUEUE', 'READY', 'SCHEDULED', 'LEASED', 'DEAD', 'OLDEST', 'IN/s', 'OUT/s'], [20, 7, 9, 7, 6, 8, 7, 7]),
    ...(queues.length > 0 ? queues : ['(no queues)']),
    '',
    row(['STATE', 'TASK', 'ID', 'WORKER', 'RUNTIME'], [8, 24, 36, 30, 8]),
    ...(tasks.length > 0 ? tasks : ['(no task events)']),
  ].map((l) => l.trimEnd()).join('\n');
}
