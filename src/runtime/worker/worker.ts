import { EventEmitter } from 'node:events';
import type { Lease, Reservation, ReserveRequest } from '../brokers/broker.js';
import type { Stores } from '../brokers/index.js';
import { ledgerFor, type Ledger } from './ledger.js';
import { canvasStepOf, stepEndOf } from '../canvas/step.js';
import type { RegisteredTask, TaskRegistry } from '../discovery.js';
import type { Logger } from '../log.js';
import type { TaskMessage } from '../message.js';
import type { ResultRecord } from '../states.js';
import { toOutcome, type Outcome, type Unstored } from './outcome.js';
import { limitMs, waitForRateSlot, type LimitOverrides } from './limits.js';
import type { Pool } from './pools/pool.js';
import { prepare } from './prepare.js';
import { recordFor } from './records.js';
import { delay } from './delay.js';
import { within } from '../within.js';
import { Cancellation } from './cancellation.js';
import { LookAhead } from './look-ahead.js';
import type { Held } from './held.js';

export type { Held } from './held.js';
export type { Unstored } from './outcome.js';
import { settleOutcome } from './settle.js';
import { retryWithin, type Attempt } from './broker-call.js';
import { ForeignTasks } from './foreign-tasks.js';
import { ProgressStore } from './progress.js';
import { LeaseKeeper } from './lease-keeper.js';
import { tracedRun, type RunEnded } from './run-trace.js';

export interface WorkerOptions {
  /** The broker it takes messages from and the backend it records outcomes in (one store, or two). */
  stores: Stores;
  registry: TaskRegistry;
  pool: Pool;
  hostname: string;
  queues: readonly string[];
  /** Messages reserved at most = pool size × this; the extra ones wait here, leased. */
  prefetchMultiplier: number;
  leaseMs: number;
  maxMessageBytes: number;
  /** For the messages a workflow step sends (canvas): their default queue, and how long group records are kept. */
  defaultQueue: string;
  resultExpiresMs: number;
  log: Logger;
}

/** What the worker tells listeners (log lines, the TUI, heartbeats). */
export interface WorkerEvents {
  'task-received': [message: TaskMessage];
  /**
   * `accepted` false: the broker changed nothing for it, because our lease was
   * no longer current (refused) or, with `unstored`, because it could not be reached.
   */
  'task-finished': [outcome: Outcome, accepted: boolean, unstored?: Unstored];
  'task-progress': [message: TaskMessage, fraction: number, note?: string];
  'lease-lost': [id: string];
  'broker-error': [error: unknown];
}

/** How long an idle fetch blocks before looking again at its own state. */
const IDLE_WAIT_MS = 1000;
/**
 * How long a stop waits on the broker (a reserve in flight, the hand-back)
 * before it goes on. A message it could not hand back is not lost: its lease
 * lapses and it is ready again for another worker.
 */
export const STOP_BROKER_WAIT_MS = 2_000;

/**
 * Takes messages from the broker and runs them in a pool.
 *
 * States: created → running (fetching, running) → draining (warm stop: nothing
 * new is taken, the prefetch buffer is handed back, running tasks finish) →
 * stopped. A cold stop from running or draining hands every held message back,
 * ends the pool, and stops at once.
 */
export class Worker extends EventEmitter<WorkerEvents> {
  state: 'created' | 'running' | 'draining' | 'stopped' = 'created';
  /** Started tasks by id, until their outcome is settled with the broker. */
  readonly active = new Map<string, Held>();
  /** Those of `active` that hold a pool slot (not yet done running). */
  private readonly running = new Set<Held>();
  /** Reserved but not started (prefetch). */
  readonly buffer: Held[] = [];
  readonly counters = { received: 0, succeeded: 0, failed: 0, retried: 0, rejected: 0, revoked: 0 };
  private readonly stopFetching = new AbortController();
  private fetchLoop: Promise<void> = Promise.resolve();
  private readonly keeper: LeaseKeeper;
  private wake: (() => void) | undefined;
  private drained: (() => void) | undefined;
  private readonly progress: ProgressStore;
  private readonly lookAhead = new LookAhead();
  /** Queues consumed now; changed at run time by add_consumer / cancel_consumer. */
  readonly queues: string[];
  /** Ids revoked while this worker runs (plus those stored in the broker, synced by the cluster agent). */
  readonly revoked = new Set<string>();
  /** Per-task limits changed at run time (rate_limit, time_limit); they win over the task's options. */
  readonly overrides = new Map<string, LimitOverrides>();
  /** Who else runs the tasks this worker does not register. */
  readonly foreign: ForeignTasks;
  private readonly ledger: Ledger;

  constructor(private readonly options: WorkerOptions) {
    super();
    this.queues = [...options.queues];
    this.ledger = ledgerFor(options.stores, options.resultExpiresMs);
    this.foreign = new ForeignTasks(options.stores, options.hostname, options.log);
    const held = () => [...this.active.values(), ...this.buffer].map((h) => h.reservation.lease);
    this.keeper = new LeaseKeeper(options.stores.broker, options.leaseMs, held, (lease) => this.onLeaseLost(lease), (err) => this.emit('broker-error', err));
    this.progress = new ProgressStore(this.ledger, options.hostname, (err) => this.emit('broker-error', err));
  }

  get pool(): Pool {
    return this.options.pool;
  }

  get registry(): TaskRegistry {
    return this.options.registry;
  }

  /**
   * Revokes ids on this worker: a buffered message is recorded REVOKED and
   * dropped; a running one is ended when `terminate` (by force in threads and
   * prefork, through its AbortSignal in solo and async). Returns the ids held here.
   */
  revoke(ids: readonly string[], terminate: boolean, reason: string): string[] {
    const hit: string[] = [];
    for (const id of ids) {
      this.revoked.add(id);
      const index = this.buffer.findIndex((h) => h.reservation.id === id);
      if (index !== -1) {
        const [held] = this.buffer.splice(index, 1);
        hit.push(id);
        void this.settleRevokedBuffered(held!, reason);
        continue;
      }
      const active = this.active.get(id);
      if (!active) continue;
      hit.push(id);
      if (!terminate) continue;
      active.revokedBecause = reason;
      if (!this.options.pool.kill(id, reason)) active.abort.abort(new Error(`revoked: ${reason}`));
    }
    return hit;
  }

  private async settleRevokedBuffered(held: Held, reason: string): Promise<void> {
    const prepared = prepare(held.reservation, this.options.registry, this.options.maxMessageBytes, this.options.hostname);
    const message = prepared.ok ? prepared.message : prepared.unknown;
    const outcome: Outcome = message ? { kind: 'revoked', message, reason } : (prepared as { outcome: Outcome }).outcome;
    await this.settle(held, outcome);
    this.wake?.();
  }

  get concurrency(): number {
    return this.options.pool.size;
  }

  start(): void {
    if (this.state !== 'created') return;
    this.state = 'running';
    this.fetchLoop = this.fetch();
    this.keeper.start();
  }

  /** Warm stop: take nothing new, hand back the prefetch buffer now, let running tasks finish. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'draining';
    this.stopFetching.abort();
    this.wake?.();
    await within(this.fetchLoop, STOP_BROKER_WAIT_MS);
    await this.handBack(this.buffer.splice(0));
    if (this.active.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.finalize();
  }

  /** Cold stop: hand every held message back (another worker runs them), end the pool, stop now. */
  async stopNow(): Promise<number> {
    if (this.state === 'stopped') return 0;
    this.state = 'draining';
    this.stopFetching.abort();
    this.wake?.();
    const held = [...this.buffer.splice(0), ...this.active.values()];
    for (const h of held) h.abort.abort(new Error('worker is shutting down'));
    const handedBack = await this.handBack(held);
    this.active.clear();
    this.running.clear();
    await this.finalize();
    this.drained?.();
    return handedBack;
  }

  private async finalize(): Promise<void> {
    this.keeper.stop();
    await this.options.pool.close();
    this.state = 'stopped';
  }

  private async handBack(held: Held[]): Promise<number> {
    if (held.length === 0) return 0;
    const released = this.options.stores.broker.release(held.map((h) => h.reservation.lease)).catch((err: unknown) => {
      this.emit('broker-error', err); // their leases lapse instead; nothing is lost
      return 0;
    });
    const started = held.flatMap((h) => (h.message ? [{ ...startedRecord(h.message, this.options.hostname), state: 'PENDING' as const, worker: undefined, startedAt: undefined }] : []));
    const [n] = await Promise.all([within(released, STOP_BROKER_WAIT_MS), within(this.ledger.handedBack(started), STOP_BROKER_WAIT_MS)]);
    return n ?? 0;
  }

  private async fetch(): Promise<void> {
    let backoff = 100;
    while (this.state === 'running') {
      const room = this.concurrency * (this.options.prefetchMultiplier + this.lookAhead.extraPerSlot) - this.active.size - this.buffer.length;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      try {
        const taken = await this.options.stores.broker.reserve(this.reserveRequest(room, IDLE_WAIT_MS));
        backoff = 100;
        for (const reservation of taken) this.buffer.push({ reservation, abort: new Cancellation() });
        this.pump();
      } catch (err) {
        this.emit('broker-error', err);
        await delay(backoff, this.stopFetching.signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private reserveRequest(max: number, waitMs: number): ReserveRequest {
    const { hostname, leaseMs, prefetchMultiplier } = this.options;
    return { queues: this.queues, holder: hostname, max, leaseMs, waitMs, signal: this.stopFetching.signal, window: this.concurrency * prefetchMultiplier };
  }

  /** Starts buffered messages while the pool has a free slot. */
  private pump(): void {
    while (this.state === 'running' && this.running.size < this.concurrency && this.buffer.length > 0) this.launch(this.buffer.shift()!);
  }

  /**
   * A task no longer needs its pool slot (it ran, or never will): the next
   * buffered message starts now, while this one's ack is still on the wire.
   */
  private freeSlot(held: Held): void {
    if (this.running.delete(held)) this.pump();
  }

  /** Runs one message; when it is settled, queues the next one the broker handed back with the ack, if any. */
  private launch(held: Held): void {
    this.active.set(held.reservation.id, held);
    this.running.add(held);
    void this.process(held).then((next) => {
      // Only its own entry: a task's next copy (a retry with no countdown) can be
      // delivered here between this settle and this line, under the same id.
      if (this.active.get(held.reservation.id) === held) {
        this.active.delete(held.reservation.id);
        this.progress.forget(held.reservation.id);
      }
      if (next && this.state === 'running') this.buffer.push({ reservation: next, abort: new Cancellation() });
      else if (next) void this.handBack([{ reservation: next, abort: new Cancellation() }]);
      this.freeSlot(held);
      this.pump();
      this.wake?.();
      if (this.active.size === 0) this.drained?.();
    });
  }

  private async process(held: Held): Promise<Reservation | undefined> {
    const { registry, maxMessageBytes, hostname } = this.options;
    const prepared = prepare(held.reservation, registry, maxMessageBytes, hostname);
    const decoded = prepared.ok ? prepared.message : prepared.unknown;
    if (decoded && this.revoked.has(decoded.id)) return this.settle(held, { kind: 'revoked', message: decoded, reason: 'revoked before it started' });
    if (!prepared.ok) return prepared.unknown ? this.passOn(held, prepared.unknown) : this.settle(held, prepared.outcome);
    const { message, entry } = prepared;
    return tracedRun(message, hostname, (ended) => this.run(held, message, entry, ended));
  }

  /** Runs a decoded message of a registered task, then settles it; `ended` hears its outcome (tracing). */
  private async run(held: Held, message: TaskMessage, entry: RegisteredTask, ended: RunEnded): Promise<Reservation | undefined> {
    const { hostname } = this.options;
    const rate = this.overrides.get(entry.name)?.rateLimit ?? entry.task.options.rateLimit;
    if (rate && !(await waitForRateSlot(this.options.stores.backend, this.ledger, held, message.priority, entry.name, rate, (fn) => this.call(fn)))) return undefined;
    const acksLate = entry.task.options.acksLate ?? true;
    // A sender that asked for no result (Celery's ignore_result) gets no state written either, STARTED included.
    const started = message.ignoreResult ? null : startedRecord(message, hostname);
    if (!acksLate) {
      // At most once: the message is gone before the task runs; a crash now loses this run.
      if (!(await this.call(() => this.ledger.finish(held.reservation.lease, started)))?.accepted) return undefined;
    } else if (started && !(await this.call(() => this.ledger.begin(held.reservation.lease, started)))) {
      this.options.log.debug(`Task ${message.task}[${message.id}] already finished (a copy delivered again): acked, not run again`);
      return undefined;
    }
    held.message = message;
    held.startedAt = Date.now();
    this.counters.received++;
    this.emit('task-received', message);
    const result = await this.options.pool.run({
      entry,
      message,
      cancel: held.abort,
      softLimitMs: limitMs(entry, message, this.overrides.get(entry.name), 'softTimeLimit'),
      hardLimitMs: limitMs(entry, message, this.overrides.get(entry.name), 'timeLimit'),
      onProgress: (fraction, note) => {
        this.emit('task-progress', message, fraction, note);
        this.progress.report(held, message, fraction, note);
      },
    });
    // The run alone, without the ack's round trip: a slow broker must not switch the look-ahead off.
    this.lookAhead.record(Date.now() - held.startedAt);
    this.freeSlot(held);
    if (!this.active.has(held.reservation.id)) return undefined; // handed back by a cold stop
    const outcome: Outcome = held.revokedBecause
      ? { kind: 'revoked', message, reason: held.revokedBecause }
      : toOutcome(result, entry, message, Date.now() - held.startedAt);
    ended(outcome);
    if (acksLate) return this.settle(held, outcome);
    const record = message.ignoreResult ? null : recordFor(outcome, hostname, held.startedAt, entry.task.options.ignoreResult)!;
    await this.carryOn(outcome, record); // acked already: its workflow goes on or is lost with it, as the task is
    const stored = record ? await this.attempt(() => this.ledger.store(record)) : { ok: true as const, value: true };
    this.count(outcome);
    if (stored.ok) this.emit('task-finished', outcome, true);
    else this.emit('task-finished', outcome, false, { error: stored.error, runsAgain: false });
    return undefined;
  }

  private async settle(held: Held, outcome: Outcome): Promise<Reservation | undefined> {
    const { hostname, maxMessageBytes } = this.options;
    const entry = outcome.message ? this.options.registry.get(outcome.message.task) : undefined;
    const record = outcome.message?.ignoreResult ? null : recordFor(outcome, hostname, held.startedAt, entry?.task.options.ignoreResult);
    if (!(await this.carryOn(outcome, record))) {
      this.emit('task-finished', outcome, false, { error: new Error('its workflow\'s next steps could not be stored'), runsAgain: true });
      return undefined;
    }
    const wantNext = this.state === 'running' && this.buffer.length === 0;
    // Kept and tried again while the broker fails (down, or out of memory), for up to one lease.
    const result = await this.attempt(() => settleOutcome(this.ledger, held.reservation.lease, outcome, record, maxMessageBytes, wantNext ? this.reserveRequest(1, 0) : undefined));
    this.count(outcome);
    if (result.ok) this.emit('task-finished', outcome, result.value.accepted);
    else this.emit('task-finished', outcome, false, { error: result.error, runsAgain: true });
    return result.ok ? result.value.next[0] : undefined;
  }

  /**
   * The workflow's next steps (canvas), stored before the step's finish; the
   * record learns what it sent (children). False when the broker stayed
   * unreachable for a lease: then nothing is finished, and the message runs
   * again elsewhere (every part of a canvas step is idempotent).
   */
  private async carryOn(outcome: Outcome, record: ResultRecord | null): Promise<boolean> {
    const end = outcome.message ? stepEndOf(outcome as Parameters<typeof stepEndOf>[0]) : null;
    const step = end ? canvasStepOf(this.options, outcome.message!, end) : undefined;
    if (!step) return true;
    if (record && step.children.length > 0) record.children = step.children;
    return (await this.attempt(() => this.ledger.canvas(step))).ok;
  }

  /** A valid message for a task this worker does not register: handed back while a worker that registers it may take it, else dead-lettered. */
  private async passOn(held: Held, message: TaskMessage): Promise<Reservation | undefined> {
    const reason = await this.foreign.handBack(held, message, (fn) => this.call(fn));
    return reason === null ? undefined : this.settle(held, { kind: 'reject', message, reason });
  }

  /** A broker call tried again while it fails, up to one lease; after that the message is someone else's. */
  private attempt<T>(fn: () => Promise<T>): Promise<Attempt<T>> {
    return retryWithin(fn, this.options.leaseMs, (err) => this.emit('broker-error', err));
  }

  private async call<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const result = await this.attempt(fn);
    return result.ok ? result.value : undefined;
  }

  private count(outcome: Outcome): void {
    const key = ({ success: 'succeeded', failure: 'failed', retry: 'retried', reject: 'rejected', revoked: 'revoked' } as const)[outcome.kind];
    this.counters[key]++;
  }

  private onLeaseLost(lease: Lease): void {
    const held = this.active.get(lease.id) ?? this.buffer.find((h) => h.reservation.id === lease.id);
    if (!held || held.reservation.lease.token !== lease.token) return;
    // Taken over (or acked at most once): the copy here is no longer ours to finish.
    if (held.message && this.options.registry.get(held.message.task)?.task.options.acksLate === false) return;
    held.abort.abort(new Error('lease lost'));
    const index = this.buffer.indexOf(held);
    if (index !== -1) this.buffer.splice(index, 1);
    this.emit('lease-lost', lease.id);
  }
}

/** The record a task has while it runs. */
function startedRecord(message: TaskMessage, worker: string): ResultRecord {
  return { id: message.id, task: message.task, state: 'STARTED', queue: message.queue, retries: message.retries, worker, startedAt: new Date().toISOString(), parentId: message.parentId, rootId: message.rootId };
}
