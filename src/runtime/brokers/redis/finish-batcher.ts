import type { ResultRecord } from '../../states.js';
import { isFinal } from '../../states.js';
import type { FinishOutcome, Lease, Reservation, ReserveRequest } from '../broker.js';
import { fenced } from './codes.js';
import { decodeReservations } from './replies.js';
import type { Arg, FlatReply } from './scripts.js';

interface PendingFinish {
  lease: Lease;
  record: string;
  final: boolean;
  want: number;
  resolve(outcome: FinishOutcome): void;
  reject(err: unknown): void;
}

interface Batch {
  next: ReserveRequest | undefined;
  items: PendingFinish[];
}

/** Finishes sent in one script call at most; more wait for the next call. */
const MAX_BATCH = 200;

/**
 * Group commit for `finish`: the finishes a busy worker makes while a call is
 * on the wire are sent together in the next one (finish.lua takes a batch),
 * so Redis and the client spend one script call on many tasks. An idle
 * worker's finish goes out at once: nothing waits for a batch to fill.
 *
 * Each finish is still fenced and atomic on its own; only finishes that ask
 * for their next messages the same way (holder, queues, lease) share a call.
 *
 * States per batch key: idle → in flight (one call) → idle, or in flight
 * again at once when finishes queued meanwhile.
 */
export class FinishBatcher {
  private readonly queued = new Map<string, Batch>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly run: (args: Arg[]) => Promise<FlatReply>,
    /** prefix, result TTL — the script's first arguments. */
    private readonly head: () => Arg[],
    /** holder, lease ms, token base, queues — how the script takes the next messages. */
    private readonly leaseArgs: (next: ReserveRequest) => Arg[],
  ) {}

  finish(lease: Lease, record: ResultRecord | null, next?: ReserveRequest): Promise<FinishOutcome> {
    const want = next && next.max > 0 ? next.max : 0;
    const key = want > 0 ? `${next!.holder}\0${next!.leaseMs}\0${next!.queues.join('\0')}` : '';
    let batch = this.queued.get(key);
    if (!batch) this.queued.set(key, (batch = { next: want > 0 ? next : undefined, items: [] }));
    const done = new Promise<FinishOutcome>((resolve, reject) => {
      batch.items.push({ lease, record: record ? JSON.stringify(record) : '', final: !!record && isFinal(record.state), want, resolve, reject });
    });
    // Flush after the current tick, so finishes made together share the call.
    if (!this.inFlight.has(key) && batch.items.length === 1) process.nextTick(() => this.flush(key));
    return done;
  }

  private flush(key: string): void {
    const batch = this.queued.get(key);
    if (!batch || this.inFlight.has(key)) return;
    const items = batch.items.splice(0, MAX_BATCH);
    if (batch.items.length === 0) this.queued.delete(key);
    if (items.length === 0) return;
    this.inFlight.add(key);
    const args: Arg[] = [...this.head(), items.length];
    for (const it of items) args.push(it.lease.id, it.lease.token, it.record, it.final ? '1' : '0', it.want);
    args.push(...(batch.next ? this.leaseArgs(batch.next) : ['', 0, '']));
    this.run(args).then(
      (reply) => settle(items, reply),
      (err) => items.forEach((it) => it.reject(err)),
    ).finally(() => {
      this.inFlight.delete(key);
      // What queued while this call was out goes now, as one call.
      if (this.queued.get(key)?.items.length) this.flush(key);
    });
  }
}

function settle(items: PendingFinish[], reply: FlatReply): void {
  const { taken } = decodeReservations(reply, items.length);
  let given = 0;
  items.forEach((it, i) => {
    let accepted: boolean;
    try {
      accepted = fenced(Number(reply[i]), 'finish');
    } catch (err) {
      it.reject(err);
      return;
    }
    const next: Reservation[] = accepted ? taken.slice(given, given + it.want) : [];
    given += next.length;
    it.resolve({ accepted, next });
  });
}
