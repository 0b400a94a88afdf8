import type { TqEvent } from '../cluster.js';
import type { Envelope } from '../message.js';
import type { ResultRecord } from '../states.js';
import type { Backend } from './backend.js';
import type { Broker, FinishOutcome, Lease, PurgedTask, ReserveRequest } from './broker.js';
import type { CanvasStep } from '../canvas/step.js';

/**
 * A store that is broker and backend at once (SQLite, Redis), used as both:
 * the fused fast path. Every step a task takes is one atomic call that moves
 * the message and writes its state together, so nothing can be half done:
 * - `finish` acks and stores the result (and may reserve the next message);
 * - `retry` and `deadLetter` move the message and store its record;
 * - `updateProgress` is fenced by the lease like the rest;
 * - `revoke` removes a waiting message and records it REVOKED;
 * - `enqueueUnique` claims a key and enqueues (beat's exactly-once ticks);
 * - `enqueue` appends the task-sent events in the same round trip;
 * - `purge` records each removed task REVOKED in the same step;
 * - `getResult` also answers from the queue: PENDING while a message waits,
 *   STARTED (with its holder) while it is leased, before any record exists.
 * The contract suite test/contract/fused-contract.test.ts checks these.
 */
export interface FusedStore extends Broker, Backend {
  enqueue(envelopes: readonly Envelope[], sentEvents?: readonly TqEvent[]): Promise<string[]>;

  /**
   * Acks a message and stores its result in one atomic step, and optionally
   * reserves the next messages in the same call. Refused (`accepted: false`,
   * nothing written) when `lease` is no longer the current one.
   */
  finish(lease: Lease, record: ResultRecord | null, next?: ReserveRequest): Promise<FinishOutcome>;

  /** Broker.retry, storing `record` (state RETRY) in the same step when given. */
  retry(lease: Lease, envelope: Envelope, record?: ResultRecord | null): Promise<boolean>;

  /** Broker.deadLetter, storing `record` in the same step when given. */
  deadLetter(lease: Lease, reason: string, record?: ResultRecord | null): Promise<boolean>;

  /** Stores a non-final record (progress) for a leased task. Fenced. */
  updateProgress(lease: Lease, record: ResultRecord): Promise<boolean>;

  /**
   * Revokes task ids: messages still waiting are removed and recorded
   * REVOKED at once (atomic per id); every id is remembered for `ttlMs`, so a
   * leased message, or one that turns up later, is not run. Returns the ids
   * removed from a queue.
   */
  revoke(ids: readonly string[], ttlMs: number, reason: string): Promise<string[]>;

  /**
   * Enqueues only if `uniqueKey` was never claimed (within `ttlMs`): the
   * claim and the enqueue are one atomic step, so two callers racing on the
   * same key send exactly one message. Returns whether this call enqueued.
   */
  enqueueUnique(envelope: Envelope, uniqueKey: string, ttlMs: number): Promise<boolean>;

  /**
   * What a finished step's workflow asks (canvas/step.ts), in one atomic
   * step: its messages added (only ids that are new), its records stored
   * (first-wins), its groups recorded, its chord joined, and the chord's body
   * added with the last count (or, when this join fails the chord, the
   * failure's records and errbacks). Idempotent: a step finished again
   * changes nothing more. Returns the chord's state ('' for none).
   */
  applyCanvas(step: CanvasStep): Promise<string>;

  /** Broker.purge, recording each removed task REVOKED (reason 'purged') and its event in the same step. */
  purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>>;
}

/** Whether a broker is also a backend, so one store can take both roles. */
export function isFusedStore(broker: Broker): broker is FusedStore {
  return broker.keepsState;
}
