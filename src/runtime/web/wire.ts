/**
 * What `tq web`'s server sends the page, as JSON. Self-contained (no imports),
 * so the page (src/web, bundled separately for the browser) shares these types
 * without pulling in any of the runtime.
 */

export type WireAuth = 'none' | 'basic' | 'token';

/** GET /api/session: what this page may do, and the CSRF token its actions carry. */
export interface WireSession {
  auth: WireAuth;
  readOnly: boolean;
  /** Actions are shown and accepted: auth is on and --read-only is off. */
  canAct: boolean;
  /** Why actions are off, and how to turn them on; null when they are on. */
  actionsOff: string | null;
  /** Sent back in the X-TQ-CSRF header of every action. */
  csrf: string;
  broker: string;
  version: string;
}

export interface WireWorker {
  hostname: string;
  online: boolean;
  pool: string;
  concurrency: number;
  active: number;
  processed: number;
  failed: number;
  retried: number;
  rssBytes: number;
  queues: string[];
  /** Age of the latest heartbeat, ms. */
  heartbeatAgeMs: number;
  startedAt: string;
  version: string;
}

/** A broker that cannot tell a figure (RabbitMQ cannot count scheduled or leased messages) reports null. */
export interface WireQueue {
  queue: string;
  ready: number | null;
  scheduled: number | null;
  leased: number | null;
  dead: number | null;
  oldestWaitMs: number | null;
  inPerSecond: number;
  outPerSecond: number;
}

/** Counts per bucket, oldest first; the last bucket is the current, partial one. */
export interface WireSeries {
  bucketMs: number;
  /** Epoch ms at which the last bucket starts. */
  lastStart: number;
  succeeded: number[];
  failed: number[];
  retried: number[];
}

export interface WireTaskRow {
  id: string;
  name: string;
  state: string;
  worker: string | null;
  queue: string | null;
  firstSeen: number;
  runtimeMs: number | null;
  retries: number | null;
  progress: { fraction: number; note: string | null } | null;
}

export interface WireError {
  name: string;
  message: string;
  stack: string | null;
}

export interface WireTask extends WireTaskRow {
  args: unknown[] | null;
  kwargs: Record<string, unknown> | null;
  /** The return value: whole from the stored result, or the event's summary (a JSON text). */
  result: unknown;
  hasResult: boolean;
  error: WireError | null;
  reason: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  timeline: { state: string; at: number; worker: string | null }[];
  /**
   * The task's place in a workflow. Null until the canvas (chains, groups,
   * chords) records parents and children; the page already has a place for them.
   */
  parentId: string | null;
  rootId: string | null;
  children: string[] | null;
  /** Where the figures come from: the live event stream, the stored result, or both. */
  source: 'events' | 'result' | 'both';
}

export interface WireOverview {
  workers: WireWorker[];
  queues: WireQueue[];
  series: WireSeries;
  tasksKept: number;
  error: string | null;
}

export interface WireTaskList {
  rows: WireTaskRow[];
  /** How many kept tasks match the filter (rows holds at most the cap of them). */
  matched: number;
  kept: number;
  /** Names, workers and queues seen, for the filter menus. */
  names: string[];
  workers: string[];
  queues: string[];
}

/** One SSE `update` message; sections not asked for by the stream's view are left out. */
export interface WireUpdate {
  at: number;
  overview?: WireOverview;
  tasks?: WireTaskList;
  task?: WireTask | null;
  /** Events folded in since this client's previous update: how many, and the time of the oldest and newest. */
  events: { count: number; oldestAt: number | null; newestAt: number | null };
}

export interface WireDeadLetter {
  id: string;
  queue: string;
  reason: string;
  deadAt: string;
  task: string;
  /** The body, cut to a preview by the broker. */
  preview: string;
}

export interface WireScheduleEntry {
  name: string;
  task: string;
  source: string;
  schedule: string;
  tz: string;
  queue: string;
  next: { at: string; local: string }[];
}

export interface WireSchedule {
  /** False when the periodic tasks could not be read (no tasks directory, say); `reason` says why. */
  available: boolean;
  reason: string | null;
  entries: WireScheduleEntry[];
}

export interface WireActionResult {
  ok: boolean;
  message: string;
}
