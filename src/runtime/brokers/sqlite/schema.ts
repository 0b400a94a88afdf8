/**
 * The embedded broker's tables. One file holds queue, results, dead letters
 * and a small key-value store, so one transaction can ack a message and store
 * its result together.
 *
 * messages.state: 'ready' → 'leased' (reserve) → deleted (finish) | 'ready'
 * (release, lapsed lease) | 'scheduled' (retry with eta). 'scheduled' → 'ready'
 * when available_at passes. For 'scheduled' available_at is the eta; for
 * 'leased' it is the lease deadline.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,  -- FIFO order; kept on hand-back
  id           TEXT NOT NULL UNIQUE,
  queue        TEXT NOT NULL,
  priority     INTEGER NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('ready', 'scheduled', 'leased')),
  available_at INTEGER NOT NULL,
  body         TEXT NOT NULL,
  enqueued_at  INTEGER NOT NULL,
  holder       TEXT,
  token        TEXT,
  leased_at    INTEGER,
  deliveries   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, state, priority, seq);
CREATE INDEX IF NOT EXISTS messages_due ON messages (state, available_at);

CREATE TABLE IF NOT EXISTS results (
  id         TEXT PRIMARY KEY,
  state      TEXT NOT NULL,
  record     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS results_expiry ON results (expires_at);

CREATE TABLE IF NOT EXISTS dead_letters (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  id      TEXT NOT NULL,
  queue   TEXT NOT NULL,
  reason  TEXT NOT NULL,
  body    TEXT NOT NULL,
  dead_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_queue ON dead_letters (queue);

CREATE TABLE IF NOT EXISTS heartbeats (
  hostname TEXT PRIMARY KEY,
  body     TEXT NOT NULL,
  sent_at  INTEGER NOT NULL
);

-- Remote control: requests in order (a worker reads after its cursor), replies per request.
CREATE TABLE IF NOT EXISTS control (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  body       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS control_replies (
  request_id TEXT NOT NULL,
  hostname   TEXT NOT NULL,
  body       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (request_id, hostname)
);

CREATE TABLE IF NOT EXISTS revoked (
  id         TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  body TEXT NOT NULL
);

-- Chord counters (canvas/step.ts): a header member's result by index, so a member delivered
-- twice counts once; a chord's failed flag, set by its first failing member.
CREATE TABLE IF NOT EXISTS chord_members (
  chord_id   TEXT NOT NULL,
  idx        INTEGER NOT NULL,
  result     TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (chord_id, idx)
);
CREATE TABLE IF NOT EXISTS chords (
  id         TEXT PRIMARY KEY,
  failed     INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS meta (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  expires_at INTEGER
);
`;

/** Control requests and replies kept at most this long. */
export const CONTROL_KEEP_MS = 10 * 60_000;
/** Heartbeats of workers gone this long are forgotten. */
export const HEARTBEAT_KEEP_MS = 24 * 60 * 60_000;

