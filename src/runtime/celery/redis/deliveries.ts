import type { Lease, Reservation } from '../../brokers/broker.js';
import type { Envelope, TaskMessage } from '../../message.js';
import { celeryMessageOf, fromCeleryParts, toCeleryParts } from '../wire.js';
import { decodeKombu, encodeKombu } from './envelope.js';

/**
 * Between kombu's list elements and tq's reservations. A tq lease on a Celery
 * delivery is its delivery_tag plus the token of this take: the tag finds the
 * unacked entry, the token fences it (a message restored and taken again is
 * held under a new token).
 */
export function leaseOf(id: string, tag: string, token: string): Lease {
  return { id, token: `${token} ${tag}` };
}

export function tagOf(lease: Lease): { tag: string; token: string } {
  const space = lease.token.indexOf(' ');
  return { token: lease.token.slice(0, space), tag: lease.token.slice(space + 1) };
}

/** What one taken element becomes: a reservation whose body is tq's message, or one with the problem to dead-letter it with. */
export function reservationOf(queue: string, tag: string, token: string, valid: boolean, raw: string): { reservation: Reservation; etaMs: number | null } {
  const bad = (reason: string, id?: string) => ({
    reservation: { id: id ?? tag, queue, body: raw, lease: leaseOf(id ?? tag, tag, token), deliveries: 1, problem: `not a Celery task message tq can run: ${reason}` },
    etaMs: null,
  });
  if (!valid) return bad('not a kombu message (JSON with headers, properties and a delivery_tag)');
  const kombu = decodeKombu(raw);
  if (!kombu.ok) return bad(kombu.reason, kombu.id);
  const decoded = fromCeleryParts(kombu.headers, kombu.body, queue, kombu.priority);
  if (!decoded.ok) return bad(decoded.reason, decoded.id);
  const m = decoded.message;
  return {
    reservation: { id: m.id, queue, body: JSON.stringify(m), lease: leaseOf(m.id, tag, token), deliveries: kombu.redelivered ? 2 : 1 },
    etaMs: m.eta ? Date.parse(m.eta) : null,
  };
}

/**
 * The kombu element for a tq envelope (a send, a retry, a hand-back): see celeryMessageOf.
 */
export function kombuElementOf(envelope: Envelope, maxBytes: number): { element: string; message: TaskMessage } {
  const message = celeryMessageOf(envelope, maxBytes);
  return { element: encodeKombu(toCeleryParts(message), envelope.queue), message };
}
