import type { TqEvent, TqEventType } from '../cluster.js';

/**
 * How a batch of events is stored in one entry (a Redis stream entry, an
 * SQLite row): a JSON array
 * `[2, row, row…]`, a row being `[type, at, taskId, task, hostname, queue, data?]`
 * where `type` indexes TYPES, `0` means "the same as the row before" and
 * `null` means absent. A busy worker's events repeat the time, host, queue
 * and task name, and each task's received/started pair repeats its id; this
 * form stores about a third of their plain JSON, which is most of what
 * events cost a worker and Redis (issue 5 asks for under 10% of throughput).
 * Entries written before this form (an array of events, or one event) still decode.
 */
const FORMAT = 2;
/** Append only: stored rows refer to positions. */
const TYPES: readonly TqEventType[] = [
  'task-sent', 'task-received', 'task-started', 'task-succeeded', 'task-failed', 'task-retried',
  'task-revoked', 'task-rejected', 'task-progress', 'worker-online', 'worker-heartbeat', 'worker-offline',
];
const TYPE_INDEX = new Map(TYPES.map((t, i) => [t, i]));
const REPEATED = ['at', 'taskId', 'task', 'hostname', 'queue'] as const;

export function encodeEvents(events: readonly TqEvent[]): string {
  const out: unknown[] = [FORMAT];
  let prev: TqEvent | undefined;
  for (const e of events) {
    const row: unknown[] = [TYPE_INDEX.get(e.type) ?? e.type];
    for (const field of REPEATED) {
      const value = e[field];
      row.push(value === undefined ? null : prev && prev[field] === value ? 0 : value);
    }
    if (e.data !== undefined) row.push(e.data);
    out.push(row);
    prev = e;
  }
  return JSON.stringify(out);
}

export function decodeEvents(stored: string): TqEvent[] {
  const parsed = JSON.parse(stored) as unknown;
  if (!Array.isArray(parsed)) return [parsed as TqEvent];
  if (parsed[0] !== FORMAT) return parsed as TqEvent[];
  const events: TqEvent[] = [];
  let prev: TqEvent | undefined;
  for (let i = 1; i < parsed.length; i++) {
    const row = parsed[i] as unknown[];
    const type = (typeof row[0] === 'number' ? TYPES[row[0]] : row[0]) as TqEventType;
    const event: TqEvent = { type, at: '' };
    REPEATED.forEach((field, k) => {
      const value = row[k + 1] as string | 0 | null;
      const resolved = value === 0 ? prev?.[field] : value;
      if (resolved !== null && resolved !== undefined) event[field] = resolved;
    });
    const data = row[REPEATED.length + 1] as Record<string, unknown> | undefined;
    if (data !== undefined) event.data = data;
    events.push(event);
    prev = event;
  }
  return events;
}
