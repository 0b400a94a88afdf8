import type Database from 'better-sqlite3';
import type { ControlReply, ControlRequest, DeadLetter, StoredEvent, TqEvent, WorkerHeartbeat } from '../../cluster.js';
import { EVENT_STREAM_CAP } from '../../cluster.js';
import type { ResultRecord } from '../../states.js';
import { bodyPreview, type ScheduledMessage } from '../broker.js';
import type { ClusterVerbs } from '../backend.js';
import { isJsonObject, peekMessage } from '../../message.js';
import type { ChangeWaiter } from './change-waiter.js';
import { revokedRecord } from './pending-record.js';
import { CONTROL_KEEP_MS, HEARTBEAT_KEEP_MS } from './schema.js';
import { decodeEvents, encodeEvents } from '../event-codec.js';

type Tx = <T>(fn: () => T) => T;

/**
 * The cluster verbs of the SQLite broker (heartbeats, control, revocations,
 * events, dead letters), kept apart from the queue verbs they never touch
 * on the per-task path. Readers that wait sleep on the shared ChangeWaiter.
 */
export class SqliteCluster implements ClusterVerbs {
  private readonly q;

  constructor(
    db: Database.Database,
    private readonly tx: Tx,
    private readonly waiter: ChangeWaiter,
    private readonly storeResult: (record: ResultRecord, now: number) => void,
  ) {
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.q = {
      upsertHeartbeat: p(`INSERT INTO heartbeats (hostname, body, sent_at) VALUES (?, ?, ?)
                          ON CONFLICT (hostname) DO UPDATE SET body = excluded.body, sent_at = excluded.sent_at`),
      heartbeats: p(`SELECT body FROM heartbeats WHERE sent_at > ? ORDER BY hostname`).pluck(),
      insertControl: p(`INSERT INTO control (body, created_at) VALUES (?, ?)`),
      lastControl: p(`SELECT IFNULL(MAX(seq), 0) FROM control`).pluck(),
      controlAfter: p(`SELECT seq, body FROM control WHERE seq > ? ORDER BY seq`),
      pruneControl: p(`DELETE FROM control WHERE created_at < ?`),
      insertReply: p(`INSERT OR REPLACE INTO control_replies (request_id, hostname, body, created_at) VALUES (?, ?, ?, ?)`),
      replies: p(`SELECT body FROM control_replies WHERE request_id = ? ORDER BY hostname`).pluck(),
      pruneReplies: p(`DELETE FROM control_replies WHERE created_at < ?`),
      queuedMessage: p(`SELECT id, queue, body, state FROM messages WHERE id = ?`),
      deleteQueued: p(`DELETE FROM messages WHERE id = ? AND state IN ('ready', 'scheduled')`),
      insertRevoked: p(`INSERT OR REPLACE INTO revoked (id, expires_at) VALUES (?, ?)`),
      revoked: p(`SELECT id FROM revoked WHERE expires_at > ? ORDER BY id`).pluck(),
      pruneRevoked: p(`DELETE FROM revoked WHERE expires_at <= ?`),
      insertEvent: p(`INSERT INTO events (body) VALUES (?)`),
      capEvents: p(`DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?`),
      eventsFrom: p(`SELECT seq, body FROM events WHERE seq >= ? ORDER BY seq LIMIT ?`),
      lastEvent: p(`SELECT seq, body FROM events ORDER BY seq DESC LIMIT 1`),
      scheduled: p(`SELECT id, queue, available_at, body FROM messages WHERE state = 'scheduled' ORDER BY available_at LIMIT ?`),
      dead: p(`SELECT id, queue, reason, body, dead_at FROM dead_letters ORDER BY seq DESC LIMIT ?`),
      deadById: p(`SELECT seq, id, queue, body FROM dead_letters WHERE id = ?`),
      allDead: p(`SELECT seq, id, queue, body FROM dead_letters ORDER BY seq`),
      deleteDead: p(`DELETE FROM dead_letters WHERE seq = ?`),
      requeue: p(`INSERT OR IGNORE INTO messages (id, queue, priority, state, available_at, body, enqueued_at) VALUES (?, ?, ?, 'ready', ?, ?, ?)`),
    };
  }

  async recordHeartbeat(hb: WorkerHeartbeat): Promise<void> {
    this.tx(() => this.q.upsertHeartbeat.run(hb.hostname, JSON.stringify(hb), Date.parse(hb.sentAt)));
  }

  async listHeartbeats(): Promise<WorkerHeartbeat[]> {
    return (this.q.heartbeats.all(Date.now() - HEARTBEAT_KEEP_MS) as string[]).map((b) => JSON.parse(b) as WorkerHeartbeat);
  }

  async publishControl(request: ControlRequest): Promise<void> {
    const now = Date.now();
    this.tx(() => {
      this.q.insertControl.run(JSON.stringify(request), now);
      this.q.pruneControl.run(now - CONTROL_KEEP_MS);
      this.q.pruneReplies.run(now - CONTROL_KEEP_MS);
    });
  }

  async readControl(cursor: string | null, waitMs: number, signal?: AbortSignal): Promise<{ cursor: string; requests: ControlRequest[] }> {
    if (cursor === null) return { cursor: String(this.q.lastControl.get()), requests: [] };
    const deadline = Date.now() + waitMs;
    for (;;) {
      const rows = this.q.controlAfter.all(Number(cursor)) as { seq: number; body: string }[];
      if (rows.length > 0) return { cursor: String(rows.at(-1)!.seq), requests: rows.map((r) => JSON.parse(r.body) as ControlRequest) };
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return { cursor, requests: [] };
      await this.waiter.wait(left, signal);
    }
  }

  async replyControl(reply: ControlReply): Promise<void> {
    this.tx(() => this.q.insertReply.run(reply.requestId, reply.hostname, JSON.stringify(reply), Date.now()));
  }

  async collectReplies(requestId: string, waitMs: number, expected?: number): Promise<ControlReply[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const replies = (this.q.replies.all(requestId) as string[]).map((b) => JSON.parse(b) as ControlReply);
      const left = deadline - Date.now();
      if (left <= 0 || (expected !== undefined && replies.length >= expected)) return replies;
      await this.waiter.wait(left);
    }
  }

  /** FusedStore.revoke: remembered, removed while waiting and recorded REVOKED, in one transaction. */
  async revoke(ids: readonly string[], ttlMs: number, reason: string): Promise<string[]> {
    const now = Date.now();
    return this.tx(() => {
      this.remember(ids, ttlMs, now);
      return this.removeIn(ids).map((row) => {
        this.storeResult(revokedRecord(row.id, peekMessage(row.body).task, row.queue, reason), now);
        return row.id;
      });
    });
  }

  async rememberRevoked(ids: readonly string[], ttlMs: number): Promise<void> {
    const now = Date.now();
    this.tx(() => this.remember(ids, ttlMs, now));
  }

  async removeWaiting(ids: readonly string[]): Promise<string[]> {
    return this.tx(() => this.removeIn(ids).map((row) => row.id));
  }

  private remember(ids: readonly string[], ttlMs: number, now: number): void {
    this.q.pruneRevoked.run(now);
    for (const id of ids) this.q.insertRevoked.run(id, now + ttlMs);
  }

  /** Inside a transaction: deletes these ids' ready or scheduled messages; the rows removed. */
  private removeIn(ids: readonly string[]): { id: string; queue: string; body: string }[] {
    const removed: { id: string; queue: string; body: string }[] = [];
    for (const id of ids) {
      const row = this.q.queuedMessage.get(id) as { id: string; queue: string; body: string; state: string } | undefined;
      if (row && this.q.deleteQueued.run(id).changes > 0) removed.push(row);
    }
    return removed;
  }

  async listRevoked(): Promise<string[]> {
    return this.q.revoked.all(Date.now()) as string[];
  }

  async appendEvents(events: readonly TqEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.tx(() => this.appendEventsInTx(events));
  }

  /** appendEvents' writes, inside a transaction the caller holds (enqueue records task-sent with its messages). */
  appendEventsInTx(events: readonly TqEvent[]): void {
    // One row per batch, as one stream entry per batch on Redis: a busy worker writes a row per 100 ms, not three per task.
    this.q.insertEvent.run(encodeEvents(events));
    this.q.capEvents.run(EVENT_STREAM_CAP);
  }

  async readEvents(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const events = this.eventsAfter(after, max);
      if (events.length > 0) return events;
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return [];
      await this.waiter.wait(left, signal);
    }
  }

  /** An event id is '<row seq>:<index in its batch>' (a bare seq, from before batches, means its whole row). */
  private eventsAfter(after: string | null, max: number): StoredEvent[] {
    const [seq = 0, index = Infinity] = after === null ? [] : after.split(':').map(Number);
    const events: StoredEvent[] = [];
    // Row by row, stopping once `max` are read: a row is a whole batch, up to 500 events.
    for (const row of this.q.eventsFrom.iterate(seq, max + 1) as IterableIterator<{ seq: number; body: string }>) {
      decodeEvents(row.body).forEach((event, i) => {
        if (row.seq > seq || i > index) events.push({ ...event, eventId: `${row.seq}:${i}` });
      });
      if (events.length >= max) break;
    }
    return events.slice(0, max);
  }

  async latestEventId(): Promise<string | null> {
    const row = this.q.lastEvent.get() as { seq: number; body: string } | undefined;
    return row ? `${row.seq}:${decodeEvents(row.body).length - 1}` : null;
  }

  async listScheduled(max: number): Promise<ScheduledMessage[]> {
    return (this.q.scheduled.all(max) as { id: string; queue: string; available_at: number; body: string }[]).map((r) => ({
      id: r.id, queue: r.queue, eta: new Date(r.available_at).toISOString(), body: bodyPreview(r.body),
    }));
  }

  async listDead(max: number): Promise<DeadLetter[]> {
    return (this.q.dead.all(max) as { id: string; queue: string; reason: string; body: string; dead_at: number }[]).map((r) => ({
      id: r.id, queue: r.queue, reason: r.reason, body: bodyPreview(r.body), deadAt: new Date(r.dead_at).toISOString(),
    }));
  }

  async requeueDead(ids?: readonly string[]): Promise<number> {
    const now = Date.now();
    return this.tx(() => {
      const rows = (ids ? ids.flatMap((id) => this.q.deadById.all(id)) : this.q.allDead.all()) as { seq: number; id: string; queue: string; body: string }[];
      let n = 0;
      for (const row of rows) {
        if (!isJsonObject(row.body)) continue; // garbage, or cut for size: it could never run, so it stays a dead letter
        this.q.deleteDead.run(row.seq);
        n += this.q.requeue.run(row.id, row.queue, peekMessage(row.body).priority, now, row.body, now).changes;
      }
      return n;
    });
  }
}
