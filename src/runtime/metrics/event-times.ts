import type { TqEvent } from '../cluster.js';

/**
 * Each event's time in epoch ms (NaN when unreadable), parsed once per batch
 * for everyone who needs it. A batch's events share few distinct timestamps
 * (a worker stamps them to the millisecond), so each distinct one is parsed once.
 */
export function eventTimes(events: readonly TqEvent[]): number[] {
  const times = new Array<number>(events.length);
  let lastIso = '';
  let lastMs = NaN;
  for (let i = 0; i < events.length; i++) {
    const iso = events[i]!.at;
    if (iso !== lastIso) {
      lastIso = iso;
      lastMs = Date.parse(iso);
    }
    times[i] = lastMs;
  }
  return times;
}
