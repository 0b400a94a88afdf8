import type { ControlReply, ControlRequest, DeadLetter, StoredEvent, TqEvent, WorkerHeartbeat } from '../cluster.js';
import type { Envelope } from '../message.js';
import type { ResultRecord } from '../states.js';

/**
 * The broker contract: domain verbs only, no Redis keys, SQL or client types.
 * Every implementation passes the shared suite in test/contract.
 *
 * Invariants (see DESIGN.md):
 * - At-least-once with no window of loss: taking a message and recording its
 *   holder is one atomic step; only an ack by the current holder removes it.
 * - Leases are fenced by a token: once a lease lapsed and the message was taken
 *   again, the old holder's finish/retry/deadLetter is refused (returns false).
 * - Delayed messages live in the broker and become ready when due.
 * - Every state transition is one call (one round trip / one transaction).
 *
 * Deliberately NOT part of the contract: how a message body is encoded (brokers
 * store `Envelope.body` opaquely; decoding and validation live above, in the
 * worker), retry policy (the worker decides; the broker only reschedules), and
 * how long an idle wait lasts beyond `waitMs`.
 */
export interface Broker extends ClusterVerbs {
  /** 'sqlite' | 'redis' | … */
  readonly kind: string;
  /** The broker URL with any password masked; safe to print. */
  readonly displayUrl: string;

  /** Checks that the broker is reachable and usable; throws TqError otherwise. */
  connect(): Promise<void>;
  /** Releases connections and handles. Leased messages stay leased (they lapse). */
  close(): Promise<void>;

  /**
   * Adds messages (ready, or scheduled when `etaMs` is in the future). Bulk is
   * one round trip. Atomic per message. `sentEvents` (their task-sent events)
   * are appended to the event stream in the same round trip, after the messages.
   *
   * An id the broker already knows is not added: a message of that id is
   * queued, scheduled or leased, or a result is stored under it (the first
   * copy and the result stay as they were). Nor is the second copy of an id
   * given twice in one call. Returns the ids not added, in the order given
   * (empty when every message was added); the caller decides what that means
   * (the client refuses such a send with DUPLICATE_ID). One exception: a
   * message already queued with exactly the same body counts as added, so a
   * send that a reconnecting client repeats is not reported as a duplicate.
   * A single message that was not added appends no event; in a bulk call the
   * events of ids not added may still be appended (Redis).
   */
  enqueue(envelopes: readonly Envelope[], sentEvents?: readonly TqEvent[]): Promise<string[]>;

  /**
   * Enqueues only if `uniqueKey` was never claimed (within `ttlMs`): the claim and
   * the enqueue are one atomic step, so two callers racing on the same key send
   * exactly one message. Returns whether this call enqueued.
   */
  enqueueUnique(envelope: Envelope, uniqueKey: string, ttlMs: number): Promise<boolean>;

  /**
   * Atomically moves up to `max` ready messages (due delayed ones and ones whose
   * lease lapsed count as ready) to leased, held by `holder` with a fresh token,
   * until now + `leaseMs`. Queues are tried in the order given; inside a queue,
   * priority 0 first, FIFO within a priority. When nothing is ready it waits up
   * to `waitMs` (without busy polling where the store allows) and returns [].
   * An aborted `signal` ends the wait early with [].
   */
  reserve(request: ReserveRequest): Promise<Reservation[]>;

  /**
   * Acks a message and stores its final result in one step, and optionally
   * reserves the next messages in the same call. Refused (`accepted: false`,
   * nothing written) when `lease` is no longer the current one.
   */
  finish(lease: Lease, record: ResultRecord | null, next?: ReserveRequest): Promise<FinishOutcome>;

  /**
   * Puts the message back with a new body (e.g. retries+1) to become ready at
   * `envelope.etaMs`, and records `record` (state RETRY) when given (a task held
   * back by a rate limit is put back with no record). Fenced like finish.
   */
  retry(lease: Lease, envelope: Envelope, record: ResultRecord | null): Promise<boolean>;

  /**
   * Hands messages back unchanged, ready at once and ahead of newer ones
   * (warm shutdown, prefetched but not started). Fenced: a lapsed lease is skipped.
   * Returns how many were handed back.
   */
  release(leases: readonly Lease[]): Promise<number>;

  /**
   * Removes the message from its queue into the capped dead-letter store with
   * the reason and the raw body (whole up to maxMessageBytes); stores `record`
   * if given. Fenced.
   */
  deadLetter(lease: Lease, reason: string, record: ResultRecord | null): Promise<boolean>;

  /**
   * Pushes the deadline of each lease to now + `leaseMs` in one call. Returns
   * the leases that were lost (lapsed and taken by someone else, or acked).
   */
  extendLeases(leases: readonly Lease[], leaseMs: number): Promise<Lease[]>;

  /**
   * The task's state: the stored result if any; else PENDING while the message
   * is queued or scheduled, STARTED (with the holder) while it is leased;
   * null when the id is unknown.
   */
  getResult(id: string): Promise<ResultRecord | null>;

  /**
   * Resolves once the task has a final state (SUCCESS, FAILURE, REVOKED), or
   * after `timeoutMs` with whatever `getResult` says then.
   */
  waitForResult(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ResultRecord | null>;

  /** Stores a non-final record (e.g. progress) for a leased task. Fenced. */
  updateProgress(lease: Lease, record: ResultRecord): Promise<boolean>;

  /** Stores a record with no lease (tasks with acksLate: false, acked before they ran). */
  storeResult(record: ResultRecord): Promise<void>;

  /**
   * A global rate limit shared by every worker on this broker (GCRA, no
   * burst): starts under `key` are spaced `intervalMs` apart. Atomically claims
   * the next free start time if it is at most `maxWaitMs` away and returns
   * `{ granted: true, waitMs }` (start after waitMs); otherwise claims nothing
   * and returns `{ granted: false, waitMs }` (the earliest start).
   */
  acquireRateSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<{ granted: boolean; waitMs: number }>;

  /**
   * Removes the ready messages of the given queues (never leased or scheduled
   * ones) and, in the same atomic step, records each removed task REVOKED
   * with the reason 'purged', so its waiters learn it at once (they are woken
   * as for any final result) and `tq result` shows why it never ran; appends a
   * task-revoked event per task. Count removed per queue.
   */
  purge(queues: readonly string[]): Promise<Record<string, number>>;

  /**
   * The task names of the first `max` ready messages of each queue, in the
   * order a reserve would take them (priority, then FIFO), counted per name.
   * A read only: it takes, leases and changes nothing, so it may be out of
   * date the moment it returns; scheduled and leased messages are not looked
   * at. A body that is not a message with a task name counts under ''. One
   * round trip (one script on Redis, one statement per queue on SQLite).
   * A worker uses it at start-up to warn about tasks it cannot run.
   */
  peekReady(queues: readonly string[], max: number): Promise<ReadyTaskCount[]>;

  /** Depth of each known queue (or of the ones named). */
  stats(queues?: readonly string[]): Promise<QueueStats[]>;

  /** A small key-value store (beat watermarks and the like). */
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string, ttlMs?: number): Promise<void>;
}

/**
 * What operating a running cluster needs from the store: heartbeats, remote
 * control with replies, stored revocations, the event stream, dead letters.
 * None of these is on the per-task hot path except `appendEvents`, which a
 * worker batches.
 */
export interface ClusterVerbs {
  /** Stores a worker's latest heartbeat (one per hostname, kept a day). */
  recordHeartbeat(heartbeat: WorkerHeartbeat): Promise<void>;
  listHeartbeats(): Promise<WorkerHeartbeat[]>;

  /** Appends a control request that every listening worker will read. */
  publishControl(request: ControlRequest): Promise<void>;
  /**
   * Control requests published after `cursor`; null means "from now on" and
   * returns no old requests. Waits up to `waitMs` when there are none.
   */
  readControl(cursor: string | null, waitMs: number, signal?: AbortSignal): Promise<{ cursor: string; requests: ControlRequest[] }>;
  replyControl(reply: ControlReply): Promise<void>;
  /** The replies to a request, waiting up to `waitMs` (less once `expected` replies arrived). */
  collectReplies(requestId: string, waitMs: number, expected?: number): Promise<ControlReply[]>;

  /**
   * Revokes task ids. Messages still queued or scheduled are removed and
   * recorded REVOKED at once (atomic per id); every id is remembered for
   * `ttlMs`, so a message that is leased or turns up later is not run.
   * Returns the ids that were removed from a queue.
   */
  revoke(ids: readonly string[], ttlMs: number, reason: string): Promise<string[]>;
  /** Every id currently remembered as revoked. */
  listRevoked(): Promise<string[]>;

  /** Appends events to the capped stream (oldest dropped first). One round trip. */
  appendEvents(events: readonly TqEvent[]): Promise<void>;
  /** Events after `after` (null: the oldest kept), at most `max`; waits up to `waitMs` when none. */
  readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]>;
  /** The newest event's id, null when there is none: where following "from now on" starts. One read. */
  latestEventId(): Promise<string | null>;

  /** Delayed messages waiting in the broker (eta or retry countdown), soonest first, at most `max`. */
  listScheduled(max: number): Promise<ScheduledMessage[]>;

  /** The newest dead letters first, at most `max`. */
  listDead(max: number): Promise<DeadLetter[]>;
  /** Puts dead letters (all, or these ids) back in their queues as ready. Returns how many. */
  requeueDead(ids?: readonly string[]): Promise<number>;
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
}

export interface Reservation {
  id: string;
  queue: string;
  body: string;
  lease: Lease;
  /** How many times the broker has handed this message out, this one included. */
  deliveries: number;
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

export interface QueueStats {
  queue: string;
  ready: number;
  scheduled: number;
  leased: number;
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
  /**
   * The message size limit (config maxMessageBytes; default 1 MiB). Dead
   * letters keep bodies up to it whole, so any message that could run is put
   * back exactly by requeue-dead; only larger (never runnable) ones are cut.
   */
  maxMessageBytes?: number;
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
