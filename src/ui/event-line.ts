import type { StoredEvent, TqEventType } from '../runtime/cluster.js';
import { FIELD_MAX_CHARS, safeJson, safeText } from '../runtime/safe-text.js';

const COLOURS: Record<TqEventType, string> = {
  'task-sent': '', 'task-received': '', 'task-started': '', 'task-progress': '', 'worker-heartbeat': '',
  'task-succeeded': '\x1b[32m', 'task-failed': '\x1b[31m', 'task-retried': '\x1b[33m', 'task-revoked': '\x1b[35m',
  'task-rejected': '\x1b[31m', 'worker-online': '\x1b[36m', 'worker-offline': '\x1b[90m',
};
/** Every type padded to the longest (a Record over the type union, so a new type cannot be left out). */
const TYPE_WIDTH = Math.max(...Object.keys(COLOURS).map((t) => t.length));

/** One event as one line: time, type, task[id] or worker, details. Text from the event is neutralised and bounded. */
export function renderEvent(e: StoredEvent, color: boolean): string {
  const type = safeText(e.type, 40).padEnd(TYPE_WIDTH);
  const colour = color ? COLOURS[e.type as TqEventType] : undefined;
  const who = e.taskId ? `${e.task ?? '?'}[${e.taskId}]` : (e.hostname ?? '');
  const where = e.taskId && e.hostname ? ` on ${e.hostname}` : '';
  const details = e.data ? ` ${safeJson(e.data)}` : '';
  const rest = safeText(`${who}${where}${details}`, FIELD_MAX_CHARS);
  return `${safeText(e.at, 40)} ${colour ? `${colour}${type}\x1b[0m` : type} ${rest}`;
}
