import type { Stores } from './brokers/index.js';
import type { TqEvent } from './cluster.js';
import { isoAt, isoNow } from './iso-time.js';
import type { Outgoing } from './message.js';
import type { ResultRecord } from './states.js';
import { registerQueues } from './queue-stats.js';

export type { Outgoing } from './message.js';

/**
 * Puts messages in the broker, and returns the ids not sent because they are
 * in use (a task of that id is queued, running, or has a record).
 *
 * Fused (one store is broker and backend): one round trip, the task-sent
 * events in the same atomic step. Split: the backend first stores a PENDING
 * record for each id it does not know (set-if-absent: the same call tells
 * which ids are in use), then the broker takes the messages; a send the
 * broker refuses removes those records again, so a failed send leaves no
 * PENDING task behind. Events then go to the backend; they are advisory, so
 * a failure to append them does not fail a send that happened.
 */
export async function dispatch(stores: Stores, outgoing: readonly Outgoing[], events: boolean): Promise<string[]> {
  const sent = events ? sentEvents(outgoing) : undefined;
  if (stores.fused) return stores.fused.enqueue(outgoing.map((o) => o.envelope), sent);
  await registerQueues(stores, outgoing.map((o) => o.envelope.queue));
  const { first, copies } = firstCopies(outgoing);
  const inUse = new Set(await stores.backend.markPending(first.map(pendingRecord)));
  const fresh = first.filter((o) => !inUse.has(o.envelope.id));
  let skipped: string[];
  try {
    skipped = await stores.broker.enqueue(fresh.map((o) => o.envelope));
  } catch (err) {
    await stores.backend.forgetResults(fresh.map((o) => o.envelope.id)).catch(() => undefined);
    throw err;
  }
  if (sent && fresh.length > 0) {
    const ids = new Set(fresh.map((o) => o.envelope.id));
    await stores.backend.appendEvents(sent.filter((e) => ids.has(e.taskId!))).catch(() => undefined);
  }
  return [...first.filter((o) => inUse.has(o.envelope.id)).map((o) => o.envelope.id), ...skipped, ...copies];
}

/** The first message of each id, and the ids of later copies (never sent: one id, one task). */
function firstCopies(outgoing: readonly Outgoing[]): { first: Outgoing[]; copies: string[] } {
  const seen = new Set<string>();
  const first: Outgoing[] = [];
  const copies: string[] = [];
  for (const o of outgoing) {
    if (seen.has(o.envelope.id)) copies.push(o.envelope.id);
    else {
      seen.add(o.envelope.id);
      first.push(o);
    }
  }
  return { first, copies };
}

function pendingRecord({ envelope, task }: Outgoing): ResultRecord {
  const delayed = envelope.etaMs !== null && envelope.etaMs > Date.now();
  return { id: envelope.id, task, state: 'PENDING', queue: envelope.queue, retries: 0, enqueuedAt: isoNow(), eta: delayed ? isoAt(envelope.etaMs!) : undefined };
}

function sentEvents(outgoing: readonly Outgoing[]): TqEvent[] {
  const at = isoNow();
  return outgoing.map(({ envelope: e, task }) => ({ type: 'task-sent' as const, at, taskId: e.id, task, queue: e.queue, data: e.etaMs ? { eta: isoAt(e.etaMs) } : undefined }));
}
