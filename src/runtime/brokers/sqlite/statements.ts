import type Database from 'better-sqlite3';

/** A body's task name, or '' when it is not a JSON message with one (the worker dead-letters those). */
const TASK_OF_BODY = `CASE WHEN json_valid(body) AND json_type(body, '$.task') = 'text' THEN json_extract(body, '$.task') ELSE '' END`;

/** Every SQL statement the broker runs, prepared once per connection. */
export function prepareStatements(db: Database.Database): Statements {
  const p = (sql: string): Database.Statement => db.prepare(sql);
  return {
    insert: p(`INSERT OR IGNORE INTO messages (id, queue, priority, state, available_at, body, enqueued_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)`),
    // enqueue's insert: a new id only, never one a stored result still holds (see Broker.enqueue).
    insertNew: p(`INSERT OR IGNORE INTO messages (id, queue, priority, state, available_at, body, enqueued_at)
                  SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM results WHERE id = ? AND expires_at > ?)`),
    sameBody: p(`SELECT 1 FROM messages WHERE id = ? AND body = ?`).pluck(),
    anyReady: p(`SELECT 1 FROM messages WHERE queue = ? AND state = 'ready' LIMIT 1`).pluck(),
    anyDue: p(`SELECT 1 FROM messages WHERE state IN ('scheduled', 'leased') AND available_at <= ? LIMIT 1`).pluck(),
    // A lapsed lease loses its token here, so the old holder's late ack is refused from now on.
    nextDue: p(`SELECT MIN(available_at) FROM messages WHERE state IN ('scheduled', 'leased')`).pluck(),
    promoteDue: p(`UPDATE messages SET state = 'ready', holder = NULL, token = NULL, leased_at = NULL
                   WHERE state IN ('scheduled', 'leased') AND available_at <= ?`),
    selectReady: p(`SELECT seq, id, body, deliveries FROM messages
                    WHERE queue = ? AND state = 'ready' ORDER BY priority, seq LIMIT ?`),
    // The same for one message (a finish's next): a literal LIMIT runs in a third of the time of a bound one.
    selectReadyOne: p(`SELECT seq, id, body, deliveries FROM messages
                       WHERE queue = ? AND state = 'ready' ORDER BY priority, seq LIMIT 1`),
    lease: p(`UPDATE messages SET state = 'leased', holder = ?, token = ?, available_at = ?, leased_at = ?,
              deliveries = deliveries + 1 WHERE seq = ?`),
    ack: p(`DELETE FROM messages WHERE id = ? AND token = ? AND state = 'leased'`),
    isHolder: p(`SELECT 1 FROM messages WHERE id = ? AND token = ? AND state = 'leased'`).pluck(),
    leasedBody: p(`SELECT queue, body FROM messages WHERE id = ? AND token = ? AND state = 'leased'`),
    reschedule: p(`UPDATE messages SET state = ?, available_at = ?, body = ?, priority = ?, holder = NULL, token = NULL,
                   leased_at = NULL WHERE id = ? AND token = ? AND state = 'leased'`),
    release: p(`UPDATE messages SET state = 'ready', available_at = 0, holder = NULL, token = NULL, leased_at = NULL
                WHERE id = ? AND token = ? AND state = 'leased'`),
    extend: p(`UPDATE messages SET available_at = ? WHERE id = ? AND token = ? AND state = 'leased'`),
    insertDead: p(`INSERT INTO dead_letters (id, queue, reason, body, dead_at) VALUES (?, ?, ?, ?, ?)`),
    capDead: p(`DELETE FROM dead_letters WHERE seq <= (SELECT MAX(seq) FROM dead_letters) - ?`),
    upsertResult: p(`INSERT INTO results (id, state, record, expires_at) VALUES (?, ?, ?, ?)
                     ON CONFLICT (id) DO UPDATE SET state = excluded.state, record = excluded.record,
                     expires_at = excluded.expires_at`),
    getResult: p(`SELECT record FROM results WHERE id = ? AND expires_at > ?`),
    messageState: p(`SELECT id, queue, state, holder, leased_at, enqueued_at, available_at, body FROM messages WHERE id = ?`),
    purge: p(`DELETE FROM messages WHERE queue = ? AND state = 'ready' RETURNING id, ${TASK_OF_BODY} AS task`),
    peekReady: p(`SELECT task, COUNT(*) AS n FROM (
                    SELECT ${TASK_OF_BODY} AS task FROM messages WHERE queue = ? AND state = 'ready' ORDER BY priority, seq LIMIT ?
                  ) GROUP BY task`),
    countByState: p(`SELECT queue, state, COUNT(*) AS n, MIN(enqueued_at) AS oldest FROM messages GROUP BY queue, state`),
    countDead: p(`SELECT queue, COUNT(*) AS n FROM dead_letters GROUP BY queue`),
    claimMeta: p(`INSERT INTO meta (key, value, expires_at) VALUES (?, ?, ?)
                  ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
                  WHERE meta.expires_at IS NOT NULL AND meta.expires_at <= ?`),
    getMeta: p(`SELECT value FROM meta WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)`),
    setMeta: p(`INSERT INTO meta (key, value, expires_at) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`),
    sweepResults: p(`DELETE FROM results WHERE expires_at <= ?`),
    sweepMeta: p(`DELETE FROM meta WHERE expires_at IS NOT NULL AND expires_at <= ?`),
  };
}

export type StatementName =
  | 'insert' | 'insertNew' | 'sameBody' | 'anyReady' | 'anyDue' | 'nextDue' | 'promoteDue' | 'selectReady' | 'selectReadyOne' | 'lease' | 'ack' | 'isHolder' | 'leasedBody'
  | 'reschedule' | 'release' | 'extend' | 'insertDead' | 'capDead' | 'upsertResult' | 'getResult' | 'messageState'
  | 'purge' | 'peekReady' | 'countByState' | 'countDead' | 'claimMeta' | 'getMeta' | 'setMeta' | 'sweepResults' | 'sweepMeta';

export type Statements = Record<StatementName, Database.Statement>;
