import type { DeadLetter } from '../cluster.js';
import type { Envelope } from '../message.js';

/**
 * The broker contract: the message flow, domain verbs only, no Redis keys,
 * SQL, AMQP or client types. Every implementation (SQLite, Redis, RabbitMQ)
 * passes the shared suite in test/contract/broker-contract.test.ts. Results,
 * revocations, heartbeats, control and events live in a Backend (backend.ts);
 * a store that is both keeps the fused fast path (fused.ts).
 *
 * Invariants (see DESIGN.md):
 * - At-least-once with no window of loss: taking a message and recording its
 *   holder is one atomic step (a Lua script, a transaction, an AMQP delivery
 *   that only an ack removes); only an ack by the current holder removes it.
 * - Leases are fenced: a lease lapsed and taken again (SQLite, Redis), or a
 *   delivery whose channel closed (RabbitMQ), refuses the old holder's ack,
 *   retry and dead-letter (false).
 * - Delayed messages live in the broker and become ready when due; a short
 *   delay never waits behind a long one.
 * - Every state transition is one call (one round trip / one transaction)
 *   where the store allows; RabbitMQ's retry and dead-letter are two steps,
 *   publish then ack, so a crash between them repeats, never loses.
 *
 * Deliberately NOT part of the contract: how a message body is encoded (brokers
 * store `Envelope.body` opaquely; decoding and validation live above, in the
 * worker), retry policy (the worker decides; the broker only reschedules), and
 * how long an idle wait lasts beyond `waitMs`.
 */
export interface Broker {
  /** 'sqlite' | 'redis' | 'amqp' */
  readonly kind: string;
  /** The broker URL with any password masked; safe to print. */
  readonly displayUrl: string;
  /** Whether this store can also be the backend (SQLite, Redis; not RabbitMQ). */
  readonly keepsState: boolean;

  /** Checks that the broker is reachable and usable; throws TqError otherwise. */
  connect(): Promise<void>;
  /** Releases connections and handles. Leased messages stay leased (they lapse, or go back with the channel). */
  close(): Promise<void>;

  /**
   * Adds messages (ready, or delayed when `etaMs` is in the future). Bulk is
   * one round trip. Atomic per message; resolves once the broker has them
   * (on RabbitMQ, once every publish is confirmed).
   *
   * An id the broker already knows is not added where it can tell (SQLite,
   * Redis: a message of that id is queued, scheduled or leased, or a result is
   * stored under it; nor the second copy of an id given twice in one call).
   * Returns the ids not added, in the order given; the caller decides what
   * that means (the client refuses such a send with DUPLICATE_ID). A message
   * already queued with exactly the same body counts as added, so a send that
   * a reconnecting client repeats is not reported as a duplicate. RabbitMQ
   * cannot tell, and adds every message.
   */
  enqueue(envelopes: readonly Envelope[]): Promise<string[]>;

  /**
   * Atomically takes up to `max` ready messages (due delayed ones and ones
   * whose lease lapsed count as ready) and records `holder` with a fresh
   * token, until now + `leaseMs`. Queues are tried in the order given; inside
   * a queue, priority 0 first, FIFO within a priority. When nothing is ready
   * it waits up to `waitMs` without busy polling and returns []. An aborted
   * `signal` ends the wait early with [].
   */
  reserve(request: ReserveRequest): Promise<Reservation[]>;

  /**
   * Acks a message: removes it for good. Optionally reserves the next
   * messages in the same call. Refused (`accepted: false`, nothing changed)
   * when `lease` is no longer the current one.
   */
  ack(lease: Lease, next?: ReserveRequest): Promise<FinishOutcome>;

  /**
   * Puts the message back with a new body (e.g. retries+1), ready at
   * `envelope.etaMs` (a retry countdown, a rate-limit slot, a hand-back for
   * another worker). Fenced like ack.
   */
  retry(lease: Lease, envelope: Envelope): Promise<boolean>;

  /**
   * Hands messages back unchanged, ready at once and ahead of newer ones
   * (warm shutdown, prefetched but not started). Fenced: a lapsed lease is skipped.
   * Returns how many were handed back.
   */
  release(leases: readonly Lease[]): Promise<number>;

  /**
   * Moves the message into its queue's capped dead letters with the reason
   * and the raw body (whole up to maxMessageBytes). Fenced.
   */
  deadLetter(lease: Lease, reason: string): Promise<boolean>;

  /**
   * Pushes the deadline of each lease to now + `leaseMs` in one call. Returns
   * the leases that were lost (lapsed and taken by someone else, acked, or
   * on RabbitMQ whose channel closed).
   */
  extendLeases(leases: readonly Lease[], leaseMs: number): Promise<Lease[]>;

  /**
   * Removes these ids' messages while they are still waiting (ready or
   * delayed), atomically per id; never a leased one. Returns the ids removed.
   * RabbitMQ cannot take a message out of a queue by id and removes none:
   * there a revoked id is skipped by the worker that receives it.
   */
  removeWaiting(ids: readonly string[]): Promise<string[]>;

  /**
   * Removes the ready messages of the given queues (never leased or delayed
   * ones). Returns what it removed per queue (id and task name), so the
   * caller records each REVOKED (a fused store does that itself, in the
   * same atomic step).
   */
  purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>>;

  /**
   * The task names of the first `max` ready messages of each queue, in the
   * order a reserve would take them, counted per name. A read only: it takes,
   * leases and changes nothing, so it may be out of date the moment it
   * returns. A body that is not a message with a task name counts under ''.
   * RabbitMQ cannot read a queue without taking from it, and returns [].
   */
  peekReady(queues: readonly string[], max: number): Promise<ReadyTaskCount[]>;

  /** Depth of each known queue (or of the ones named); what a store cannot count is null. */
  stats(queues?: readonly string[]): Promise<QueueStats[]>;

  /** Delayed messages waiting in the broker (eta or retry countdown), soonest first, at most `max`. */
  listScheduled(max: number): Promise<ScheduledMessage[]>;

  /**
   * The newest dead letters first, at most `max`. `queues`: where to look,
   * for a broker that cannot list its queues (RabbitMQ; the others look at
   * every queue whatever it says).
   */
  listDead(max: number, queues?: readonly string[]): Promise<DeadLetter[]>;
  /** Puts dead letters (all, or these ids) back in their queues as ready. Returns how many. `queues` as for listDead. */
  requeueDead(ids?: readonly string[], queues?: readonly string[]): Promise<number>;
}

/** One message a purge removed. */
export interface PurgedTask {
  id: string;
  /** '' when the body names no task. */
  task: string;
}

export interface ScheduledMessage {
  id: string;
  queue: string;
  /** ISO-8601 UTC. */
  eta: string;
  /** The raw body, truncated. */
  body: string;
}

/** Identifies one lease on one message; `token` fences it. */
export interface Lease {
  id: string;
  token: string;
}

export interface ReserveRequest {
  queues: readonly string[];
  /** Who takes the messages: `hostname` (unique per worker process). */
  holder: string;
  max: number;
  leaseMs: number;
  /** How long to wait when nothing is ready; 0 = do not wait. */
  waitMs: number;
  signal?: AbortSignal;
  /**
   * The worker's whole reservation window (concurrency × prefetch multiplier),
   * for brokers that push (RabbitMQ's prefetch); default `max`.
   */
  window?: number;
}

export interface Reservation {
  id: string;
  queue: string;
  body: string;
  lease: Lease;
  /** How many times the broker has handed this message out, this one included. */
  deliveries: number;
  /**
   * Set by a broker that translates a foreign protocol (Celery's) when the
   * message cannot be made a tq message: the worker dead-letters it with this
   * reason instead of decoding `body` (then the raw message as taken).
   */
  problem?: string;
}

export interface FinishOutcome {
  accepted: boolean;
  next: Reservation[];
}

/** How many of the ready messages a peek looked at name one task. */
export interface ReadyTaskCount {
  queue: string;
  /** '' for a body that names no task (it will be dead-lettered as malformed). */
  task: string;
  count: number;
}

/** A queue's depth. null: the store cannot tell (RabbitMQ's protocol counts neither unacked nor delayed messages per queue). */
export interface QueueStats {
  queue: string;
  ready: number;
  scheduled: number | null;
  leased: number | null;
  dead: number;
  /** Age in ms of the oldest ready message, or null when none is waiting. */
  oldestReadyAgeMs: number | null;
}

/** What opens a broker for a URL; brokers/index.ts picks one by scheme. */
export interface BrokerOptions {
  url: string;
  projectRoot: string;
  resultExpiresMs: number;
  keyPrefix: string;
  redisTls?: import('../config.js').RedisTlsOptions;
  amqpTls?: import('../config.js').RedisTlsOptions;
  /**
   * The message size limit (config maxMessageBytes; default 1 MiB). Dead
   * letters keep bodies up to it whole, so any message that could run is put
   * back exactly by requeue-dead; only larger (never runnable) ones are cut.
   */
  maxMessageBytes?: number;
  /** Queues a broker that cannot list its queues (RabbitMQ) looks at in stats and listings, besides the ones it used. */
  queues?: readonly string[];
}

/** The reason in the REVOKED record of a task that a purge removed. */
export const PURGE_REASON = 'purged';

/** Dead letters a broker keeps, older ones dropped first: per queue on Redis, in all on SQLite. */
export const DEAD_LETTER_CAP = 10_000;

/** Listings (scheduled, dead letters) show bodies cut to this many characters. */
export const BODY_PREVIEW_CHARS = 1000;
/**
 * How much of a body Redis sends for a listing: enough bytes for
 * BODY_PREVIEW_CHARS characters of any text (a UTF-16 unit takes at most 3
 * UTF-8 bytes), so a listing never pulls whole bodies (up to maxMessageBytes
 * each, for up to 100 messages per queue) out of Redis.
 */
export const BODY_PREVIEW_BYTES = 4 * BODY_PREVIEW_CHARS;

/**
 * A listing's view of a message body: whole when short, else its first
 * BODY_PREVIEW_CHARS characters and how many bytes were left out. `totalBytes`
 * is the whole body's size when `text` is only its first bytes (as Redis sends
 * it); the characters shown are then always whole ones.
 */
export function bodyPreview(text: string, totalBytes?: number): string {
  if (totalBytes === undefined && text.length <= BODY_PREVIEW_CHARS) return text;
  // Never end on the first half of a character that takes two UTF-16 units (an emoji, say).
  const end = isHighSurrogate(text.charCodeAt(BODY_PREVIEW_CHARS - 1)) ? BODY_PREVIEW_CHARS - 1 : BODY_PREVIEW_CHARS;
  const shown = text.slice(0, end);
  const left = (totalBytes ?? Buffer.byteLength(text)) - Buffer.byteLength(shown);
  return left > 0 ? `${shown}… (${left} more bytes)` : shown;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
