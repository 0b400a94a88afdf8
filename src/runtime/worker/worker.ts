import { EventEmitter } from 'node:events';
import type { Broker, Lease, Reservation, ReserveRequest } from '../brokers/broker.js';
import type { TaskRegistry } from '../discovery.js';
import { serializeError } from '../errors.js';
import type { Logger } from '../log.js';
import { encodeMessage, type TaskMessage } from '../message.js';
import { execute } from './executor.js';
import type { Outcome } from './outcome.js';
import { recordFor } from './records.js';

export interface WorkerOptions {
  broker: Broker;
  registry: TaskRegistry;
  hostname: string;
  queues: readonly string[];
  concurrency: number;
  leaseMs: number;
  maxMessageBytes: number;
  log: Logger;
}

/** What the worker tells listeners (log lines, the TUI, heartbeats). */
export interface WorkerEvents {
  'task-received': [message: TaskMessage];
  'task-finished': [outcome: Outcome, accepted: boolean];
  'task-progress': [message: TaskMessage, fraction: number, note?: string];
  'lease-lost': [id: string];
  'broker-error': [error: unknown];
}

interface Slot {
  reservation: Reservation;
  message?: TaskMessage;
  startedAt?: number;
  abort: AbortController;
}

/** How long an idle fetch blocks before looking again at its own state. */
const IDLE_WAIT_MS = 1000;

/**
 * Takes messages from the broker and runs them, `concurrency` at a time, in
 * the event loop (pools solo = 1 slot, async = N slots).
 *
 * States: created → running (fetching and running) → draining (warm stop:
 * nothing new is taken, running tasks finish) → stopped. A cold stop from
 * running or draining hands the running tasks' messages back and stops at once.
 */
export class Worker extends EventEmitter<WorkerEvents> {
  state: 'created' | 'running' | 'draining' | 'stopped' = 'created';
  readonly slots = new Map<string, Slot>();
  readonly counters = { received: 0, succeeded: 0, failed: 0, retried: 0, rejected: 0, revoked: 0 };
  private readonly stopFetching = new AbortController();
  private fetchLoop: Promise<void> = Promise.resolve();
  private keeper: NodeJS.Timeout | undefined;
  private slotFreed: (() => void) | undefined;
  private drained: (() => void) | undefined;

  constructor(private readonly options: WorkerOptions) {
    super();
  }

  start(): void {
    if (this.state !== 'created') return;
    this.state = 'running';
    this.fetchLoop = this.fetch();
    // Renew leases well before they lapse: three chances per lease period.
    this.keeper = setInterval(() => void this.renewLeases(), Math.max(100, this.options.leaseMs / 3));
  }

  /** Warm stop: take nothing new, let running tasks finish. Resolves when all have. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'draining';
    this.stopFetching.abort();
    await this.fetchLoop;
    if (this.slots.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.finalize();
  }

  /** Cold stop: hand running tasks' messages back (another worker will run them) and stop now. */
  async stopNow(): Promise<number> {
    if (this.state === 'stopped') return 0;
    this.state = 'draining';
    this.stopFetching.abort();
    const leases = [...this.slots.values()].map((s) => s.reservation.lease);
    for (const slot of this.slots.values()) slot.abort.abort(new Error('worker is shutting down'));
    let handedBack = 0;
    try {
      handedBack = await this.options.broker.release(leases);
    } catch (err) {
      this.emit('broker-error', err); // their leases lapse instead; nothing is lost
    }
    this.slots.clear();
    this.finalize();
    return handedBack;
  }

  private finalize(): void {
    clearInterval(this.keeper);
    this.state = 'stopped';
  }

  private async fetch(): Promise<void> {
    let backoff = 100;
    while (this.state === 'running') {
      const free = this.options.concurrency - this.slots.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      try {
        const taken = await this.options.broker.reserve(this.reserveRequest(free, IDLE_WAIT_MS));
        backoff = 100;
        for (const reservation of taken) this.occupy(reservation);
      } catch (err) {
        this.emit('broker-error', err);
        await delay(backoff, this.stopFetching.signal);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  private reserveRequest(max: number, waitMs: number): ReserveRequest {
    const { queues, hostname, leaseMs } = this.options;
    return { queues, holder: hostname, max, leaseMs, waitMs, signal: this.stopFetching.signal };
  }

  /** A slot runs its message, then — while running — the next one the broker hands back with the ack. */
  private occupy(first: Reservation): void {
    if (this.state !== 'running') {
      void this.options.broker.release([first.lease]).catch((err) => this.emit('broker-error', err));
      return;
    }
    void (async () => {
      let current: Reservation | undefined = first;
      while (current) {
        const slot: Slot = { reservation: current, abort: new AbortController() };
        this.slots.set(current.id, slot);
        const next = await this.runOne(slot);
        this.slots.delete(current.id);
        current = next;
      }
      this.slotFreed?.();
      if (this.slots.size === 0) this.drained?.();
    })();
  }

  private async runOne(slot: Slot): Promise<Reservation | undefined> {
    const { options } = this;
    this.counters.received++;
    const outcome = await execute(slot.reservation, {
      registry: options.registry,
      hostname: options.hostname,
      maxMessageBytes: options.maxMessageBytes,
      log: options.log,
      signal: slot.abort.signal,
      onStart: (message) => {
        slot.message = message;
        slot.startedAt = Date.now();
        this.emit('task-received', message);
      },
      onProgress: (message, fraction, note) => this.reportProgress(slot, message, fraction, note),
    });
    if (!this.slots.has(slot.reservation.id)) return undefined; // handed back by a cold stop
    return this.settle(slot, outcome);
  }

  /** Turns an outcome into its one broker call; retries the call while the broker is away. */
  private async settle(slot: Slot, outcome: Outcome): Promise<Reservation | undefined> {
    const { broker, hostname, maxMessageBytes } = this.options;
    const lease = slot.reservation.lease;
    const record = recordFor(outcome, hostname, slot.startedAt);
    const wantNext = this.state === 'running';
    const call = async (): Promise<{ accepted: boolean; next: Reservation[] }> => {
      switch (outcome.kind) {
        case 'retry': {
          const again = { ...outcome.message, retries: outcome.message.retries + 1, eta: new Date(Date.now() + outcome.delayMs).toISOString() };
          return { accepted: await broker.retry(lease, encodeMessage(again, maxMessageBytes), record!), next: [] };
        }
        case 'reject':
          return { accepted: await broker.deadLetter(lease, outcome.reason, record), next: [] };
        default:
          return broker.finish(lease, record, wantNext ? this.reserveRequest(1, 0) : undefined);
      }
    };
    const result = await this.withRetries(call);
    this.lastProgress.delete(slot.reservation.id);
    this.count(outcome);
    this.emit('task-finished', outcome, result?.accepted ?? false);
    const next = result?.next[0];
    if (next && this.state !== 'running') {
      await broker.release([next.lease]).catch((err) => this.emit('broker-error', err));
      return undefined;
    }
    return next;
  }

  private async withRetries<T>(call: () => Promise<T>): Promise<T | undefined> {
    const giveUpAt = Date.now() + this.options.leaseMs;
    let wait = 100;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        this.emit('broker-error', err);
        // Past the lease the message is someone else's; it will run again there (at-least-once).
        if (Date.now() + wait > giveUpAt) return undefined;
        await delay(wait);
        wait = Math.min(wait * 2, 2000);
      }
    }
  }

  private count(outcome: Outcome): void {
    const key = ({ success: 'succeeded', failure: 'failed', retry: 'retried', reject: 'rejected', revoked: 'revoked' } as const)[outcome.kind];
    this.counters[key]++;
  }

  private async renewLeases(): Promise<void> {
    const leases: Lease[] = [...this.slots.values()].map((s) => s.reservation.lease);
    if (leases.length === 0) return;
    try {
      const lost = await this.options.broker.extendLeases(leases, this.options.leaseMs);
      for (const lease of lost) {
        const slot = this.slots.get(lease.id);
        // The message was taken over (or acked); the running copy is no longer ours to finish.
        if (slot && slot.reservation.lease.token === lease.token) {
          slot.abort.abort(new Error('lease lost'));
          this.emit('lease-lost', lease.id);
        }
      }
    } catch (err) {
      this.emit('broker-error', err);
    }
  }

  private lastProgress = new Map<string, number>();

  private reportProgress(slot: Slot, message: TaskMessage, fraction: number, note?: string): void {
    this.emit('task-progress', message, fraction, note);
    // Store at most 5 updates a second per task: progress is advisory, the queue is not.
    const now = Date.now();
    if (now - (this.lastProgress.get(message.id) ?? 0) < 200 && fraction < 1) return;
    this.lastProgress.set(message.id, now);
    const record = {
      id: message.id, task: message.task, state: 'STARTED' as const, queue: message.queue, retries: message.retries,
      worker: this.options.hostname, startedAt: new Date(slot.startedAt ?? now).toISOString(), progress: { fraction, note },
    };
    this.options.broker.updateProgress(slot.reservation.lease, record).catch((err) => this.emit('broker-error', serializeError(err)));
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
