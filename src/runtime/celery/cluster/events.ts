import { loadavg } from 'node:os';
import type { TqEvent, TqEventType, WorkerHeartbeat } from '../../cluster.js';
import { pyRepr, pyReprArgs } from '../py-repr.js';

/** A Celery event: a flat JSON object (celery/events/event.py Event). */
export type CeleryEvent = Record<string, unknown> & { type: string; hostname: string; timestamp: number };

/** What every event of one process carries (celery/events/dispatcher.py publish): who, where, and the Lamport clock. */
export interface EventSource {
  pid: number;
  clock(): number;
}

/** Celery's utcoffset(): hours west of UTC, floored as Python's // floors. */
export function utcoffset(now = new Date()): number {
  return Math.floor(now.getTimezoneOffset() / 60);
}

const TASK_TYPES = new Set<TqEventType>(['task-sent', 'task-received', 'task-started', 'task-succeeded', 'task-failed', 'task-retried', 'task-revoked', 'task-rejected']);

/**
 * A tq task event as a Celery worker sends it (celery/worker/request.py,
 * celery/app/trace.py), or null for what Celery has no event for
 * (task-progress) and for worker events, which heartbeats send.
 */
export function toCeleryTaskEvent(e: TqEvent, node: string, source: EventSource): CeleryEvent | null {
  if (!TASK_TYPES.has(e.type) || !e.taskId) return null;
  const d = e.data ?? {};
  const base = { hostname: node, utcoffset: utcoffset(), pid: source.pid, clock: source.clock(), timestamp: Date.parse(e.at) / 1000, type: e.type, uuid: e.taskId };
  switch (e.type) {
    case 'task-sent':
      return { ...base, name: e.task, args: null, kwargs: null, retries: 0, eta: d.eta ?? null, expires: null, queue: e.queue, exchange: '', routing_key: e.queue, root_id: e.taskId, parent_id: null };
    case 'task-received':
      return {
        ...base, name: e.task, args: pyReprArgs(Array.isArray(d.args) ? d.args : []), kwargs: pyRepr(d.kwargs ?? {}), root_id: null, parent_id: null,
        retries: d.retries ?? 0, eta: null, expires: null,
      };
    case 'task-started':
      return { ...base, pid: source.pid };
    case 'task-succeeded':
      return { ...base, result: reprOfSummary(d.result), runtime: seconds(d.runtimeMs) };
    case 'task-failed':
    case 'task-retried': {
      const err = (d.error ?? {}) as { name?: string; message?: string; stack?: string };
      return { ...base, exception: `${err.name ?? 'Error'}(${pyRepr(err.message ?? '')})`, traceback: err.stack ?? '' };
    }
    case 'task-revoked':
      return { ...base, terminated: false, signum: null, expired: d.reason === 'expired' };
    case 'task-rejected':
      return { ...base, requeue: false };
    default:
      return null;
  }
}

/** A worker-online / worker-heartbeat / worker-offline event (celery/worker/heartbeat.py). */
export function workerEvent(type: 'worker-online' | 'worker-heartbeat' | 'worker-offline', hb: WorkerHeartbeat, node: string, source: EventSource, freqSeconds: number): CeleryEvent {
  return {
    hostname: node, utcoffset: utcoffset(), pid: hb.pid, clock: source.clock(), timestamp: Date.now() / 1000, type,
    freq: freqSeconds, active: hb.active, processed: hb.processed, loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
    sw_ident: 'tq', sw_ver: hb.version, sw_sys: process.platform === 'linux' ? 'Linux' : process.platform,
  };
}

/** A Celery event as tq's monitors read events (`tq events`, `tq top`): a Python worker's, seen on celeryev. */
export function fromCeleryEvent(c: Record<string, unknown>): TqEvent | null {
  if (typeof c.type !== 'string' || !/^(task|worker)-/.test(c.type)) return null;
  const at = typeof c.timestamp === 'number' ? new Date(c.timestamp * 1000).toISOString() : new Date().toISOString();
  const event: TqEvent = { type: c.type as TqEventType, at };
  if (typeof c.hostname === 'string') event.hostname = c.hostname;
  if (typeof c.uuid === 'string') event.taskId = c.uuid;
  if (typeof c.name === 'string') event.task = c.name;
  if (typeof c.routing_key === 'string' && c.type.startsWith('task-')) event.queue = c.routing_key;
  const data: Record<string, unknown> = {};
  if (typeof c.runtime === 'number') data.runtimeMs = Math.round(c.runtime * 1000);
  if (c.result !== undefined) data.result = c.result;
  if (typeof c.exception === 'string') data.error = { name: c.exception.split('(', 1)[0], message: c.exception };
  if (c.args !== undefined) data.args = c.args;
  if (c.kwargs !== undefined) data.kwargs = c.kwargs;
  if (typeof c.retries === 'number') data.retries = c.retries;
  if (typeof c.active === 'number') data.active = c.active;
  if (typeof c.processed === 'number') data.processed = c.processed;
  if (Object.keys(data).length > 0) event.data = data;
  return event;
}

/** tq keeps a result's summary as JSON text; Celery shows a Python repr. */
function reprOfSummary(summary: unknown): string {
  if (typeof summary !== 'string') return pyRepr(summary);
  try {
    return pyRepr(JSON.parse(summary));
  } catch {
    return summary; // cut short: shown as it is
  }
}

function seconds(ms: unknown): number | null {
  return typeof ms === 'number' ? ms / 1000 : null;
}
