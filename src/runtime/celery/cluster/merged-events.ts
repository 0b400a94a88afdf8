import type { StoredEvent } from '../../cluster.js';

/** A source of stored events with its own cursor (tq's stream; Python workers' events seen on celeryev). */
export interface EventSource {
  readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]>;
  latestEventId(): Promise<string | null>;
}

/**
 * Two event sources read as one: an event id is `<tq cursor>|<celery cursor>`,
 * the position in both after that event (an empty part: from the oldest).
 * tq's events come first in a read, then Python workers'; a reader that
 * waits wakes on whichever has something.
 */
export class MergedEvents implements EventSource {
  constructor(
    private readonly tq: EventSource,
    private readonly celery: EventSource,
  ) {}

  async latestEventId(): Promise<string | null> {
    const [a, b] = await Promise.all([this.tq.latestEventId(), this.celery.latestEventId()]);
    return `${a ?? ''}|${b ?? ''}`;
  }

  async readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]> {
    const [tqAfter, celeryAfter] = split(after);
    const now = await this.both(tqAfter, celeryAfter, max, 0, signal);
    if (now.length > 0 || waitMs <= 0) return now;
    // Wait on both; the first to have something ends the other's wait, and the next call reads both again.
    const stop = new AbortController();
    const abort = () => stop.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      const first = await Promise.race([
        this.tq.readEvents(tqAfter, max, waitMs, stop.signal).then((e) => (e.length > 0 ? e : null)),
        this.celery.readEvents(celeryAfter, max, waitMs, stop.signal).then((e) => (e.length > 0 ? e : null)),
      ]);
      stop.abort();
      return first === null ? [] : this.both(tqAfter, celeryAfter, max, 0, signal);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  private async both(tqAfter: string | null, celeryAfter: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]> {
    const [own, python] = await Promise.all([this.tq.readEvents(tqAfter, max, waitMs, signal), this.celery.readEvents(celeryAfter, max, waitMs, signal)]);
    const out: StoredEvent[] = [];
    let t = tqAfter ?? '';
    const c = celeryAfter ?? '';
    for (const e of own) out.push({ ...e, eventId: `${(t = e.eventId)}|${c}` });
    for (const e of python.slice(0, Math.max(0, max - out.length))) out.push({ ...e, eventId: `${t}|${e.eventId}` });
    return out;
  }
}

/** The two cursors of a merged id; an id without '|' (from before the merge) is tq's alone. */
function split(after: string | null): [string | null, string | null] {
  if (after === null) return [null, null];
  const bar = after.lastIndexOf('|');
  if (bar === -1) return [after, null];
  const a = after.slice(0, bar);
  const b = after.slice(bar + 1);
  return [a === '' ? null : a, b === '' ? null : b];
}
