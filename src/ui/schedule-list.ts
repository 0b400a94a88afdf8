import type { EntryListing } from '../runtime/beat/index.js';

/** Plain text for a terminal or a pipe: a block per entry. */
export function formatScheduleList(listings: readonly EntryListing[]): string {
  if (listings.length === 0) return 'No periodic tasks. Declare them under `beat` in tq.config.ts or with `schedule` on a task.';
  return listings
    .map((l) => {
      const head = `${l.name} → ${l.task}  ${l.schedule}${l.schedule.startsWith('every') ? '' : ` (${l.tz})`}`;
      const meta = `  queue ${l.queue} · priority ${l.priority} · catch-up ${l.catchUp} · expires ${l.expires}${l.source === 'task' ? ' · declared on the task' : ''}`;
      const runs = l.next.length > 0 ? l.next.map((n) => `  next ${n.local}`) : ['  no further runs'];
      return [head, meta, ...runs].join('\n');
    })
    .join('\n\n');
}
