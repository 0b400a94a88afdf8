import { peekMessage } from '../../message.js';
import type { ResultRecord } from '../../states.js';
import type { QueueStats, Reservation } from '../broker.js';
import type { FlatReply } from './scripts.js';

/** Decoders for the scripts' flat array replies; the layouts are in each .lua header. */

/** `{ wake, id, queue, body, token, deliveries, ... }` from `offset`. */
export function decodeReservations(reply: FlatReply, offset: number): { wakeInMs: number; taken: Reservation[] } {
  const taken: Reservation[] = [];
  for (let i = offset + 1; i + 4 < reply.length; i += 5) {
    const id = String(reply[i]);
    taken.push({
      id,
      queue: String(reply[i + 1]),
      body: String(reply[i + 2]),
      lease: { id, token: String(reply[i + 3]) },
      deliveries: Number(reply[i + 4]),
    });
  }
  return { wakeInMs: Number(reply[offset]), taken };
}

/** Groups of 6: queue, ready, scheduled, leased, dead, oldest ready age (-1: none). */
export function decodeStats(reply: FlatReply): QueueStats[] {
  const stats: QueueStats[] = [];
  for (let i = 0; i + 5 < reply.length; i += 6) {
    const oldest = Number(reply[i + 5]);
    stats.push({
      queue: String(reply[i]),
      ready: Number(reply[i + 1]),
      scheduled: Number(reply[i + 2]),
      leased: Number(reply[i + 3]),
      dead: Number(reply[i + 4]),
      oldestReadyAgeMs: oldest < 0 ? null : oldest,
    });
  }
  return stats.sort((a, b) => a.queue.localeCompare(b.queue));
}

/** get-state.lua's reply as a record: the stored one, or PENDING/STARTED from the message. */
export function decodeState(id: string, reply: string[]): ResultRecord | null {
  if (reply[0] === 'result') return JSON.parse(reply[1]!) as ResultRecord;
  if (reply[0] !== 'message') return null;
  const [, state, queue, holder, leasedAt, enqueuedAt, eta, body] = reply as string[];
  const started = state === 'STARTED';
  const { task, retries } = peekMessage(body!);
  return {
    id,
    task,
    state: started ? 'STARTED' : 'PENDING',
    queue,
    retries,
    worker: started ? holder : undefined,
    enqueuedAt: iso(enqueuedAt),
    startedAt: started ? iso(leasedAt) : undefined,
    eta: eta ? iso(eta) : undefined,
  };
}

function iso(ms: string | undefined): string | undefined {
  return ms ? new Date(Number(ms)).toISOString() : undefined;
}
