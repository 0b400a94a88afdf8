import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DeadLetter } from '../../cluster.js';
import { maskUrl } from '../../config.js';
import { DEAD_LETTER_CAP, type Broker, type BrokerOptions, type FinishOutcome, type Lease, type PurgedTask, type QueueStats, type ReadyTaskCount, type Reservation, type ReserveRequest, type ScheduledMessage } from '../../brokers/broker.js';
import { connectWithin, createConnection } from '../../brokers/redis/connection.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../config.js';
import type { Envelope } from '../../message.js';
import { AckBatcher } from './ack-batcher.js';
import { kombuElementOf, reservationOf, tagOf } from './deliveries.js';
import { HeldEtas } from './held-etas.js';
import { bandKey, bandKeys, bindingOf, kombuKeys, type KombuKeys } from './layout.js';
import { KombuListings } from './listings.js';
import { bindKombuScripts, type KombuScripts } from './scripts.js';

export interface KombuBrokerOptions extends BrokerOptions {
  /** kombu's visibility_timeout: a delivery unacked this long is restored (default 3600 s, kombu's). */
  visibilityTimeoutMs: number;
  /** kombu's global_keyprefix (default none). */
  globalKeyPrefix: string;
}

/** How often a worker runs the restore sweeps (tq leases that lapsed; kombu's visibility timeout). */
const RESTORE_EVERY_MS = 2_000;
/** Deliveries one sweep restores at most (the next sweep takes the rest). */
const RESTORE_MAX = 1_000;
/** While idle, a consumer blocks on its first list this long at a time, then looks at every list again. */
const IDLE_BLOCK_MS = 200;

/**
 * Celery's message flow on Redis in kombu's layout (layout.ts), shared with
 * Python Celery workers and clients: a Python `send_task` runs on a tq worker,
 * a tq send runs on a Python worker, and each side's restore brings back what
 * the other's dead workers held.
 *
 * Safer than kombu: taking a message and writing it to `unacked` are one Lua
 * step (kombu BRPOPs, then writes), a tq worker's deliveries come back
 * `leaseMs` after it dies (kombu waits the visibility timeout), and a running
 * task's unacked_index time is kept fresh, so a task longer than the
 * visibility timeout is not run twice. Eta messages are held in `unacked`
 * (HeldEtas), never only in memory.
 *
 * What the layout cannot do: tell duplicate ids (enqueue adds every message),
 * count scheduled or leased messages per queue cheaply (stats say null), or
 * wait on several lists without taking (idle: a block on the first list, the
 * others looked at every IDLE_BLOCK_MS).
 *
 * States: created → connected (connect) → consuming (first reserve: the
 * restore sweeps and eta refreshes run) → closed (held etas handed back).
 */
export class KombuBroker implements Broker {
  readonly kind = 'redis';
  readonly keepsState = false;
  readonly displayUrl: string;
  private readonly redis: Redis;
  private blocking: Redis | undefined;
  private readonly scripts: KombuScripts;
  private readonly keys: KombuKeys;
  private readonly maxBytes: number;
  private readonly held: HeldEtas;
  private readonly acks: AckBatcher;
  private readonly listings: KombuListings;
  private readonly declared = new Set<string>();
  private restoreTimer: NodeJS.Timeout | undefined;
  private takes = 0;
  private readonly takerId = randomUUID().slice(0, 8);

  constructor(private readonly options: KombuBrokerOptions) {
    this.displayUrl = maskUrl(options.url);
    this.redis = createConnection(options.url, 'commands', options.redisTls, options.keyPrefix);
    this.scripts = bindKombuScripts(this.redis);
    this.keys = kombuKeys(options.globalKeyPrefix, options.keyPrefix);
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.held = new HeldEtas();
    this.acks = new AckBatcher((pairs) => this.scripts.ack(this.flowKeys(), pairs));
    this.listings = new KombuListings(this.redis, this.scripts, this.keys, options.queues ?? []);
  }

  async connect(): Promise<void> {
    await connectWithin(this.redis, this.options.url, this.options.keyPrefix);
  }

  async close(): Promise<void> {
    clearInterval(this.restoreTimer);
    this.held.stop();
    // Eta messages this process held go back to their queues for whoever runs next.
    const held = this.held.drain();
    if (held.length > 0) await this.release(held.map((r) => r.lease)).catch(() => undefined);
    this.redis.disconnect();
    this.blocking?.disconnect();
  }

  /** Redis's maxmemory-policy (the worker warns unless it is noeviction: an evicted list loses queued tasks). */
  async evictionPolicy(): Promise<string | null> {
    const reply = (await this.redis.config('GET', 'maxmemory-policy')) as string[];
    return reply[1] ?? null;
  }

  async enqueue(envelopes: readonly Envelope[]): Promise<string[]> {
    const pipeline = this.redis.pipeline();
    for (const envelope of envelopes) {
      const { element } = kombuElementOf(envelope, this.maxBytes);
      this.declare(pipeline, envelope.queue);
      pipeline.lpush(bandKey(this.keys, envelope.queue, envelope.priority), element);
    }
    await execPipeline(pipeline);
    return [];
  }

  async reserve(request: ReserveRequest): Promise<Reservation[]> {
    this.startSweeps(request.leaseMs);
    const deadline = Date.now() + request.waitMs;
    for (let first = true; ; first = false) {
      const out = this.held.due(request.queues, request.max);
      if (out.length < request.max) out.push(...(await this.take(request, request.max - out.length)));
      if (out.length > 0 || request.signal?.aborted) return out;
      const left = deadline - Date.now();
      if (left <= 0 && !first) return out;
      if (left <= 0) continue;
      await this.waitIdle(request.queues, Math.min(left, IDLE_BLOCK_MS, this.held.msUntilNextDue()));
    }
  }

  async ack(lease: Lease, next?: ReserveRequest): Promise<FinishOutcome> {
    const { tag, token } = tagOf(lease);
    const accepted = await this.acks.ack(tag, token);
    return { accepted, next: next ? await this.reserve({ ...next, waitMs: 0 }) : [] };
  }

  async retry(lease: Lease, envelope: Envelope): Promise<boolean> {
    const { tag, token } = tagOf(lease);
    const { element } = kombuElementOf(envelope, this.maxBytes);
    const keys = [...this.flowKeys(), bandKey(this.keys, envelope.queue, envelope.priority)];
    return (await this.scripts.retry(keys, [tag, token, element])) === 1;
  }

  async release(leases: readonly Lease[]): Promise<number> {
    if (leases.length === 0) return 0;
    return this.scripts.release(this.flowKeys(), [this.keys.globalPrefix, ...leases.flatMap((l) => pair(l))]);
  }

  async deadLetter(lease: Lease, reason: string): Promise<boolean> {
    const { tag, token } = tagOf(lease);
    const args = [tag, token, this.keys.deadPrefix, lease.id, reason, new Date().toISOString(), DEAD_LETTER_CAP];
    return (await this.scripts['dead-letter'](this.flowKeys(), args)) === 1;
  }

  async extendLeases(leases: readonly Lease[], leaseMs: number): Promise<Lease[]> {
    if (leases.length === 0) return [];
    const lost = await this.scripts.extend(
      [this.keys.unackedIndex, this.keys.leases, this.keys.holders],
      [unixNow(), Date.now() + leaseMs, ...leases.flatMap((l) => pair(l))],
    );
    return lost.map((i) => leases[i - 1]!);
  }

  async removeWaiting(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const queues = await this.listings.queues();
    const removed = await this.scripts['remove-waiting'](bandKeys(this.keys, queues).map((b) => b.key), ids);
    // Eta messages this process holds count as waiting: they have not started.
    return [...removed, ...(await this.removeHeld(ids))];
  }

  purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>> {
    return this.listings.purge(queues);
  }

  peekReady(queues: readonly string[], max: number): Promise<ReadyTaskCount[]> {
    return this.listings.peekReady(queues, max);
  }

  stats(queues?: readonly string[]): Promise<QueueStats[]> {
    return this.listings.stats(queues);
  }

  listScheduled(max: number): Promise<ScheduledMessage[]> {
    return this.listings.listScheduled(max);
  }

  listDead(max: number, queues?: readonly string[]): Promise<DeadLetter[]> {
    return this.listings.listDead(max, queues);
  }

  requeueDead(ids?: readonly string[], queues?: readonly string[]): Promise<number> {
    return this.listings.requeueDead(ids, queues);
  }

  /** One sweep of the restores now (tests; a worker runs them every RESTORE_EVERY_MS). */
  async restoreNow(): Promise<{ restored: number; dead: number; visible: number }> {
    const now = Date.now();
    const [restored, dead, visible] = await this.scripts.restore(
      [...this.flowKeys(), this.keys.unackedMutex],
      [now, (now - this.options.visibilityTimeoutMs) / 1000, this.keys.globalPrefix, this.keys.deadPrefix, new Date(now).toISOString(), DEAD_LETTER_CAP, randomUUID(), RESTORE_MAX],
    );
    return { restored, dead, visible };
  }

  private async take(request: ReserveRequest, max: number): Promise<Reservation[]> {
    const bands = bandKeys(this.keys, request.queues);
    const token = `${this.takerId}.${++this.takes}`;
    const reply = await this.scripts.take(
      [...this.flowKeys(), ...bands.map((b) => b.key)],
      [unixNow(), max, Date.now() + request.leaseMs, token, ...bands.map((b) => b.queue)],
    );
    const out: Reservation[] = [];
    for (let i = 0; i < reply.length; i += 5) {
      const [queue, tag, tok, kind, raw] = reply.slice(i, i + 5) as string[];
      const { reservation, etaMs } = reservationOf(queue!, tag!, tok!, kind === 'v', raw!);
      if (etaMs !== null && etaMs > Date.now()) this.held.hold(reservation, etaMs);
      else out.push(reservation);
    }
    return out;
  }

  /**
   * Waits for work without taking it: BLMOVE from a list onto its own tail
   * returns as soon as the list has an element and leaves it where it was
   * (Redis has no blocking peek, and a blocking pop would hold the message in
   * this process alone, kombu's window of loss).
   */
  private async waitIdle(queues: readonly string[], ms: number): Promise<void> {
    if (ms <= 0 || queues.length === 0) return;
    this.blocking ??= createConnection(this.options.url, 'blocking', this.options.redisTls, this.options.keyPrefix);
    const first = bandKey(this.keys, queues[0]!, 0);
    try {
      await this.blocking.blmove(first, first, 'RIGHT', 'RIGHT', Math.max(ms, 10) / 1000);
    } catch {
      // Redis before 6.2 (no BLMOVE), or the connection dropped: wait the same time without it.
      await new Promise((resolve) => setTimeout(resolve, ms));
    }
  }

  private startSweeps(leaseMs: number): void {
    if (this.restoreTimer) return;
    const sweep = () => void this.restoreNow().catch(() => undefined);
    this.restoreTimer = setInterval(sweep, RESTORE_EVERY_MS);
    this.restoreTimer.unref();
    sweep();
    this.held.start((leases) => this.extendLeases(leases, leaseMs), Math.min(leaseMs / 3, this.options.visibilityTimeoutMs / 4));
  }

  private async removeHeld(ids: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (const r of this.held.remove(ids)) {
      const { tag, token } = tagOf(r.lease);
      if ((await this.acks.ack(tag, token))) removed.push(r.id);
    }
    return removed;
  }

  private declare(pipeline: ReturnType<Redis['pipeline']>, queue: string): void {
    if (this.declared.has(queue)) return;
    this.declared.add(queue);
    // What kombu's queue_bind writes: Python's tools (and tq's listings) find the queue by it.
    const b = bindingOf(this.keys, queue);
    pipeline.sadd(b.key, b.member);
  }

  private flowKeys(): string[] {
    return [this.keys.unacked, this.keys.unackedIndex, this.keys.leases, this.keys.holders];
  }
}

function pair(lease: Lease): string[] {
  const { tag, token } = tagOf(lease);
  return [tag, token];
}

/** kombu's clock: unix seconds as a float (time.time()). */
function unixNow(): string {
  return (Date.now() / 1000).toFixed(6);
}

async function execPipeline(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  const results = (await pipeline.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
}
