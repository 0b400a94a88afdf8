import type { QueueStats } from '../brokers/broker.js';
import { depthOf } from '../queue-stats.js';
import { isOnline, type TqEvent, type WorkerHeartbeat } from '../cluster.js';
import type { SerializedError } from '../errors.js';
import type { ResultRecord, TaskState } from '../states.js';
import { addAt, emptyWindow, perSecond, type RateWindow } from './rate-window.js';

/**
 * The cluster as `tq top` shows it, built from heartbeats, queue stats and the
 * event stream by pure reducers: each takes a state and returns a new one, so
 * the model is tested without a broker or a terminal.
 */
export type MonitorTaskState = TaskState | 'REJECTED';

export interface TaskView {
  id: string;
  name: string;
  state: MonitorTaskState;
  worker?: string;
  queue?: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  retries?: number;
  /** Epoch ms. */
  firstSeen: number;
  startedAt?: number;
  finishedAt?: number;
  runtimeMs?: number;
  /** Summary of the return value (events) or the value itself (fetched record). */
  result?: unknown;
  error?: SerializedError;
  reason?: string;
  progress?: { fraction: number; note?: string };
  /** Its place in a workflow (canvas), from its record: who sent it, its group, what it sent. */
  parentId?: string | null;
  groupId?: string;
  children?: string[];
  timeline: { state: MonitorTaskState; at: number; worker?: string }[];
}

export interface WorkerView extends WorkerHeartbeat {
  online: boolean;
}

export interface QueueView extends QueueStats {
  inPerSecond: number;
  outPerSecond: number;
}

export interface ClusterState {
  /** Workers online, and those offline for less than OFFLINE_FOLD_MS; online first. */
  workers: WorkerView[];
  /** How many more workers the broker remembers, offline for longer (shown as one line). */
  longOffline: number;
  queues: QueueView[];
  tasks: ReadonlyMap<string, TaskView>;
  /** Per queue: messages sent (in) and taken by a worker (out), per second. */
  flow: Readonly<Record<string, { in: RateWindow; out: RateWindow }>>;
  /** The latest broker error, shown until the next successful poll. */
  error?: string;
  /** Epoch ms of the last update. */
  updatedAt: number;
}

/**
 * A worker offline this long is no longer listed one by one, only counted: the
 * broker keeps heartbeats for a day, and a restarted deployment would
 * otherwise fill the table with the dead.
 */
export const OFFLINE_FOLD_MS = 5 * 60_000;

/** Tasks kept at most; the oldest finished ones go first. */
export const MAX_TASKS = 2000;
const FINAL: ReadonlySet<MonitorTaskState> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED']);
const FLOW_SECONDS = 10;

export function isFinalState(state: MonitorTaskState): boolean {
  return FINAL.has(state);
}

export function emptyCluster(now = Date.now()): ClusterState {
  return { workers: [], longOffline: 0, queues: [], tasks: new Map(), flow: {}, updatedAt: now };
}

/** Folds a batch of events into the state (one copy of the task map per batch). */
export function applyEvents(state: ClusterState, events: readonly TqEvent[], now = Date.now()): ClusterState {
  if (events.length === 0) return state;
  const tasks = new Map(state.tasks);
  // Messages in and out per queue and second, counted first and added to the rate windows once per second
  // (the same result as adding each event, without copying a window per event under a firehose).
  const counts = new Map<string, { queue: string; dir: 'in' | 'out'; perSecond: Map<number, number> }>();
  const owned = new Set<TaskView>();
  let lastIso = '';
  let lastMs = now;
  for (const event of events) {
    // A batch's events mostly share a few timestamps: parse each distinct one once.
    if (event.at !== lastIso) {
      lastIso = event.at;
      lastMs = Date.parse(event.at) || now;
    }
    const at = lastMs;
    if (event.queue && (event.type === 'task-sent' || event.type === 'task-received')) {
      const dir = event.type === 'task-sent' ? 'in' : 'out';
      const key = `${dir}\u0000${event.queue}`;
      let c = counts.get(key);
      if (!c) counts.set(key, (c = { queue: event.queue, dir, perSecond: new Map() }));
      const second = Math.floor(at / 1000) * 1000;
      c.perSecond.set(second, (c.perSecond.get(second) ?? 0) + 1);
    }
    if (!event.taskId) continue;
    const next = reduceTask(tasks.get(event.taskId), event, at, owned);
    if (next) tasks.set(event.taskId, next);
  }
  const flow: Record<string, { in: RateWindow; out: RateWindow }> = { ...state.flow };
  for (const { queue, dir, perSecond } of counts.values()) {
    const f = flow[queue] ?? { in: emptyWindow(now, FLOW_SECONDS), out: emptyWindow(now, FLOW_SECONDS) };
    let w = f[dir];
    for (const second of [...perSecond.keys()].sort((x, y) => x - y)) w = addAt(w, second, perSecond.get(second));
    flow[queue] = { ...f, [dir]: w };
  }
  return { ...state, tasks: capTasks(tasks), flow, queues: withRates(state.queues, flow, now), updatedAt: now };
}

/**
 * One event applied to one task. A task is copied the first time a batch
 * touches it (the previous state stays as it was) and changed in place by the
 * batch's later events (`owned`), so a task's four events cost one copy.
 */
function reduceTask(current: TaskView | undefined, e: TqEvent, at: number, owned: Set<TaskView>): TaskView | undefined {
  const state = stateOf(e);
  if (!state) return current;
  const d = e.data ?? {};
  const task: TaskView =
    current && owned.has(current)
      ? current
      : current
        ? { ...current, timeline: [...current.timeline] }
        : { id: e.taskId!, name: e.task ?? '?', state, firstSeen: at, timeline: [] };
  owned.add(task);
  if (e.task) task.name = e.task;
  if (e.queue) task.queue = e.queue;
  if (e.hostname) task.worker = e.hostname;
  if (state === 'STARTED' && e.type === 'task-progress') {
    task.progress = { fraction: Number(d.fraction) || 0, note: typeof d.note === 'string' ? d.note : undefined };
    return task;
  }
  task.timeline.push({ state, at, worker: e.hostname });
  // Events from different processes may arrive out of order: a final state is kept unless a later final one comes.
  const keep = current && isFinalState(current.state) && (!isFinalState(state) || at < (current.finishedAt ?? 0));
  if (!keep) task.state = state;
  switch (e.type) {
    case 'task-received':
      if (Array.isArray(d.args)) task.args = d.args;
      if (d.kwargs && typeof d.kwargs === 'object') task.kwargs = d.kwargs as Record<string, unknown>;
      if (typeof d.retries === 'number') task.retries = d.retries;
      break;
    case 'task-started':
      task.startedAt = at;
      task.progress = undefined;
      break;
    case 'task-succeeded':
      task.result = d.result;
      task.runtimeMs = numberOr(d.runtimeMs, task.runtimeMs);
      task.finishedAt = at;
      break;
    case 'task-failed':
    case 'task-retried':
      task.error = d.error as SerializedError | undefined;
      task.runtimeMs = numberOr(d.runtimeMs, task.runtimeMs);
      if (e.type === 'task-failed') task.finishedAt = at;
      break;
    case 'task-revoked':
    case 'task-rejected':
      task.reason = typeof d.reason === 'string' ? d.reason : undefined;
      task.finishedAt = at;
      break;
  }
  return task;
}

function stateOf(e: TqEvent): MonitorTaskState | undefined {
  switch (e.type) {
    case 'task-sent': return 'PENDING';
    case 'task-received': return 'RECEIVED';
    case 'task-started': return 'STARTED';
    case 'task-progress': return 'STARTED';
    case 'task-succeeded': return 'SUCCESS';
    case 'task-failed': return 'FAILURE';
    case 'task-retried': return 'RETRY';
    case 'task-revoked': return 'REVOKED';
    case 'task-rejected': return 'REJECTED';
    default: return undefined;
  }
}

/** Merges a stored result record (from `broker.getResult`) into the task it describes. */
export function applyRecord(state: ClusterState, record: ResultRecord, now = Date.now()): ClusterState {
  const current = state.tasks.get(record.id);
  const task: TaskView = current ? { ...current } : { id: record.id, name: record.task, state: record.state, firstSeen: parseTime(record.enqueuedAt) ?? now, timeline: [] };
  if (record.task) task.name = record.task;
  if (!current || current.state !== record.state) {
    if (!current || !isFinalState(current.state) || isFinalState(record.state)) {
      task.state = record.state;
      task.timeline = [...task.timeline, { state: record.state, at: parseTime(record.finishedAt) ?? now, worker: record.worker }];
    }
  }
  task.worker = record.worker ?? task.worker;
  task.queue = record.queue ?? task.queue;
  task.retries = record.retries;
  task.startedAt = parseTime(record.startedAt) ?? task.startedAt;
  task.finishedAt = parseTime(record.finishedAt) ?? task.finishedAt;
  if ('result' in record) task.result = record.result;
  if (record.error) task.error = record.error;
  if (record.progress) task.progress = record.progress;
  if (record.parentId) task.parentId = record.parentId;
  if (record.groupId) task.groupId = record.groupId;
  if (record.children) task.children = record.children;
  const tasks = new Map(state.tasks);
  tasks.set(record.id, task);
  return { ...state, tasks, updatedAt: now };
}

export function applyHeartbeats(state: ClusterState, heartbeats: readonly WorkerHeartbeat[], now = Date.now()): ClusterState {
  return { ...state, ...recentWorkers(heartbeats, now), error: undefined, updatedAt: now };
}

/** The workers to list (online first, then by name) and how many are left out for being offline longer than OFFLINE_FOLD_MS. */
export function recentWorkers(heartbeats: readonly WorkerHeartbeat[], now = Date.now()): { workers: WorkerView[]; longOffline: number } {
  const all = heartbeats.map((hb) => ({ ...hb, online: isOnline(hb, now) }));
  // A heartbeat with an unreadable time counts as long offline.
  const workers = all
    .filter((w) => w.online || now - Date.parse(w.sentAt) < OFFLINE_FOLD_MS)
    .sort((a, b) => Number(b.online) - Number(a.online) || a.hostname.localeCompare(b.hostname));
  return { workers, longOffline: all.length - workers.length };
}

/**
 * New queue depths. Brokers differ in which empty queues they report (Redis
 * every queue ever used, SQLite none), so a queue is listed when it holds a
 * message, or was listed before, is consumed by a listed worker or seen in
 * events (then at 0 when the broker leaves it out).
 */
export function applyStats(state: ClusterState, stats: readonly QueueStats[], now = Date.now()): ClusterState {
  const byName = new Map(stats.filter((s) => depthOf(s) > 0 || s.scheduled === null).map((s) => [s.queue, s]));
  for (const s of stats) if (!byName.has(s.queue) && state.queues.some((q) => q.queue === s.queue)) byName.set(s.queue, s);
  const known = [...state.queues.map((q) => q.queue), ...state.workers.flatMap((w) => w.queues), ...Object.keys(state.flow)];
  for (const name of known) if (!byName.has(name)) byName.set(name, { queue: name, ready: 0, scheduled: 0, leased: 0, dead: 0, oldestReadyAgeMs: null });
  const queues = [...byName.values()].sort((a, b) => a.queue.localeCompare(b.queue)).map((s) => ({ ...s, inPerSecond: 0, outPerSecond: 0 }));
  return { ...state, queues: withRates(queues, state.flow, now), error: undefined, updatedAt: now };
}

export function applyError(state: ClusterState, error: unknown, now = Date.now()): ClusterState {
  return { ...state, error: error instanceof Error ? error.message : String(error), updatedAt: now };
}

function withRates(queues: readonly QueueView[], flow: ClusterState['flow'], now: number): QueueView[] {
  return queues.map((q) => {
    const f = flow[q.queue];
    return { ...q, inPerSecond: f ? perSecond(f.in, now, 5) : 0, outPerSecond: f ? perSecond(f.out, now, 5) : 0 };
  });
}

/**
 * Drops the oldest finished tasks first; when that is not enough (a backlog of
 * tasks that never finish, e.g. sent with no worker running), the oldest
 * unfinished ones go too, so the map never outgrows MAX_TASKS.
 */
function capTasks(tasks: Map<string, TaskView>): Map<string, TaskView> {
  if (tasks.size <= MAX_TASKS) return tasks;
  const oldestFirst = [...tasks.values()].sort((a, b) => a.firstSeen - b.firstSeen);
  for (const t of [...oldestFirst.filter((t) => isFinalState(t.state)), ...oldestFirst.filter((t) => !isFinalState(t.state))]) {
    if (tasks.size <= MAX_TASKS) break;
    tasks.delete(t.id);
  }
  return tasks;
}

/** The task list as shown: newest first, filtered by a case-insensitive substring of id, name, state, worker or queue. */
export function visibleTasks(state: ClusterState, filter = ''): TaskView[] {
  const needle = filter.trim().toLowerCase();
  const all = [...state.tasks.values()];
  const shown = needle
    ? all.filter((t) => [t.id, t.name, t.state, t.worker ?? '', t.queue ?? ''].some((s) => s.toLowerCase().includes(needle)))
    : all;
  return shown.sort((a, b) => b.firstSeen - a.firstSeen || a.id.localeCompare(b.id));
}

/** How long the task ran, or has been running, in ms. */
export function runtimeOf(task: TaskView, now = Date.now()): number | undefined {
  if (task.runtimeMs !== undefined) return task.runtimeMs;
  if (task.startedAt === undefined) return undefined;
  return (task.finishedAt ?? (isFinalState(task.state) ? task.startedAt : now)) - task.startedAt;
}

function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  return typeof value === 'number' ? value : fallback;
}

function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
