import type Database from 'better-sqlite3';
import type { ResultRecord } from '../../states.js';
import { pendingRecord, type MessageRow } from './pending-record.js';

type Tx = <T>(fn: () => T) => T;

/** States a stored record may be replaced from: anything but a final one (first-wins). */
const FINAL_SQL = `('SUCCESS', 'FAILURE', 'REVOKED')`;

/**
 * The SQLite store's results, meta values and rate-limit slots (Backend
 * verbs). A final record is first-wins: the upsert's WHERE refuses to replace
 * one (an expired row counts as gone), so a late copy of a task never
 * overwrites its outcome.
 */
export class SqliteResults {
  private readonly q;

  constructor(
    db: Database.Database,
    private readonly tx: Tx,
    private readonly expiresMs: number,
  ) {
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.q = {
      upsert: p(`INSERT INTO results (id, state, record, expires_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, record = excluded.record, expires_at = excluded.expires_at
                 WHERE results.state NOT IN ${FINAL_SQL} OR results.expires_at <= ?`),
      insertIfAbsent: p(`INSERT INTO results (id, state, record, expires_at) VALUES (?, ?, ?, ?)
                         ON CONFLICT (id) DO UPDATE SET state = excluded.state, record = excluded.record, expires_at = excluded.expires_at
                         WHERE results.expires_at <= ?`),
      get: p(`SELECT record FROM results WHERE id = ? AND expires_at > ?`),
      forget: p(`DELETE FROM results WHERE id = ?`),
      messageState: p(`SELECT id, queue, state, holder, leased_at, enqueued_at, available_at, body FROM messages WHERE id = ?`),
      getMeta: p(`SELECT value FROM meta WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)`),
      setMeta: p(`INSERT INTO meta (key, value, expires_at) VALUES (?, ?, ?)
                  ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`),
      claimMeta: p(`INSERT INTO meta (key, value, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                    WHERE meta.expires_at IS NOT NULL AND meta.expires_at <= ?`),
      deleteMeta: p(`DELETE FROM meta WHERE key = ?`),
      registerQueue: p(`INSERT OR IGNORE INTO meta (key, value, expires_at) VALUES ('queue:' || ?, '1', NULL)`),
      knownQueues: p(`SELECT substr(key, 7) FROM meta WHERE key >= 'queue:' AND key < 'queue;' ORDER BY key`).pluck(),
    };
  }

  /** Inside a transaction: stores a record unless a final one is there. Whether it was stored. */
  storeIn(record: ResultRecord, now: number): boolean {
    return this.q.upsert.run(record.id, record.state, JSON.stringify(record), now + this.expiresMs, now).changes > 0;
  }

  /** Inside a transaction: claims `key` unless someone holds it. */
  claimIn(key: string, value: string, ttlMs: number, now: number): boolean {
    return this.q.claimMeta.run(key, value, now + ttlMs, now).changes > 0;
  }

  async storeResult(record: ResultRecord): Promise<boolean> {
    const now = Date.now();
    return this.tx(() => this.storeIn(record, now));
  }

  async markPending(records: readonly ResultRecord[]): Promise<string[]> {
    if (records.length === 0) return [];
    const now = Date.now();
    return this.tx(() => records.filter((r) => this.q.insertIfAbsent.run(r.id, r.state, JSON.stringify(r), now + this.expiresMs, now).changes === 0).map((r) => r.id));
  }

  async forgetResults(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) this.tx(() => ids.forEach((id) => this.q.forget.run(id)));
  }

  /** The stored record; else, while its message is here (this store is also the broker), PENDING or STARTED. */
  async getResult(id: string): Promise<ResultRecord | null> {
    const now = Date.now();
    const stored = this.q.get.get(id, now) as { record: string } | undefined;
    if (stored) return JSON.parse(stored.record) as ResultRecord;
    const msg = this.q.messageState.get(id) as MessageRow | undefined;
    return msg ? pendingRecord(msg, now) : null;
  }

  async acquireRateSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<{ granted: boolean; waitMs: number }> {
    return this.tx(() => {
      const now = Date.now();
      const row = this.q.getMeta.get(`rate:${key}`, now) as { value: string } | undefined;
      const start = Math.max(Number(row?.value ?? 0), now);
      const waitMs = start - now;
      if (waitMs > maxWaitMs) return { granted: false, waitMs };
      this.q.setMeta.run(`rate:${key}`, String(start + intervalMs), start + intervalMs + 60_000);
      return { granted: true, waitMs };
    });
  }

  async getMeta(key: string): Promise<string | null> {
    const row = this.q.getMeta.get(key, Date.now()) as { value: string } | undefined;
    return row?.value ?? null;
  }

  async setMeta(key: string, value: string, ttlMs?: number): Promise<void> {
    this.tx(() => this.q.setMeta.run(key, value, ttlMs === undefined ? null : Date.now() + ttlMs));
  }

  async claimMeta(key: string, value: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    return this.tx(() => this.claimIn(key, value, ttlMs, now));
  }

  async deleteMeta(key: string): Promise<void> {
    this.tx(() => this.q.deleteMeta.run(key));
  }

  async registerQueues(names: readonly string[]): Promise<void> {
    if (names.length > 0) this.tx(() => names.forEach((name) => this.q.registerQueue.run(name)));
  }

  async knownQueues(): Promise<string[]> {
    return this.q.knownQueues.all() as string[];
  }
}
