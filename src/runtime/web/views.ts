import type { DeadLetter } from '../cluster.js';
import { peekMessage } from '../message.js';
import { runtimeOf, visibleTasks, type ClusterState, type QueueView, type TaskView, type WorkerView } from '../monitor/cluster-state.js';
import type { ResultRecord } from '../states.js';
import type { WireDeadLetter, WireOverview, WireQueue, WireSeries, WireTask, WireTaskList, WireTaskRow, WireWorker } from './wire.js';

/**
 * Pure functions from the monitor's state (and stored results) to what the
 * page gets. Every list is capped here, so what one update costs to build and
 * to send does not grow with the cluster's traffic.
 */

/** Rows in one task list update, at most. */
export const MAX_ROWS = 500;
export const DEFAULT_ROWS = 200;
/** Distinct names / workers / queues offered in the filter menus, at most. */
const MAX_MENU = 200;

export interface TaskFilter {
  name?: string;
  state?: string;
  worker?: string;
  queue?: string;
  /** A substring of the id. */
  id?: string;
  limit?: number;
}

export function overviewOf(state: ClusterState, series: WireSeries, now = Date.now()): WireOverview {
  return {
    workers: state.workers.map((w) => workerOf(w, now)),
    queues: state.queues.map(queueOf),
    series,
    tasksKept: state.tasks.size,
    error: state.error ?? null,
  };
}

function workerOf(w: WorkerView, now: number): WireWorker {
  return {
    hostname: w.hostname, online: w.online, pool: w.pool, concurrency: w.concurrency, active: w.active, processed: w.processed,
    failed: w.failed, retried: w.retried, rssBytes: w.rssBytes, queues: w.queues, heartbeatAgeMs: Math.max(0, now - Date.parse(w.sentAt)),
    startedAt: w.startedAt, version: w.version,
  };
}

/** A figure the broker could not give (null, or absent) stays null: the page shows '–'. */
function queueOf(q: QueueView): WireQueue {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    queue: q.queue, ready: n(q.ready), scheduled: n(q.scheduled), leased: n(q.leased), dead: n(q.dead),
    oldestWaitMs: n(q.oldestReadyAgeMs), inPerSecond: q.inPerSecond, outPerSecond: q.outPerSecond,
  };
}

export function taskListOf(state: ClusterState, filter: TaskFilter, now = Date.now()): WireTaskList {
  const limit = Math.min(MAX_ROWS, Math.max(1, filter.limit ?? DEFAULT_ROWS));
  const id = filter.id?.trim().toLowerCase();
  const all = visibleTasks(state);
  const matched = all.filter(
    (t) =>
      (!filter.name || t.name === filter.name) &&
      (!filter.state || t.state === filter.state) &&
      (!filter.worker || t.worker === filter.worker) &&
      (!filter.queue || t.queue === filter.queue) &&
      (!id || t.id.toLowerCase().includes(id)),
  );
  const menu = (pick: (t: TaskView) => string | undefined) => [...new Set(all.map(pick).filter((v): v is string => Boolean(v)))].sort().slice(0, MAX_MENU);
  return {
    rows: matched.slice(0, limit).map((t) => rowOf(t, now)),
    matched: matched.length,
    kept: all.length,
    names: menu((t) => t.name),
    workers: menu((t) => t.worker),
    queues: menu((t) => t.queue),
  };
}

function rowOf(t: TaskView, now: number): WireTaskRow {
  return {
    id: t.id, name: t.name, state: t.state, worker: t.worker ?? null, queue: t.queue ?? null, firstSeen: t.firstSeen,
    runtimeMs: runtimeOf(t, now) ?? null, retries: t.retries ?? null,
    progress: t.progress ? { fraction: t.progress.fraction, note: t.progress.note ?? null } : null,
  };
}

/** One task in full: what the events said, completed by its stored result (whole value, error with traceback). */
export function taskOf(live: TaskView | undefined, stored: ResultRecord | null, now = Date.now()): WireTask | null {
  if (!live && !stored) return null;
  const base: TaskView = live ?? { id: stored!.id, name: stored!.task, state: stored!.state, firstSeen: time(stored!.enqueuedAt) ?? now, timeline: [] };
  const error = stored?.error ?? live?.error;
  const hasStoredResult = stored !== null && 'result' in stored;
  const state = live && stored && live.state !== stored.state && ['SUCCESS', 'FAILURE', 'REVOKED'].includes(stored.state) ? stored.state : base.state;
  return {
    ...rowOf({ ...base, state, worker: base.worker ?? stored?.worker, queue: base.queue ?? stored?.queue, retries: base.retries ?? stored?.retries, progress: live?.progress ?? stored?.progress }, now),
    args: live?.args ?? null,
    kwargs: live?.kwargs ?? null,
    result: hasStoredResult ? stored.result : (live?.result ?? null),
    hasResult: hasStoredResult || live?.result !== undefined,
    error: error ? { name: error.name, message: error.message, stack: error.stack ?? null } : null,
    reason: live?.reason ?? null,
    startedAt: live?.startedAt ?? time(stored?.startedAt) ?? null,
    finishedAt: live?.finishedAt ?? time(stored?.finishedAt) ?? null,
    timeline: (live?.timeline ?? []).map((s) => ({ state: s.state, at: s.at, worker: s.worker ?? null })),
    parentId: null,
    rootId: null,
    children: null,
    source: live && stored ? 'both' : live ? 'events' : 'result',
  };
}

export function deadLetterOf(d: DeadLetter): WireDeadLetter {
  return { id: d.id, queue: d.queue, reason: d.reason, deadAt: d.deadAt, task: peekMessage(d.body).task || '?', preview: d.body };
}

function time(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
