import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { TqError } from '../../errors.js';
import { newLeaseToken } from '../../ids.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../../config.js';
import { deadLetterBody, truncate, type Envelope } from '../../message.js';
import { isFinal, type ResultRecord } from '../../states.js';
import { DEAD_LETTER_CAP, type BrokerOptions, type FinishOutcome, type Lease, type PurgedTask, type QueueStats, type ReadyTaskCount, type Reservation, type ReserveRequest } from '../broker.js';
import type { FusedStore } from '../fused.js';
import type { ControlReply, ControlRequest, DeadLetter, StoredEvent, TqEvent, WorkerHeartbeat } from '../../cluster.js';
import { ChangeWaiter } from './change-waiter.js';
import { GroupCommit } from './group-commit.js';
import { SqliteCluster } from './sqlite-cluster.js';
import { SqliteResults } from './sqlite-results.js';
import { SqliteCanvas } from './sqlite-canvas.js';
import type { CanvasStep } from '../../canvas/step.js';
import type { ChordJoinRequest } from '../backend.js';
import { emptyStandIn, openDatabase, openError, sqlitePath } from './open.js';
import { insertNew, peekReady, purgeQueues } from './queue-verbs.js';
import { prepareStatements, type Statements } from './statements.js';

/** Longest idle sleep while the database directory is watched (a net under missed events). */
const WATCHED_TICK_MS = 500;
/** Longest idle sleep where the directory cannot be watched: the pickup latency we promise (~50 ms). */
const UNWATCHED_TICK_MS = 50;
/** How often expired results and meta rows are swept. */
const SWEEP_EVERY_MS = 60_000;

/**
 * The embedded broker and backend: one SQLite file in WAL mode, shared by
 * every process on the machine. Each verb is atomic across processes: one
 * IMMEDIATE transaction, or for the per-task writes (reserve, finish, retry,
 * dead letter, progress, release, extend) one savepoint in a transaction
 * shared with the other such writes of the same event-loop turn (group
 * commit, see GroupCommit), each still fenced by its own lease. Results, meta
 * and rate slots live in SqliteResults; heartbeats, control, revocations,
 * events and listings in SqliteCluster.
 *
 * States: reading a stand-in (after connect, while the file does not exist:
 * reads answer as an empty broker would) → open on the file (from the first
 * write, which creates it, or the first read after another process did) →
 * closed. Calls after close throw.
 */
export class SqliteBroker implements FusedStore {
  readonly kind = 'sqlite';
  readonly keepsState = true;
  readonly displayUrl: string;
  private readonly path: string;
  private db: Database.Database | undefined;
  private standIn = false;
  private statements!: Statements;
  private waiter!: ChangeWaiter;
  private clusterVerbs!: SqliteCluster;
  private resultVerbs!: SqliteResults;
  private canvasVerbs!: SqliteCanvas;
  private lastSweep = 0;
  /** Transactions begun on this connection, and the one whose first take promoted due rows. */
  private transactions = 0;
  private promotedIn = -1;
  private readonly deadBodyMax: number;
  /** `fn` in a transaction (BEGIN IMMEDIATE at the top level, a savepoint inside one): one wrapper per connection. */
  private wrapped!: Database.Transaction<(fn: () => unknown) => unknown>;
  /** Per-task writes of one event-loop turn, committed together. */
  readonly commits = new GroupCommit({
    transaction: (body) => void this.tx(body),
    savepoint: (work) => this.inSavepoint(work),
    inTransaction: () => this.db?.inTransaction ?? false,
  });

  constructor(private readonly options: BrokerOptions) {
    this.displayUrl = options.url;
    this.path = sqlitePath(options.url, options.projectRoot);
    this.deadBodyMax = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  async connect(): Promise<void> {
    if (this.db) return;
    this.waiter = new ChangeWaiter(dirname(this.path), WATCHED_TICK_MS, UNWATCHED_TICK_MS);
    const db = openDatabase(this.path, false);
    this.use(db ?? emptyStandIn(), db === undefined);
  }

  private use(db: Database.Database, standIn: boolean): void {
    this.db = db;
    this.standIn = standIn;
    this.wrapped = db.transaction((fn: () => unknown) => fn());
    this.statements = prepareStatements(db);
    this.resultVerbs = new SqliteResults(db, (fn) => this.tx(fn), this.options.resultExpiresMs);
    this.clusterVerbs = new SqliteCluster(db, (fn) => this.tx(fn), this.waiter, (record, now) => this.storeResultIn(record, now));
    this.canvasVerbs = new SqliteCanvas(db, (fn) => this.tx(fn), {
      insertNew: (e, now) => void insertNew(this.st, [e], now),
      storeIn: (record, now) => this.storeResultIn(record, now),
    }, this.options.resultExpiresMs);
  }

  /** The workflow verbs (canvas steps, chord counters), on the file (created if need be). */
  private canvas(): SqliteCanvas {
    this.onFile(true);
    return this.canvasVerbs;
  }

  /**
   * Moves from the stand-in to the file once it exists, or (`create`, before a
   * write) by creating it. The stand-in is not closed: a read that began on it
   * may still be waiting, and ends on it empty-handed.
   */
  private onFile(create: boolean): void {
    if (!this.standIn) return;
    const db = openDatabase(this.path, create);
    if (db) this.use(db, false);
  }

  private get st(): Statements {
    this.onFile(false);
    return this.statements;
  }

  /** The cluster verbs, on the file when they write (created if need be). */
  private cluster(write: boolean): SqliteCluster {
    this.onFile(write);
    return this.clusterVerbs;
  }

  /** The result, meta and rate-slot verbs, likewise. */
  private results(write: boolean): SqliteResults {
    this.onFile(write);
    return this.resultVerbs;
  }

  async close(): Promise<void> {
    if (this.db) this.commits.flush(); // writes already made are committed, not dropped
    this.waiter?.close();
    this.db?.close();
    this.db = undefined;
  }

  async enqueue(envelopes: readonly Envelope[], sentEvents?: readonly TqEvent[]): Promise<string[]> {
    const now = Date.now();
    return this.tx(() => {
      const { skipped, added } = insertNew(this.st, envelopes, now);
      const events = skipped.length === 0 ? sentEvents : sentEvents?.filter((ev) => ev.taskId === undefined || added.has(ev.taskId));
      if (events?.length) this.cluster(true).appendEventsInTx(events);
      return skipped;
    });
  }

  async enqueueUnique(envelope: Envelope, uniqueKey: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.tx(() => {
      const claimed = this.results(true).claimIn(uniqueKey, String(now), ttlMs, now);
      if (claimed) this.insert(envelope, now);
      return claimed;
    });
  }

  async reserve(request: ReserveRequest): Promise<Reservation[]> {
    const deadline = Date.now() + request.waitMs;
    for (;;) {
      if (this.hasWork(request.queues)) {
        const taken = await this.commits.submit(() => this.take(request));
        if (taken.length > 0) return taken;
      }
      const now = Date.now();
      const left = deadline - now;
      if (left <= 0 || request.signal?.aborted) return [];
      // Sleep no longer than until the next eta or lease deadline: no write will announce it.
      const nextDue = this.st.nextDue.get() as number | null;
      await this.waiter.wait(nextDue === null ? left : Math.min(left, Math.max(1, nextDue - now)), request.signal);
    }
  }

  async finish(lease: Lease, record: ResultRecord | null, next?: ReserveRequest): Promise<FinishOutcome> {
    const now = Date.now();
    const outcome = await this.commits.submit((): FinishOutcome => {
      if (this.st.ack.run(lease.id, lease.token).changes === 0) return { accepted: false, next: [] };
      if (record) this.storeResultIn(record, now);
      return { accepted: true, next: next && next.max > 0 ? this.take(next) : [] };
    });
    this.maybeSweep(now);
    return outcome;
  }

  async ack(lease: Lease, next?: ReserveRequest): Promise<FinishOutcome> {
    return this.finish(lease, null, next);
  }

  async retry(lease: Lease, envelope: Envelope, record: ResultRecord | null = null): Promise<boolean> {
    const now = Date.now();
    return this.commits.submit(() => {
      const due = envelope.etaMs ?? now;
      const state = due > now ? 'scheduled' : 'ready';
      const changed = this.st.reschedule.run(state, due, envelope.body, envelope.priority, lease.id, lease.token).changes;
      if (changed > 0 && record) this.storeResultIn(record, now);
      return changed > 0;
    });
  }

  async release(leases: readonly Lease[]): Promise<number> {
    return this.commits.submit(() => leases.reduce((n, l) => n + this.st.release.run(l.id, l.token).changes, 0));
  }

  async deadLetter(lease: Lease, reason: string, record: ResultRecord | null = null): Promise<boolean> {
    const now = Date.now();
    return this.commits.submit(() => {
      const row = this.st.leasedBody.get(lease.id, lease.token) as { queue: string; body: string } | undefined;
      if (!row) return false;
      this.st.ack.run(lease.id, lease.token);
      this.st.insertDead.run(lease.id, row.queue, truncate(reason, 1000), deadLetterBody(row.body, this.deadBodyMax), now);
      this.st.capDead.run(DEAD_LETTER_CAP);
      if (record) this.storeResultIn(record, now);
      return true;
    });
  }

  async extendLeases(leases: readonly Lease[], leaseMs: number): Promise<Lease[]> {
    const deadline = Date.now() + leaseMs;
    // First in its transaction: a finish gathered in the same turn must not make its own renewal report the lease lost.
    return this.commits.submit(() => leases.filter((l) => this.st.extend.run(deadline, l.id, l.token).changes === 0), { first: true });
  }

  /** Reads again on every change of the database directory; on the file once it exists (a wait may begin before it does). */
  async waitForResult(id: string, timeoutMs: number, signal?: AbortSignal): Promise<ResultRecord | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await this.results(false).getResult(id);
      const left = deadline - Date.now();
      if ((record && isFinal(record.state)) || left <= 0 || signal?.aborted) return record;
      await this.waiter.wait(left, signal);
    }
  }

  async updateProgress(lease: Lease, record: ResultRecord): Promise<boolean> {
    const now = Date.now();
    return this.commits.submit(() => {
      if (!this.st.isHolder.get(lease.id, lease.token)) return false;
      this.storeResultIn(record, now);
      return true;
    });
  }

  async purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>> {
    const now = Date.now();
    return this.tx(() => purgeQueues(this.st, queues, now, (record) => this.storeResultIn(record, now), (events) => this.cluster(true).appendEventsInTx(events)));
  }

  async peekReady(queues: readonly string[], max: number): Promise<ReadyTaskCount[]> {
    return peekReady(this.st, queues, max);
  }

  async stats(queues?: readonly string[]): Promise<QueueStats[]> {
    const now = Date.now();
    const byQueue = new Map<string, { queue: string; ready: number; scheduled: number; leased: number; dead: number; oldestReadyAgeMs: number | null }>();
    const entry = (queue: string) => {
      let s = byQueue.get(queue);
      if (!s) byQueue.set(queue, (s = { queue, ready: 0, scheduled: 0, leased: 0, dead: 0, oldestReadyAgeMs: null }));
      return s;
    };
    for (const q of queues ?? []) entry(q);
    for (const row of this.st.countByState.all() as { queue: string; state: string; n: number; oldest: number }[]) {
      const s = entry(row.queue);
      if (row.state === 'ready') {
        s.ready += row.n;
        s.oldestReadyAgeMs = now - row.oldest;
      } else if (row.state === 'scheduled') s.scheduled += row.n;
      else s.leased += row.n;
    }
    for (const row of this.st.countDead.all() as { queue: string; n: number }[]) entry(row.queue).dead = row.n;
    const all = [...byQueue.values()].sort((a, b) => a.queue.localeCompare(b.queue));
    return queues ? all.filter((s) => queues.includes(s.queue)) : all;
  }

  // Backend verbs: results, meta and rate slots live in SqliteResults…
  getResult = (id: string) => this.results(false).getResult(id);
  storeResult = (record: ResultRecord) => this.results(true).storeResult(record);
  markPending = (records: readonly ResultRecord[]) => this.results(true).markPending(records);
  forgetResults = (ids: readonly string[]) => this.results(true).forgetResults(ids);
  acquireRateSlot = (key: string, intervalMs: number, maxWaitMs: number) => this.results(true).acquireRateSlot(key, intervalMs, maxWaitMs);
  getMeta = (key: string) => this.results(false).getMeta(key);
  setMeta = (key: string, value: string, ttlMs?: number) => this.results(true).setMeta(key, value, ttlMs);
  claimMeta = (key: string, value: string, ttlMs: number) => this.results(true).claimMeta(key, value, ttlMs);
  deleteMeta = (key: string) => this.results(true).deleteMeta(key);
  registerQueues = (names: readonly string[]) => this.results(true).registerQueues(names);
  knownQueues = () => this.results(false).knownQueues();
  applyCanvas = (step: CanvasStep) => this.canvas().apply(step);
  joinChord = (join: ChordJoinRequest) => this.canvas().join(join);

  // …heartbeats, control, revocations, events and listings in SqliteCluster.
  recordHeartbeat = (hb: WorkerHeartbeat) => this.cluster(true).recordHeartbeat(hb);
  listHeartbeats = () => this.cluster(false).listHeartbeats();
  publishControl = (request: ControlRequest) => this.cluster(true).publishControl(request);
  readControl = (cursor: string | null, waitMs: number, signal?: AbortSignal) => this.cluster(false).readControl(cursor, waitMs, signal);
  replyControl = (reply: ControlReply) => this.cluster(true).replyControl(reply);
  collectReplies = (requestId: string, waitMs: number, expected?: number): Promise<ControlReply[]> => this.cluster(false).collectReplies(requestId, waitMs, expected);
  revoke = (ids: readonly string[], ttlMs: number, reason: string) => this.cluster(true).revoke(ids, ttlMs, reason);
  rememberRevoked = (ids: readonly string[], ttlMs: number) => this.cluster(true).rememberRevoked(ids, ttlMs);
  removeWaiting = (ids: readonly string[]) => this.cluster(true).removeWaiting(ids);
  listRevoked = () => this.cluster(false).listRevoked();
  appendEvents = (events: readonly TqEvent[]) => this.cluster(true).appendEvents(events);
  readEvents = (after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]> => this.cluster(false).readEvents(after, max, waitMs, signal);
  latestEventId = (): Promise<string | null> => this.cluster(false).latestEventId();
  listScheduled = (max: number) => this.cluster(false).listScheduled(max);
  listDead = (max: number): Promise<DeadLetter[]> => this.cluster(false).listDead(max);
  requeueDead = (ids?: readonly string[]) => this.cluster(true).requeueDead(ids);

  /** A cheap read (no write lock) so idle workers don't contend for the writer lock. */
  private hasWork(queues: readonly string[]): boolean {
    const now = Date.now();
    if (this.st.anyDue.get(now)) return true;
    return queues.some((q) => this.st.anyReady.get(q));
  }

  /**
   * Inside a transaction: promote due/lapsed rows (once per transaction: the
   * takes of one group commit share it), then lease up to `max` ready ones.
   * A promotion rolled back with a failing write is done again by the next
   * transaction's first take.
   */
  private take(request: ReserveRequest): Reservation[] {
    const now = Date.now();
    if (this.promotedIn !== this.transactions) {
      this.st.promoteDue.run(now);
      this.promotedIn = this.transactions;
    }
    const taken: Reservation[] = [];
    for (const queue of request.queues) {
      const want = request.max - taken.length;
      if (want <= 0) break;
      const rows = want === 1 ? this.st.selectReadyOne.all(queue) : this.st.selectReady.all(queue, want);
      for (const row of rows as { seq: number; id: string; body: string; deliveries: number }[]) {
        const token = newLeaseToken();
        this.st.lease.run(request.holder, token, now + request.leaseMs, now, row.seq);
        taken.push({ id: row.id, queue, body: row.body, lease: { id: row.id, token }, deliveries: row.deliveries + 1 });
      }
    }
    return taken;
  }

  private insert(e: Envelope, now: number): void {
    const due = e.etaMs ?? now;
    // INSERT OR IGNORE: enqueueing an id that is already queued is a no-op, not a second copy.
    this.st.insert.run(e.id, e.queue, e.priority, due > now ? 'scheduled' : 'ready', due, e.body, now);
  }

  private storeResultIn(record: ResultRecord, now: number): void {
    this.results(true).storeIn(record, now);
  }

  /** Joins the next group commit; a sweep that fails (busy, closed) never fails the finish that set it off, and is tried again later. */
  private maybeSweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    void this.commits.submit(() => {
      this.st.sweepResults.run(now);
      this.st.sweepMeta.run(now);
      this.canvasVerbs.sweepIn(now);
    }).catch(() => undefined);
  }

  private tx<T>(fn: () => T): T {
    if (!this.db) throw new TqError('BROKER_UNREACHABLE', 'the SQLite broker is closed');
    this.onFile(true);
    this.transactions++;
    try {
      return this.wrapped.immediate(fn) as T;
    } catch (err) {
      throw this.mapped(err);
    }
  }

  /** Inside a transaction: `work` in a savepoint of its own (a group commit's one write). */
  private inSavepoint<T>(work: () => T): T {
    try {
      return this.wrapped(work) as T;
    } catch (err) {
      throw this.mapped(err);
    }
  }

  private mapped(err: unknown): unknown {
    if (err instanceof TqError) return err;
    if ((err as { code?: string }).code?.startsWith('SQLITE_')) return openError(this.path, err);
    return err;
  }
}

