import type { SerializedError } from '../errors.js';
import type { ResultRecord, TaskState } from '../states.js';

/**
 * Celery's result meta (celery/backends/base.py _get_result_meta), what both
 * sides write under `celery-task-meta-<id>`: Python's `AsyncResult.get()`
 * reads tq's records and `tq result` reads Python's. tq's fields that Celery
 * has no name for travel under `tq`, which Celery ignores.
 */
export interface CeleryMeta {
  status: string;
  result: unknown;
  traceback: string | null;
  children: unknown[];
  /** utcnow().isoformat(): naive, microseconds; only for ready states. */
  date_done: string | null;
  task_id: string;
  name?: string;
  worker?: string;
  retries?: number;
  queue?: string;
  parent_id?: string | null;
  group_id?: string;
  tq?: TqExtras;
}

interface TqExtras {
  enqueuedAt?: string;
  startedAt?: string;
  eta?: string | null;
  progress?: { fraction: number; note?: string };
  rootId?: string;
  /** tq's own error name, when Celery's exc_type says something else (REVOKED's reason). */
  errorName?: string;
}

export const TASK_META_PREFIX = 'celery-task-meta-';

/** Exception names a Python client can rebuild as the builtin of that name; any other gets exc_module 'tq' (a class Celery makes up). */
const PYTHON_BUILTINS = new Set([
  'Exception', 'TypeError', 'ValueError', 'KeyError', 'IndexError', 'RuntimeError', 'AttributeError', 'LookupError',
  'ZeroDivisionError', 'NotImplementedError', 'TimeoutError', 'OSError', 'AssertionError', 'ArithmeticError',
]);
/** tq error names that are Celery's own exceptions (celery.exceptions re-exports billiard's time limits). */
const CELERY_EXCEPTIONS: Record<string, string> = {
  TimeLimitExceeded: 'TimeLimitExceeded',
  SoftTimeLimitExceeded: 'SoftTimeLimitExceeded',
  WorkerLostError: 'WorkerLostError',
  NotRegistered: 'NotRegistered',
  Revoked: 'TaskRevokedError',
  Retry: 'Retry',
};

export function celeryMetaOf(record: ResultRecord): CeleryMeta {
  const final = record.state === 'SUCCESS' || record.state === 'FAILURE' || record.state === 'REVOKED';
  const meta: CeleryMeta = {
    status: record.state,
    result: resultOf(record),
    traceback: record.error?.stack ?? null,
    children: (record.children ?? []).map((id) => [[id, null], null]),
    date_done: final ? naiveUtc(record.finishedAt ?? new Date().toISOString()) : null,
    task_id: record.id,
    name: record.task,
    retries: record.retries,
  };
  if (record.worker !== undefined) meta.worker = record.worker;
  if (record.queue !== undefined) meta.queue = record.queue;
  if (record.parentId !== undefined) meta.parent_id = record.parentId;
  if (record.groupId !== undefined) meta.group_id = record.groupId;
  const tq: TqExtras = {};
  if (record.enqueuedAt) tq.enqueuedAt = record.enqueuedAt;
  if (record.startedAt) tq.startedAt = record.startedAt;
  if (record.eta !== undefined) tq.eta = record.eta;
  if (record.progress) tq.progress = record.progress;
  if (record.rootId) tq.rootId = record.rootId;
  if (record.error && CELERY_EXCEPTIONS[record.error.name] && record.error.name !== CELERY_EXCEPTIONS[record.error.name]) tq.errorName = record.error.name;
  if (Object.keys(tq).length > 0) meta.tq = tq;
  return meta;
}

function resultOf(record: ResultRecord): unknown {
  if (record.state === 'STARTED') return { hostname: record.worker ?? null, pid: null };
  if (record.error) return excOf(record.error);
  return record.result ?? null;
}

/** Celery's prepare_exception: type name, the args list, and a module Python can resolve (or not, on purpose). */
function excOf(error: SerializedError): { exc_type: string; exc_message: unknown[]; exc_module: string } {
  const celery = CELERY_EXCEPTIONS[error.name];
  if (celery) return { exc_type: celery, exc_message: [error.message], exc_module: 'celery.exceptions' };
  const builtin = PYTHON_BUILTINS.has(error.name);
  return { exc_type: error.name, exc_message: [error.message], exc_module: builtin ? 'builtins' : 'tq' };
}

/** A record from either side's meta; null for what is not a Celery meta object. */
export function recordOfMeta(id: string, text: string): ResultRecord | null {
  let meta: CeleryMeta;
  try {
    meta = JSON.parse(text) as CeleryMeta;
  } catch {
    return null;
  }
  if (typeof meta !== 'object' || meta === null || typeof meta.status !== 'string') return null;
  const tq = meta.tq ?? {};
  const record: ResultRecord = {
    id: typeof meta.task_id === 'string' ? meta.task_id : id,
    task: typeof meta.name === 'string' ? meta.name : '',
    state: meta.status as TaskState,
    retries: typeof meta.retries === 'number' ? meta.retries : 0,
  };
  const r = meta.result as Record<string, unknown> | null;
  if (isExc(r)) record.error = errorOf(r, meta.traceback, tq.errorName);
  else if (meta.status === 'SUCCESS') record.result = meta.result;
  else if (meta.status === 'STARTED' && r && typeof r.hostname === 'string') record.worker = r.hostname;
  if (typeof meta.worker === 'string') record.worker = meta.worker;
  if (typeof meta.queue === 'string') record.queue = meta.queue;
  if (meta.date_done) record.finishedAt = utcOfNaive(meta.date_done);
  if (meta.parent_id !== undefined) record.parentId = meta.parent_id;
  if (typeof meta.group_id === 'string') record.groupId = meta.group_id;
  const children = (Array.isArray(meta.children) ? meta.children : []).map(childId).filter((c): c is string => c !== null);
  if (children.length > 0) record.children = children;
  if (tq.enqueuedAt) record.enqueuedAt = tq.enqueuedAt;
  if (tq.startedAt) record.startedAt = tq.startedAt;
  if (tq.eta !== undefined) record.eta = tq.eta;
  if (tq.progress) record.progress = tq.progress;
  if (tq.rootId) record.rootId = tq.rootId;
  return record;
}

function isExc(r: unknown): r is { exc_type: string; exc_message: unknown; exc_module?: string } {
  return typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>).exc_type === 'string';
}

function errorOf(exc: { exc_type: string; exc_message: unknown }, traceback: string | null, tqName?: string): SerializedError {
  const args = Array.isArray(exc.exc_message) ? exc.exc_message : [exc.exc_message];
  const message = args.length === 1 && typeof args[0] === 'string' ? args[0] : args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(', ');
  const name = tqName ?? (exc.exc_type === 'TaskRevokedError' ? 'Revoked' : exc.exc_type);
  return traceback ? { name, message, stack: traceback } : { name, message };
}

/** A result tuple [[id, parent], null] (or [id, parent]) → its id. */
function childId(c: unknown): string | null {
  if (!Array.isArray(c)) return null;
  if (typeof c[0] === 'string') return c[0];
  return Array.isArray(c[0]) && typeof c[0][0] === 'string' ? c[0][0] : null;
}

/** Celery's date_done: UTC without an offset, microseconds. */
function naiveUtc(iso: string): string {
  return iso.replace(/Z$/, '').replace(/\.(\d{3})$/, '.$1000');
}

function utcOfNaive(text: string): string {
  const hasZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text);
  const ms = Date.parse(hasZone ? text : `${text}Z`);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString();
}
