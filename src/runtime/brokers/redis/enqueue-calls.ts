import { EVENT_STREAM_CAP, type TqEvent } from '../../cluster.js';
import type { Envelope } from '../../message.js';
import { encodeEvents } from '../event-codec.js';
import type { Arg } from './scripts.js';

/**
 * Messages per enqueue script call. A bulk enqueue sends its calls pipelined,
 * each written as soon as it is built, so Redis stores the first 100 while the
 * client still writes the rest: 100 stored bulks of 1000 about 20% faster
 * than 500 did (bench/redis.ts), and per-call costs (clock, sequence block,
 * marker) stay small beside 100 messages.
 */
export const ENQUEUE_CHUNK = 100;

/**
 * Broker.enqueue on Redis: the messages in script calls of ENQUEUE_CHUNK,
 * issued in one tick (one pipelined round trip), the events with the last.
 * Returns the ids not added, in the order given. An id given twice in one
 * bulk is caught here, since its copies may fall in different script calls:
 * its later copies are not sent and count as not added.
 */
export async function enqueueInChunks(
  run: (args: Arg[]) => Promise<string[]>,
  prefix: string,
  envelopes: readonly Envelope[],
  sentEvents: readonly TqEvent[] | undefined,
): Promise<string[]> {
  const calls: Promise<string[]>[] = [];
  const given = envelopes.length > 1 ? new Set<string>() : undefined;
  let twice = false;
  for (let i = 0; i < envelopes.length; i += ENQUEUE_CHUNK) {
    // The events ride with the last chunk: Redis runs the pipelined calls in order, so they follow every message.
    const last = i + ENQUEUE_CHUNK >= envelopes.length;
    const events = last && sentEvents?.length ? encodeEvents(sentEvents) : '';
    const args: Arg[] = [prefix, events, EVENT_STREAM_CAP];
    for (let j = i; j < Math.min(i + ENQUEUE_CHUNK, envelopes.length); j++) {
      const e = envelopes[j]!;
      if (given?.has(e.id)) {
        twice = true;
        continue;
      }
      given?.add(e.id);
      pushEnvelopeArgs(args, e);
    }
    if (args.length > 3 || events) calls.push(run(args));
  }
  const skipped = (await Promise.all(calls)).flat();
  if (!twice) return skipped;
  const notAdded = new Set(skipped);
  const seen = new Set<string>();
  return envelopes
    .filter((e) => {
      const later = seen.has(e.id);
      seen.add(e.id);
      return later || notAdded.has(e.id);
    })
    .map((e) => e.id);
}

/** Appends one message's script arguments (id, queue, priority, eta ms, body); no array per message on the bulk path. */
export function pushEnvelopeArgs(args: Arg[], e: Envelope): Arg[] {
  args.push(e.id, e.queue, e.priority, e.etaMs ?? 0, e.body);
  return args;
}
