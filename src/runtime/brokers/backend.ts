import type { ControlReply, ControlRequest, StoredEvent, TqEvent, WorkerHeartbeat } from '../cluster.js';
import type { ResultRecord } from '../states.js';

/**
 * The backend contract: the state of a deployment, apart from the message
 * flow (see broker.ts). Task results and progress, revocations, small meta
 * values, rate-limit slots, heartbeats, remote control and events. Domain verbs
 * only; every implementation passes test/contract/backend-contract.test.ts.
 *
 * Guarantees:
 * - One final result per task id: a final record (SUCCESS, FAILURE, REVOKED)
 *   is first-wins. Once an id has one, `storeResult` refuses every later
 *   record for it, final or not, so a redelivered copy that finishes late
 *   never overwrites the first outcome, and a late progress update never
 *   turns a finished task back into STARTED.
 * - An id the backend never saw is unknown (null), never PENDING: senders on a
 *   separate broker store PENDING with `markPending` before they publish.
 * - Results expire (resultExpiresMs, default one day); the event stream is
 *   capped; revocations and control requests are kept for a bounded time.
 *
 * Deliberately NOT part of the contract: where messages are (a backend never
 * sees the queue; a store that is broker and backend at once reads the queue
 * for PENDING/STARTED, see FusedStore), and leases (a split deployment fences
 * in the broker, and relies on first-wins here).
 */
export interface Backend extends ClusterVerbs {
  /** 'sqlite' | 'redis' | … */
  readonly kind: string;
  /** The backend URL with any password masked; safe to print. */
  readonly displayUrl: string;

  /** Checks that the backend is reachable and usable; throws TqError otherwise. */
  connect(): Promise<void>;
  close(): Promise<void>;

  /** The stored record of a task; null when the id is unknown (or its record expired). */
  getResult(id: string): Promise<ResultRecord | null>;

  /**
   * Resolves once the task has a final state, or after `timeoutMs` with
   * whatever `getResult` says then. Woken by the store (pub/sub, a file
   * watch), never by polling.
   */
  waitForResult(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ResultRecord | null>;

  /**
   * Stores a record, first-wins once final: refused (false, nothing written)
   * when the id already has a final record. A final record wakes waiters.
   * One round trip.
   */
  storeResult(record: ResultRecord): Promise<boolean>;

  /**
   * Stores PENDING records for ids that have no record yet (set-if-absent, so
   * it never overwrites what a fast worker already wrote). Returns the ids
   * that already had a record. One round trip for the batch.
   */
  markPending(records: readonly ResultRecord[]): Promise<string[]>;

  /** Removes records (a send that failed after markPending). */
  forgetResults(ids: readonly string[]): Promise<void>;

  /**
   * A global rate limit shared by every worker (GCRA, no burst): starts under
   * `key` are spaced `intervalMs` apart. Atomically claims the next free start
   * time if it is at most `maxWaitMs` away and returns `{ granted: true,
   * waitMs }`; otherwise claims nothing: `{ granted: false, waitMs }` (the
   * earliest start).
   */
  acquireRateSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<{ granted: boolean; waitMs: number }>;

  /** A small key-value store (beat watermarks and the like). */
  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets `key` only if it is unset (or expired), atomically; true when this call claimed it. */
  claimMeta(key: string, value: string, ttlMs: number): Promise<boolean>;
  deleteMeta(key: string): Promise<void>;

  /**
   * Remembers queue names in use, for a broker that cannot list its queues
   * (RabbitMQ's protocol has no such call): senders register a queue the
   * first time they use it, so listings, stats and purges can look at it.
   */
  registerQueues(names: readonly string[]): Promise<void>;
  /** Every queue name registered, sorted. */
  knownQueues(): Promise<string[]>;

  /**
   * Counts a chord header member (distinct by index, so a member delivered
   * twice counts once), or fails the chord (`resultJson` absent). Atomic.
   * 'complete', with every result in index order (JSON texts), once each index
   * of 0..size-1 joined — to every join from then on, so a member delivered
   * again after a crash can send the body again (its frozen id keeps one copy
   * where the broker knows ids); 'failed' to the one join that failed it;
   * 'counted' otherwise. Kept as long as results.
   */
  joinChord(join: ChordJoinRequest): Promise<ChordJoinState>;
}

export interface ChordJoinRequest {
  id: string;
  size: number;
  index: number;
  /** The member's result as JSON text; absent when it failed. */
  resultJson?: string;
}

export type ChordJoinState = { state: 'complete'; results: string[] } | { state: 'failed' | 'counted' };

/**
 * What operating a running cluster needs from the backend: heartbeats,
 * remote control with replies, stored revocations, the event stream. None of
 * these is on the per-task hot path except `appendEvents`, which a worker
 * batches.
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

  /** Remembers task ids as revoked for `ttlMs`, so a worker that reads them later never runs them. */
  rememberRevoked(ids: readonly string[], ttlMs: number): Promise<void>;
  /** Every id currently remembered as revoked. */
  listRevoked(): Promise<string[]>;

  /** Appends events to the capped stream (oldest dropped first). One round trip. */
  appendEvents(events: readonly TqEvent[]): Promise<void>;
  /** Events after `after` (null: the oldest kept), at most `max`; waits up to `waitMs` when none. */
  readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]>;
  /** The newest event's id, null when there is none: where following "from now on" starts. One read. */
  latestEventId(): Promise<string | null>;
}
