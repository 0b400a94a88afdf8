import type { Backend } from './brokers/backend.js';
import type { StoredEvent } from './cluster.js';

export interface FollowOptions {
  /** Resume after this event id; '0' from the oldest kept; null: only events from now on. */
  after: string | null;
  follow: boolean;
  signal?: AbortSignal;
}

/**
 * The event stream as an async iterator (`subscribeEvents`), resumable from
 * any event id. With `follow`, waits for new events until the signal aborts.
 */
export async function* followEvents(backend: Backend, options: FollowOptions): AsyncGenerator<StoredEvent> {
  let after = options.after;
  if (after === null) after = (await backend.latestEventId()) ?? '0';
  for (;;) {
    if (options.signal?.aborted) return;
    const batch = await backend.readEvents(after === '0' ? null : after, 500, options.follow ? 1000 : 0, options.signal);
    for (const event of batch) yield event;
    if (batch.length > 0) after = batch.at(-1)!.eventId;
    else if (!options.follow) return;
    // A store that answers at once (SQLite) would otherwise keep a reader that is behind in
    // microtasks only, starving timers and sockets (a monitor's redraws, tq web's streams).
    if (batch.length > 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

export const subscribeEvents = followEvents;
