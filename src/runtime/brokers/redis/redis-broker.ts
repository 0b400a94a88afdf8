import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { EVENT_STREAM_CAP, type ControlReply, type ControlRequest, type TqEvent, type WorkerHeartbeat } from '../../cluster.js';
import { DEFAULT_MAX_MESSAGE_BYTES, maskUrl } from '../../config.js';
import { TqError } from '../../errors.js';
import { within } from '../../within.js';
import { truncate, type Envelope } from '../../message.js';
import { isFinal, type ResultRecord } from '../../states.js';
import { DEAD_LETTER_CAP, PURGE_REASON, type BrokerOptions, type FinishOutcome, type Lease, type PurgedTask, type QueueStats, type ReadyTaskCount, type Reservation, type ReserveRequest } from '../broker.js';
import type { FusedStore } from '../fused.js';
import type { ChordJoinRequest, ChordJoinState } from '../backend.js';
import type { CanvasStep } from '../../canvas/step.js';
import { applyCanvasStep, joinChord } from './redis-canvas.js';
import { fenced } from './codes.js';
import { FinishBatcher } from './finish-batcher.js';
import { connectWithin, createConnection, type ConnectionRole } from './connection.js';
import { MarkerWaiter } from './marker-waiter.js';
import { decodeReservations, decodeStats } from './replies.js';
import { ChannelWaiter } from './channel-waiter.js';
import { RedisCluster } from './redis-cluster.js';
import { RedisResults } from './redis-results.js';
import { bindScripts, type Arg, type Scripts } from './scripts.js';
import { checkAccess } from './access-check.js';
import { enqueueInChunks, pushEnvelopeArgs } from './enqueue-calls.js';

export { ENQUEUE_CHUNK } from './enqueue-calls.js';

/** How long close() waits for QUIT's answer before dropping the connection. */
const QUIT_WAIT_MS = 2_000;
/** Longest single blocking wait, so an idle reserve re-checks now and then whatever happens. */
const MAX_BLOCK_MS = 60_000;

/**
 * The Redis broker and result backend. Every state transition is one Lua
 * script (see ./lua, one file per operation), so taking a message and
 * recording its holder, or acking it and storing its result, are atomic.
 *
 * Connections: one for commands (calls written at once, pipelined), one per idle reserve that
 * blocks on marker keys (MarkerWaiter), one subscriber for wake-ups of result,
 * control and event readers (ChannelWaiter), the last two opened on first use.
 * The cluster verbs (heartbeats, control, revocations, events, dead letters)
 * live in RedisCluster.
 *
 * States: created → open (connect) → closed. Calls after close throw.
 */
export class RedisBroker implements FusedStore {
  readonly kind = 'redis';
  readonly keepsState = true;
  readonly displayUrl: string;
  private readonly prefix: string;
  private readonly redis: Redis;
  private readonly scripts: Scripts;
  private readonly markers: MarkerWaiter;
  private readonly channels: ChannelWaiter;
  private readonly finishes: FinishBatcher;
  private readonly cluster: RedisCluster;
  private readonly results: RedisResults;
  private readonly blockingScripts = new WeakMap<Redis, Scripts>();
  private readonly tokenNonce = randomBytes(6).toString('base64url');
  private tokenCount = 0;
  private state: 'created' | 'open' | 'closed' = 'created';

  constructor(private readonly options: BrokerOptions) {
    this.displayUrl = maskUrl(options.url);
    this.prefix = options.keyPrefix || 'tq:';
    const connection = (role: ConnectionRole) => createConnection(options.url, role, options.redisTls, this.prefix);
    this.redis = connection('commands');
    this.scripts = bindScripts(this.redis);
    this.markers = new MarkerWaiter(() => connection('blocking'), this.redis);
    this.channels = new ChannelWaiter(() => connection('subscriber'));
    this.cluster = new RedisCluster(this.redis, this.scripts, this.prefix, this.channels, options.resultExpiresMs);
    this.results = new RedisResults(this.redis, this.scripts, this.prefix, this.channels, options.resultExpiresMs);
    this.finishes = new FinishBatcher(
      (args) => this.scripts.finish(args),
      () => [this.prefix, options.resultExpiresMs],
      (next) => this.leaseArgs(next),
    );
  }

  async connect(): Promise<void> {
    if (this.state === 'open') return;
    if (this.state === 'closed') throw this.closedError();
    await connectWithin(this.redis, this.options.url, this.prefix);
    this.state = 'open';
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.markers.close();
    this.channels.close();
    // QUIT lets replies still in flight arrive; a connection that is down (its QUIT would wait
    // for a reconnect) or does not answer in time is just dropped.
    if (wasOpen && this.redis.status === 'ready') await within(this.redis.quit(), QUIT_WAIT_MS);
    this.redis.disconnect();
  }

  async enqueue(envelopes: readonly Envelope[], sentEvents?: readonly TqEvent[]): Promise<string[]> {
    this.assertOpen();
    return enqueueInChunks((args) => this.scripts.enqueue(args), this.prefix, envelopes, sentEvents);
  }

  async enqueueUnique(envelope: Envelope, uniqueKey: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    return (await this.scripts['enqueue-unique'](pushEnvelopeArgs([this.prefix, uniqueKey, Math.ceil(ttlMs)], envelope))) === 1;
  }

  async reserve(request: ReserveRequest): Promise<Reservation[]> {
    this.assertOpen();
    if (request.max <= 0 || request.queues.length === 0) return [];
    const deadline = Date.now() + request.waitMs;
    const markerKeys = request.queues.map((q) => `${this.prefix}q:${q}:marker`);
    const reserveOn = (scripts: Scripts) => scripts.reserve([this.prefix, request.max, ...this.leaseArgs(request)]);
    let reply = await reserveOn(this.scripts);
    for (;;) {
      const { wakeInMs, taken } = decodeReservations(reply, 0);
      if (taken.length > 0) return taken;
      const left = deadline - Date.now();
      if (left <= 0 || request.signal?.aborted || this.state !== 'open') return [];
      // Block until an enqueue sets a marker, or until the next eta / lease deadline is due;
      // the reserve that follows rides on the blocking connection, behind the wait.
      const wait = Math.min(left, wakeInMs >= 0 ? wakeInMs + 1 : left, MAX_BLOCK_MS);
      const woken = await this.markers.wait(markerKeys, wait, request.signal, (redis) => reserveOn(this.scriptsOn(redis)));
      reply = woken ?? (await reserveOn(this.scripts));
    }
  }

  async finish(lease: Lease, record: ResultRecord | null, next?: ReserveRequest): Promise<FinishOutcome> {
    this.assertOpen();
    return this.finishes.finish(lease, record, next);
  }

  async ack(lease: Lease, next?: ReserveRequest): Promise<FinishOutcome> {
    return this.finish(lease, null, next);
  }

  async retry(lease: Lease, envelope: Envelope, record: ResultRecord | null = null): Promise<boolean> {
    this.assertOpen();
    const args = [this.prefix, lease.id, lease.token, envelope.body, envelope.priority, envelope.etaMs ?? 0, ...this.recordArgs(record)];
    return fenced(await this.scripts.retry(args), 'retry');
  }

  async release(leases: readonly Lease[]): Promise<number> {
    this.assertOpen();
    if (leases.length === 0) return 0;
    return this.scripts.release([this.prefix, ...leases.flatMap((l) => [l.id, l.token])]);
  }

  async deadLetter(lease: Lease, reason: string, record: ResultRecord | null = null): Promise<boolean> {
    this.assertOpen();
    const final = record && isFinal(record.state) ? '1' : '0';
    const deadBodyMax = this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const args = [this.prefix, lease.id, lease.token, truncate(reason, 1000), ...this.recordArgs(record), final, DEAD_LETTER_CAP, deadBodyMax];
    return fenced(await this.scripts['dead-letter'](args), 'dead-letter');
  }

  async extendLeases(leases: readonly Lease[], leaseMs: number): Promise<Lease[]> {
    this.assertOpen();
    if (leases.length === 0) return [];
    const lost = await this.scripts['extend-leases']([this.prefix, Math.ceil(leaseMs), ...leases.flatMap((l) => [l.id, l.token])]);
    return lost.map((n) => leases[n - 1]!);
  }

  async updateProgress(lease: Lease, record: ResultRecord): Promise<boolean> {
    this.assertOpen();
    const reply = await this.scripts['update-progress']([this.prefix, lease.id, lease.token, ...this.recordArgs(record)]);
    return fenced(reply, 'update-progress');
  }

  async purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>> {
    this.assertOpen();
    if (queues.length === 0) return {};
    const flat = await this.scripts.purge([this.prefix, PURGE_REASON, new Date().toISOString(), this.options.resultExpiresMs, EVENT_STREAM_CAP, ...queues]);
    const removed: Record<string, PurgedTask[]> = {};
    let at = 0;
    for (const queue of queues) {
      const n = Number(flat[at++]);
      removed[queue] = [];
      for (let i = 0; i < n; i++, at += 2) removed[queue].push({ id: String(flat[at]), task: String(flat[at + 1]) });
    }
    return removed;
  }

  async applyCanvas(step: CanvasStep): Promise<string> {
    this.assertOpen();
    return applyCanvasStep(this.scripts, this.prefix, this.options.resultExpiresMs, step);
  }

  async joinChord(join: ChordJoinRequest): Promise<ChordJoinState> {
    this.assertOpen();
    return joinChord(this.scripts, this.prefix, this.options.resultExpiresMs, join);
  }

  async removeWaiting(ids: readonly string[]): Promise<string[]> {
    this.assertOpen();
    return ids.length === 0 ? [] : this.scripts['remove-waiting']([this.prefix, ...ids]);
  }

  async peekReady(queues: readonly string[], max: number): Promise<ReadyTaskCount[]> {
    this.assertOpen();
    if (queues.length === 0 || max <= 0) return [];
    const reply = await this.scripts['peek-ready']([this.prefix, Math.floor(max), ...queues]);
    const counts: ReadyTaskCount[] = [];
    for (let i = 0; i + 2 < reply.length; i += 3) counts.push({ queue: String(reply[i]), task: String(reply[i + 1]), count: Number(reply[i + 2]) });
    return counts;
  }

  async stats(queues?: readonly string[]): Promise<QueueStats[]> {
    this.assertOpen();
    return decodeStats(await this.scripts.stats([this.prefix, ...(queues ?? [])]));
  }

  // Backend verbs: results, meta and rate slots live in RedisResults…
  getResult = (id: string) => this.resultsOpen().getResult(id);
  waitForResult = (id: string, timeoutMs: number, signal?: AbortSignal) => this.resultsOpen().waitForResult(id, timeoutMs, signal);
  storeResult = (record: ResultRecord) => this.resultsOpen().storeResult(record);
  markPending = (records: readonly ResultRecord[]) => this.resultsOpen().markPending(records);
  forgetResults = (ids: readonly string[]) => this.resultsOpen().forgetResults(ids);
  acquireRateSlot = (key: string, intervalMs: number, maxWaitMs: number) => this.resultsOpen().acquireRateSlot(key, intervalMs, maxWaitMs);
  getMeta = (key: string) => this.resultsOpen().getMeta(key);
  setMeta = (key: string, value: string, ttlMs?: number) => this.resultsOpen().setMeta(key, value, ttlMs);
  claimMeta = (key: string, value: string, ttlMs: number) => this.resultsOpen().claimMeta(key, value, ttlMs);
  deleteMeta = (key: string) => this.resultsOpen().deleteMeta(key);
  registerQueues = (names: readonly string[]) => this.resultsOpen().registerQueues(names);
  knownQueues = () => this.resultsOpen().knownQueues();

  // …heartbeats, control, revocations, events and listings in RedisCluster.
  recordHeartbeat = (hb: WorkerHeartbeat) => this.open().recordHeartbeat(hb);
  listHeartbeats = () => this.open().listHeartbeats();
  publishControl = (request: ControlRequest) => this.open().publishControl(request);
  readControl = (cursor: string | null, waitMs: number, signal?: AbortSignal) => this.open().readControl(cursor, waitMs, signal);
  replyControl = (reply: ControlReply) => this.open().replyControl(reply);
  collectReplies = (requestId: string, waitMs: number, expected?: number) => this.open().collectReplies(requestId, waitMs, expected);
  revoke = (ids: readonly string[], ttlMs: number, reason: string) => this.open().revoke(ids, ttlMs, reason);
  rememberRevoked = (ids: readonly string[], ttlMs: number) => this.open().rememberRevoked(ids, ttlMs);
  listRevoked = () => this.open().listRevoked();
  appendEvents = (events: readonly TqEvent[]) => this.open().appendEvents(events);
  readEvents = (after: string | null, max: number, waitMs: number, signal?: AbortSignal) => this.open().readEvents(after, max, waitMs, signal);
  latestEventId = () => this.open().latestEventId();
  listScheduled = (max: number) => this.open().listScheduled(max);
  listDead = (max: number) => this.open().listDead(max);
  requeueDead = (ids?: readonly string[]) => this.open().requeueDead(ids);

  /**
   * Redis's `maxmemory-policy`. Anything but `noeviction` lets Redis drop
   * queued messages under memory pressure. null when the server names no
   * policy; throws BROKER_REFUSED when it will not say (an ACL user without
   * CONFIG, or a managed Redis that renamed it), so the caller cannot take
   * "unknown" for "safe".
   */
  async evictionPolicy(): Promise<string | null> {
    this.assertOpen();
    const reply = (await this.redis.config('GET', 'maxmemory-policy')) as string[];
    return reply[1] ?? null;
  }

  /** Throws BROKER_REFUSED when Redis refuses what a worker needs (see access-check.ts). */
  async checkAccess(): Promise<void> {
    this.assertOpen();
    await checkAccess(this.redis, this.scripts, this.prefix);
  }

  /** The scripts bound to a blocking connection (bound once per connection). */
  private scriptsOn(redis: Redis): Scripts {
    let scripts = this.blockingScripts.get(redis);
    if (!scripts) this.blockingScripts.set(redis, (scripts = bindScripts(redis)));
    return scripts;
  }

  /** holder, lease ms, token base, queues — how reserve.lua and finish.lua take messages. */
  private leaseArgs(request: ReserveRequest): Arg[] {
    // Unique per call; the script appends the message's index, so every lease gets its own token.
    const tokenBase = `${this.tokenNonce}.${(this.tokenCount++).toString(36)}.`;
    return [request.holder, Math.ceil(request.leaseMs), tokenBase, ...request.queues];
  }

  private recordArgs(record: ResultRecord | null): Arg[] {
    return [record ? JSON.stringify(record) : '', this.options.resultExpiresMs];
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw this.closedError();
  }

  /** The cluster verbs, once open (a closed broker throws as for every other verb). */
  private open(): RedisCluster {
    this.assertOpen();
    return this.cluster;
  }

  private resultsOpen(): RedisResults {
    this.assertOpen();
    return this.results;
  }

  private closedError(): TqError {
    const why = this.state === 'closed' ? 'is closed' : 'is not connected yet (call connect())';
    return new TqError('BROKER_UNREACHABLE', `the Redis broker at ${this.displayUrl} ${why}`, { userError: false });
  }
}
