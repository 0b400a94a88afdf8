import type { Redis } from 'ioredis';
import type { Backend, ChordJoinRequest, ChordJoinState } from '../brokers/backend.js';
import type { FusedStore } from '../brokers/fused.js';
import { ChannelWaiter } from '../brokers/redis/channel-waiter.js';
import { connectWithin, createConnection } from '../brokers/redis/connection.js';
import type { ControlReply, ControlRequest, StoredEvent, TqEvent, WorkerHeartbeat } from '../cluster.js';
import { maskUrl, type RedisTlsOptions } from '../config.js';
import type { ResultRecord } from '../states.js';
import { MergedEvents } from './cluster/merged-events.js';
import { celeryNodeName } from './cluster/names.js';
import { CeleryRedisResults } from './redis/celery-results.js';
import { bindKombuScripts } from './redis/scripts.js';

/**
 * What a tq process needs of Celery's control and event channels (the pidbox
 * and celeryev; see cluster/). Heartbeats are sent as Celery's worker events;
 * listHeartbeats gives the Python workers only; readEvents/latestEventId are
 * the events of Python workers (tq's own stay in tq's stream too).
 */
export interface CeleryClusterVerbs {
  connect(): Promise<void>;
  close(): Promise<void>;
  recordHeartbeat(heartbeat: WorkerHeartbeat): Promise<void>;
  listHeartbeats(): Promise<WorkerHeartbeat[]>;
  publishControl(request: ControlRequest): Promise<void>;
  readControl(cursor: string | null, waitMs: number, signal?: AbortSignal): Promise<{ cursor: string; requests: ControlRequest[] }>;
  replyControl(reply: ControlReply): Promise<void>;
  collectReplies(requestId: string, waitMs: number, expected?: number): Promise<ControlReply[]>;
  appendEvents(events: readonly TqEvent[]): Promise<void>;
  readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]>;
  latestEventId(): Promise<string | null>;
}

export interface CeleryBackendOptions {
  url: string;
  resultExpiresMs: number;
  redisTls?: RedisTlsOptions;
  /** tq's own keys on the same Redis (meta, rate slots, revocations, heartbeats): a tq Redis store. */
  tqState: FusedStore;
  /** Celery's pidbox and celeryev; without it, control and events stay among tq processes (tq's keys). */
  cluster?: CeleryClusterVerbs;
}

/**
 * The backend of a deployment that speaks Celery: task results in Celery's
 * Redis result backend (what Python's AsyncResult reads and writes), control
 * and events on Celery's channels (so `celery inspect` and `celery events`
 * see tq workers, and tq's CLI sees Python ones), and what Celery has no
 * place for — beat's watermarks, global rate limits, revocations kept for
 * workers that start later, tq's richer heartbeats, chord counts of tq
 * workflows — in tq's own keys on the same Redis.
 */
export class CeleryBackend implements Backend {
  readonly kind = 'redis';
  readonly displayUrl: string;
  private readonly redis: Redis;
  private readonly channels: ChannelWaiter;
  private readonly results: CeleryRedisResults;
  private readonly tq: FusedStore;
  /** tq's stream, and Python workers' events when Celery's channels are in use. */
  private readonly events: Pick<Backend, 'readEvents' | 'latestEventId'>;

  constructor(private readonly o: CeleryBackendOptions) {
    this.displayUrl = maskUrl(o.url);
    this.redis = createConnection(o.url, 'commands', o.redisTls);
    this.channels = new ChannelWaiter(() => createConnection(o.url, 'subscriber', o.redisTls));
    this.results = new CeleryRedisResults(this.redis, bindKombuScripts(this.redis), this.channels, o.resultExpiresMs);
    this.tq = o.tqState;
    this.events = o.cluster ? new MergedEvents(o.tqState, o.cluster) : o.tqState;
  }

  async connect(): Promise<void> {
    await connectWithin(this.redis, this.o.url);
    await this.o.cluster?.connect();
  }

  async close(): Promise<void> {
    this.channels.close();
    this.redis.disconnect();
    await Promise.all([this.tq.close(), this.o.cluster?.close()]);
  }

  /** Redis's maxmemory-policy (the worker warns unless it is noeviction: an evicted list loses queued tasks). */
  async evictionPolicy(): Promise<string | null> {
    const reply = (await this.redis.config('GET', 'maxmemory-policy')) as string[];
    return reply[1] ?? null;
  }

  getResult(id: string): Promise<ResultRecord | null> {
    return this.results.getResult(id);
  }
  waitForResult(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ResultRecord | null> {
    return this.results.waitForResult(id, timeoutMs, signal);
  }
  storeResult(record: ResultRecord): Promise<boolean> {
    return this.results.storeResult(record);
  }
  markPending(records: readonly ResultRecord[]): Promise<string[]> {
    return this.results.markPending(records);
  }
  forgetResults(ids: readonly string[]): Promise<void> {
    return this.results.forgetResults(ids);
  }

  acquireRateSlot(key: string, intervalMs: number, maxWaitMs: number) {
    return this.tq.acquireRateSlot(key, intervalMs, maxWaitMs);
  }
  getMeta(key: string) {
    return this.tq.getMeta(key);
  }
  setMeta(key: string, value: string, ttlMs?: number) {
    return this.tq.setMeta(key, value, ttlMs);
  }
  claimMeta(key: string, value: string, ttlMs: number) {
    return this.tq.claimMeta(key, value, ttlMs);
  }
  deleteMeta(key: string) {
    return this.tq.deleteMeta(key);
  }
  registerQueues(names: readonly string[]) {
    return this.tq.registerQueues(names);
  }
  knownQueues() {
    return this.tq.knownQueues();
  }
  joinChord(join: ChordJoinRequest): Promise<ChordJoinState> {
    return this.tq.joinChord(join);
  }
  rememberRevoked(ids: readonly string[], ttlMs: number) {
    return this.tq.rememberRevoked(ids, ttlMs);
  }
  listRevoked() {
    return this.tq.listRevoked();
  }

  async recordHeartbeat(heartbeat: WorkerHeartbeat): Promise<void> {
    await Promise.all([this.tq.recordHeartbeat(heartbeat), this.o.cluster?.recordHeartbeat(heartbeat)]);
  }

  /** tq workers' own heartbeats, and the Python workers that answer Celery's control (those tq knows nothing richer of). */
  async listHeartbeats(): Promise<WorkerHeartbeat[]> {
    const [own, celery] = await Promise.all([this.tq.listHeartbeats(), this.o.cluster?.listHeartbeats() ?? []]);
    const known = new Set(own.flatMap((h) => [h.hostname, celeryNodeName(h.hostname)]));
    return [...own, ...celery.filter((h) => !known.has(h.hostname))];
  }

  publishControl(request: ControlRequest) {
    return (this.o.cluster ?? this.tq).publishControl(request);
  }
  readControl(cursor: string | null, waitMs: number, signal?: AbortSignal) {
    return (this.o.cluster ?? this.tq).readControl(cursor, waitMs, signal);
  }
  replyControl(reply: ControlReply) {
    return (this.o.cluster ?? this.tq).replyControl(reply);
  }

  /** Replies under the names tq's heartbeats use: Celery calls a tq worker named 'box' 'celery@box'. */
  async collectReplies(requestId: string, waitMs: number, expected?: number): Promise<ControlReply[]> {
    if (!this.o.cluster) return this.tq.collectReplies(requestId, waitMs, expected);
    const replies = await this.o.cluster.collectReplies(requestId, waitMs, expected);
    if (!replies.some((r) => r.hostname.startsWith('celery@'))) return replies;
    const bare = new Set((await this.tq.listHeartbeats()).map((h) => h.hostname).filter((h) => !h.includes('@')));
    return replies.map((r) => (r.hostname.startsWith('celery@') && bare.has(r.hostname.slice(7)) ? { ...r, hostname: r.hostname.slice(7) } : r));
  }

  /** tq's stream keeps every event for tq's monitors; celeryev carries them to Celery's. */
  async appendEvents(events: readonly TqEvent[]): Promise<void> {
    await Promise.all([this.tq.appendEvents(events), this.o.cluster?.appendEvents(events)]);
  }
  readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]> {
    return this.events.readEvents(after, max, waitMs, signal);
  }
  latestEventId(): Promise<string | null> {
    return this.events.latestEventId();
  }
}
