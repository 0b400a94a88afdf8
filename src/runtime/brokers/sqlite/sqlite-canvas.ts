import type Database from 'better-sqlite3';
import type { ChordJoinRequest, ChordJoinState } from '../backend.js';
import { spliceChordResults } from '../../canvas/envelopes.js';
import type { CanvasStep } from '../../canvas/step.js';
import type { Envelope } from '../../message.js';
import type { ResultRecord } from '../../states.js';

type Tx = <T>(fn: () => T) => T;

/** What the canvas needs of the store's other parts, inside the caller's transaction. */
export interface CanvasWrites {
  /** Adds a message unless its id is known (a message or a result has it). */
  insertNew(envelope: Envelope, now: number): void;
  /** Stores a record unless a final one is there. */
  storeIn(record: ResultRecord, now: number): void;
}

/**
 * The SQLite store's workflow steps (FusedStore.applyCanvas) and chord
 * counters (Backend.joinChord): each one transaction, so the body of a chord
 * is added in the same transaction as its last member's count.
 */
export class SqliteCanvas {
  private readonly q;

  constructor(
    db: Database.Database,
    private readonly tx: Tx,
    private readonly writes: CanvasWrites,
    private readonly expiresMs: number,
  ) {
    const p = (sql: string): Database.Statement => db.prepare(sql);
    this.q = {
      member: p(`INSERT OR IGNORE INTO chord_members (chord_id, idx, result, expires_at) VALUES (?, ?, ?, ?)`),
      chord: p(`INSERT OR IGNORE INTO chords (id, failed, expires_at) VALUES (?, 0, ?)`),
      fail: p(`UPDATE chords SET failed = 1 WHERE id = ? AND failed = 0`),
      failed: p(`SELECT failed FROM chords WHERE id = ?`).pluck(),
      count: p(`SELECT COUNT(*) FROM chord_members WHERE chord_id = ?`).pluck(),
      results: p(`SELECT result FROM chord_members WHERE chord_id = ? ORDER BY idx`).pluck(),
      setMeta: p(`INSERT INTO meta (key, value, expires_at) VALUES (?, ?, ?)
                  ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`),
      sweepMembers: p(`DELETE FROM chord_members WHERE expires_at <= ?`),
      sweepChords: p(`DELETE FROM chords WHERE expires_at <= ?`),
    };
  }

  async apply(step: CanvasStep): Promise<string> {
    const now = Date.now();
    return this.tx(() => {
      for (const o of step.enqueue) this.writes.insertNew(o.envelope, now);
      for (const r of step.records) this.writes.storeIn(r, now);
      for (const g of step.groups) this.q.setMeta.run(`group:${g.id}`, JSON.stringify({ members: g.members, body: g.body }), now + this.expiresMs);
      const c = step.chord;
      if (!c) return '';
      const joined = this.joinIn(c, now);
      if (joined.state === 'complete') this.writes.insertNew({ ...c.body.envelope, body: spliceChordResults(c.body.envelope.body, joined.results) }, now);
      if (joined.state === 'failed') {
        for (const r of c.onFail.records) this.writes.storeIn(r, now);
        for (const o of c.onFail.enqueue) this.writes.insertNew(o.envelope, now);
      }
      return joined.state;
    });
  }

  async join(join: ChordJoinRequest): Promise<ChordJoinState> {
    const now = Date.now();
    return this.tx(() => this.joinIn(join, now));
  }

  /** Inside a transaction: Backend.joinChord. */
  joinIn(join: ChordJoinRequest, now: number): ChordJoinState {
    const expires = now + this.expiresMs;
    this.q.chord.run(join.id, expires);
    if (join.resultJson === undefined) return { state: this.q.fail.run(join.id).changes > 0 ? 'failed' : 'counted' };
    this.q.member.run(join.id, join.index, join.resultJson, expires);
    if (this.q.failed.get(join.id) === 1 || (this.q.count.get(join.id) as number) < join.size) return { state: 'counted' };
    return { state: 'complete', results: this.q.results.all(join.id) as string[] };
  }

  /** Inside a transaction: forgets expired counters (with the results sweep). */
  sweepIn(now: number): void {
    this.q.sweepMembers.run(now);
    this.q.sweepChords.run(now);
  }
}
