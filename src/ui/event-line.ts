import type { StoredEvent } from '../runtime/cluster.js';

const COLOURS: Record<string, string> = {
  'task-succeeded': '\x1b[32m', 'task-failed': '\x1b[31m', 'task-retried': '\x1b[33m', 'task-revoked': '\x1b[35m',
  'task-rejected': '\x1b[31m', 'worker-online': '\x1b[36m', 'worker-offline': '\x1b[90m',
};

/** One event as one line: time, type, task[id] or worker, details. */
export function renderEvent(e: StoredEvent, color: boolean): string {
  const type = color && COLOURS[e.type] ? `${COLOURS[e.type]}${e.type}\x1b[0m` : e.type;
  const who = e.taskId ? `${e.task ?? '?'}[${e.taskId}]` : (e.hostname ?? '');
  const where = e.taskId && e.hostname ? ` on ${e.hostname}` : '';
  const details = e.data ? ` ${JSON.stringify(e.data)}` : '';
  const line = `${e.at} ${type.padEnd(color ? 24 : 15)} ${who}${where}${details}`;
  return line.length > 2000 ? `${line.slice(0, 1990)}…` : line;
}
