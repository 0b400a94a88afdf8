import type { FinishOutcome, Lease, ReserveRequest } from '../brokers/broker.js';
import { spliceChordResults } from '../canvas/envelopes.js';
import type { CanvasStep } from '../canvas/step.js';
import { dispatch } from '../dispatch.js';
import type { Stores } from '../brokers/index.js';
import type { FusedStore } from '../brokers/fused.js';
import type { Envelope } from '../message.js';
import type { ResultRecord } from '../states.js';

/**
 * How a worker records what happens to a task and moves its message, in one
 * of two ways (DESIGN: one final result per task id):
 *
 * - fused (broker and backend are one store): each step is one atomic call
 *   that writes the record and moves the message together, fenced by the
 *   lease, so a taken-over lease writes nothing;
 * - split: the record goes to the backend first, where a final one is
 *   first-wins, then the message moves in the broker. A crash between the two
 *   leaves the message to be delivered again: its next holder finds the final
 *   record (`begin` says so), acks the copy and does not run it again; a copy
 *   that runs anyway (two holders at once) cannot overwrite the first result.
 *
 * Every verb returns whether the broker took it (false: our lease was taken
 * over, or on split, another copy already finished the task).
 */
export interface Ledger {
  /**
   * Before a task runs. Split: stores STARTED, and returns false when the
   * task already has a final record, after acking this copy. Fused: the
   * lease itself shows STARTED; nothing to write.
   */
  begin(lease: Lease, started: ResultRecord): Promise<boolean>;
  /** Ack + record (+ the next reservation, where the store can in the same call). */
  finish(lease: Lease, record: ResultRecord | null, next?: ReserveRequest): Promise<FinishOutcome>;
  /** Put the message back (a new body, due at its eta) + its RETRY record, or none (a rate-limit hold). */
  retry(lease: Lease, envelope: Envelope, record: ResultRecord | null): Promise<boolean>;
  /** Move to dead letters + the record. */
  deadLetter(lease: Lease, reason: string, record: ResultRecord | null): Promise<boolean>;
  /** Progress while running (fenced on one store; first-wins-safe on a split one). */
  progress(lease: Lease, record: ResultRecord): Promise<boolean>;
  /** A record with no lease (after an acksLate: false task ran). */
  store(record: ResultRecord): Promise<boolean>;
  /**
   * Started tasks handed back unfinished (a cold stop): split, their STARTED
   * records become PENDING again (a fused store reads that from the queue).
   */
  handedBack(records: readonly ResultRecord[]): Promise<void>;
  /**
   * What a finished step's workflow asks (canvas/step.ts), just before the
   * step's own finish. Fused: one atomic call, the chord's body added with
   * the last count. Split: the records and the chord count in the backend,
   * then the messages to the broker. Idempotent either way, so a crash
   * between this and the finish only repeats it.
   */
  canvas(step: CanvasStep): Promise<void>;
}

export function ledgerFor(stores: Stores, resultExpiresMs: number): Ledger {
  return stores.fused ? fusedLedger(stores.fused) : splitLedger(stores, resultExpiresMs);
}

function fusedLedger(store: FusedStore): Ledger {
  return {
    begin: async () => true,
    finish: (lease, record, next) => store.finish(lease, record, next),
    retry: (lease, envelope, record) => store.retry(lease, envelope, record),
    deadLetter: (lease, reason, record) => store.deadLetter(lease, reason, record),
    progress: (lease, record) => store.updateProgress(lease, record),
    store: (record) => store.storeResult(record),
    handedBack: async () => undefined,
    canvas: async (step) => void (await store.applyCanvas(step)),
  };
}

function splitLedger(stores: Stores, resultExpiresMs: number): Ledger {
  const { broker, backend } = stores;
  /** The record first; when a final one was there already (another copy won), this copy is acked and counts as not taken. */
  const recordFirst = async (record: ResultRecord | null, lease: Lease, move: () => Promise<boolean>): Promise<boolean> => {
    if (record && !(await backend.storeResult(record))) {
      await broker.ack(lease);
      return false;
    }
    return move();
  };
  return {
    async begin(lease, started) {
      if (await backend.storeResult(started)) return true;
      await broker.ack(lease); // finished before, by a copy whose ack was lost: done, never run twice in a row
      return false;
    },
    async finish(lease, record, next) {
      if (record && !(await backend.storeResult(record))) {
        await broker.ack(lease); // another copy's outcome stands; this one is dropped
        return { accepted: false, next: [] };
      }
      return broker.ack(lease, next);
    },
    retry: (lease, envelope, record) => recordFirst(record, lease, () => broker.retry(lease, envelope)),
    deadLetter: (lease, reason, record) => recordFirst(record, lease, () => broker.deadLetter(lease, reason)),
    progress: (_lease, record) => backend.storeResult(record),
    store: (record) => backend.storeResult(record),
    async handedBack(records) {
      for (const record of records) await backend.storeResult(record);
    },
    async canvas(step) {
      for (const record of step.records) await backend.storeResult(record);
      for (const g of step.groups) await backend.setMeta(`group:${g.id}`, JSON.stringify({ members: g.members, body: g.body }), resultExpiresMs);
      const send = [...step.enqueue];
      const c = step.chord;
      if (c) {
        const joined = await backend.joinChord(c);
        if (joined.state === 'complete') send.push({ ...c.body, envelope: { ...c.body.envelope, body: spliceChordResults(c.body.envelope.body, joined.results) } });
        if (joined.state === 'failed') {
          for (const record of c.onFail.records) await backend.storeResult(record);
          send.push(...c.onFail.enqueue);
        }
      }
      // Ids already in use are what an earlier try of this step sent: sent once is enough.
      if (send.length > 0) await dispatch(stores, send, false);
    },
  };
}
