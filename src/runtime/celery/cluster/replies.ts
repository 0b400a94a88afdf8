import type { ControlCommand, TaskInfo } from '../../cluster.js';


/** A tq reply: what the responder answered (ok) or the error's message. */
export interface TqAnswer {
  ok: boolean;
  data: unknown;
}

/**
 * A tq worker's answer as a Celery worker gives it (celery/worker/control.py),
 * so `celery inspect` / `celery control` print it as they print their own:
 * `{'ok': 'pong'}`, lists of Request.info() dicts, `{'error': …}` on failure.
 */
export function toCeleryReply(command: ControlCommand, answer: TqAnswer, pid: number): unknown {
  if (!answer.ok) return { error: String(answer.data) };
  const data = answer.data;
  switch (command.verb) {
    case 'ping':
      return { ok: 'pong' };
    case 'active':
    case 'reserved':
      return (data as TaskInfo[]).map((t) => requestInfo(t, pid));
    case 'query_task':
      return Object.fromEntries((data as TaskInfo[]).map((t) => [t.id, [t.state, requestInfo(t, pid)]]));
    case 'registered':
    case 'revoked':
    case 'scheduled':
      return data;
    case 'active_queues':
      return (data as string[]).map(queueInfo);
    case 'stats':
      return statsOf(data as StatsData, pid);
    case 'revoke': {
      if (!command.terminate) return { ok: `tasks ${command.ids.join(', ')} flagged as revoked` };
      const running = (data as { revoked?: string[] }).revoked ?? [];
      return { ok: running.length === 0 ? 'terminate: tasks unknown' : `terminate: ${running.join(', ')}` };
    }
    case 'rate_limit':
      return { ok: command.rate === '0' ? 'rate limit disabled successfully' : 'new rate limit set successfully' };
    case 'time_limit':
      return { ok: 'time limits set successfully' };
    case 'pool_grow':
      return { ok: 'pool will grow' };
    case 'pool_shrink':
      return { ok: 'pool will shrink' };
    case 'add_consumer':
      return { ok: `add consumer ${command.queue}` };
    case 'cancel_consumer':
      return { ok: `no longer consuming from ${command.queue}` };
    case 'shutdown':
      return { ok: 'shutting down' };
  }
}

/**
 * A Celery reply read as tq reads its own: a Python worker's answer (or a tq
 * worker's, when it came without tq's own in the headers), shaped as the
 * responder shapes that verb where the two differ.
 */
export function fromCeleryReply(command: ControlCommand, body: unknown, hostname: string): TqAnswer {
  if (isObject(body) && 'error' in body && Object.keys(body).length === 1) return { ok: false, data: String(body.error) };
  switch (command.verb) {
    case 'ping':
      return { ok: true, data: isObject(body) && body.ok === 'pong' ? 'pong' : body };
    case 'active':
    case 'reserved':
      return { ok: true, data: Array.isArray(body) ? body.map((r) => taskInfo(r, command.verb as TaskInfo['state'], hostname)) : body };
    case 'query_task':
      return {
        ok: true,
        data: isObject(body) ? Object.values(body).map((v) => (Array.isArray(v) ? taskInfo(v[1], v[0] === 'active' ? 'active' : 'reserved', hostname) : v)) : body,
      };
    case 'registered':
      // Celery lists 'name [rate_limit=…]' when a task has such attributes: the name is the first word.
      return { ok: true, data: Array.isArray(body) ? body.map((s) => String(s).split(' [', 1)[0]) : body };
    case 'active_queues':
      return { ok: true, data: Array.isArray(body) ? body.map((q) => (isObject(q) ? q.name : q)) : body };
    default:
      return { ok: true, data: isObject(body) && Object.keys(body).length === 1 && 'ok' in body ? body.ok : body };
  }
}

interface StatsData {
  pid: number;
  pool: string;
  concurrency: number;
  startedAt: string;
  processed: number;
  rssBytes: number;
  prefetched?: number;
  counters?: Record<string, number>;
}

/** Celery's stats keys that its CLI and Flower read, from a tq worker's stats; tq's own under 'tq'. */
function statsOf(data: StatsData, pid: number): Record<string, unknown> {
  return {
    pid,
    clock: '0',
    uptime: Math.max(0, Math.round((Date.now() - Date.parse(data.startedAt)) / 1000)),
    total: {},
    pool: { 'max-concurrency': data.concurrency, implementation: `tq:${data.pool}`, processes: [pid] },
    prefetch_count: data.prefetched ?? 0,
    rusage: { maxrss: Math.round(data.rssBytes / 1024) },
    broker: { transport: 'redis' },
    sw_ident: 'tq',
    tq: data,
  };
}

/** Celery's Request.info() of a task a tq worker holds. */
function requestInfo(t: TaskInfo, pid: number): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    args: t.args,
    kwargs: t.kwargs,
    type: t.name,
    hostname: t.worker,
    time_start: t.startedAt ? Date.parse(t.startedAt) / 1000 : null,
    acknowledged: false,
    delivery_info: { exchange: '', routing_key: t.queue, priority: 0, redelivered: false },
    worker_pid: t.startedAt ? pid : null,
  };
}

function taskInfo(r: unknown, state: TaskInfo['state'], hostname: string): TaskInfo | unknown {
  if (!isObject(r)) return r;
  const delivery = isObject(r.delivery_info) ? r.delivery_info : {};
  const started = typeof r.time_start === 'number' ? new Date(r.time_start * 1000).toISOString() : undefined;
  return {
    id: String(r.id),
    name: String(r.name ?? r.type ?? '?'),
    args: Array.isArray(r.args) ? r.args : [],
    kwargs: isObject(r.kwargs) ? r.kwargs : {},
    queue: String(delivery.routing_key ?? ''),
    worker: typeof r.hostname === 'string' ? r.hostname : hostname,
    state,
    startedAt: started,
  } satisfies TaskInfo;
}

/** Celery's Queue.as_dict(recurse=True) of a queue on Celery's default direct exchange. */
function queueInfo(name: string): Record<string, unknown> {
  return {
    name,
    exchange: { name, type: 'direct', arguments: null, durable: true, passive: false, auto_delete: false, delivery_mode: null, no_declare: false },
    routing_key: name,
    queue_arguments: null,
    binding_arguments: null,
    consumer_arguments: null,
    durable: true,
    exclusive: false,
    auto_delete: false,
    no_ack: false,
    alias: null,
    bindings: [],
    no_declare: null,
    expires: null,
    message_ttl: null,
    max_length: null,
    max_length_bytes: null,
    max_priority: null,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
