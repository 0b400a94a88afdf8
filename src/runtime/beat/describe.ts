import { formatDuration } from './duration.js';
import type { BeatEntry } from './entries.js';

/** One entry as `tq beat --list` shows it. */
export interface EntryListing {
  name: string;
  task: string;
  source: BeatEntry['source'];
  /** '0 3 * * *' or 'every 30s'. */
  schedule: string;
  tz: string;
  queue: string;
  priority: number;
  catchUp: string;
  /** '1h', or 'next tick' when a sent tick expires when the next one is due. */
  expires: string;
  /** The next run times, in UTC (`at`) and in the entry's timezone with its offset (`local`). */
  next: { at: string; local: string }[];
}

/** The next `count` run times of each entry after `now`. */
export function describeSchedule(entries: readonly BeatEntry[], count = 3, now = Date.now()): EntryListing[] {
  return entries.map((entry) => {
    const next: EntryListing['next'] = [];
    for (let t = entry.schedule.next(now); t !== null && next.length < count; t = entry.schedule.next(t)) {
      next.push({ at: new Date(t).toISOString(), local: formatInZone(t, entry.schedule.tz) });
    }
    return {
      name: entry.name,
      task: entry.task,
      source: entry.source,
      schedule: entry.schedule.text,
      tz: entry.schedule.tz,
      queue: entry.queue,
      priority: entry.priority,
      catchUp: typeof entry.catchUp === 'object' ? `all (up to ${entry.catchUp.all})` : entry.catchUp,
      expires: entry.expiresMs === null ? 'next tick' : formatDuration(entry.expiresMs),
      next,
    };
  });
}

/** '2026-03-29 03:30:00 +02:00' in `tz`. */
export function formatInZone(ms: number, tz: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const offset = get('timeZoneName').replace(/^GMT$/, 'GMT+00:00').replace(/^GMT/, '');
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${offset}`;
}
