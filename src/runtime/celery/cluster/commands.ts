import type { ControlCommand } from '../../cluster.js';

/** A Celery control call: the `method` and `arguments` of a pidbox message (celery/worker/control.py). */
export interface CeleryCall {
  method: string;
  arguments: Record<string, unknown>;
}

/** What tq sends for each of its verbs; Python workers answer these as `celery inspect` / `celery control` would ask. */
export function toCeleryCall(command: ControlCommand): CeleryCall {
  switch (command.verb) {
    case 'query_task':
      return { method: 'query_task', arguments: { ids: command.ids } };
    case 'revoke':
      return { method: 'revoke', arguments: { task_id: command.ids, terminate: command.terminate, signal: null } };
    case 'rate_limit':
      return { method: 'rate_limit', arguments: { task_name: command.task, rate_limit: command.rate } };
    case 'time_limit':
      return { method: 'time_limit', arguments: { task_name: command.task, soft: command.soft, hard: command.hard } };
    case 'pool_grow':
    case 'pool_shrink':
      return { method: command.verb, arguments: { n: command.n } };
    case 'add_consumer':
    case 'cancel_consumer':
      return { method: command.verb, arguments: { queue: command.queue } };
    default:
      return { method: command.verb, arguments: {} };
  }
}

/** Celery's names for the verbs that take no arguments, with the aliases Celery registers for them. */
const PLAIN: Record<string, ControlCommand['verb']> = {
  ping: 'ping',
  active: 'active',
  dump_active: 'active',
  reserved: 'reserved',
  dump_reserved: 'reserved',
  scheduled: 'scheduled',
  dump_schedule: 'scheduled',
  registered: 'registered',
  dump_tasks: 'registered',
  stats: 'stats',
  revoked: 'revoked',
  dump_revoked: 'revoked',
  active_queues: 'active_queues',
  shutdown: 'shutdown',
  // A starting Celery worker's mingle asks for the revoked ids (see pidbox-server.ts helloReply).
  hello: 'revoked',
};

/**
 * The tq command a Celery call asks for, or null when tq has none for it
 * (conf, report, autoscale, pool_restart, enable_events, …). Arguments are
 * shaped here; the responder checks their values as it does for tq's own requests.
 */
export function fromCeleryCall(call: CeleryCall): ControlCommand | null {
  const a = call.arguments;
  const plain = PLAIN[call.method];
  if (plain) return { verb: plain } as ControlCommand;
  switch (call.method) {
    case 'query_task':
      return { verb: 'query_task', ids: list(a.ids) };
    case 'revoke':
      return { verb: 'revoke', ids: list(a.task_id), terminate: a.terminate === true };
    case 'terminate':
      return { verb: 'revoke', ids: list(a.task_id), terminate: true };
    case 'rate_limit':
      // Celery takes '10/m', 10 (per second) or a false value (no limit); tq's '0' is "no limit".
      return { verb: 'rate_limit', task: a.task_name as string, rate: !a.rate_limit ? '0' : String(a.rate_limit) };
    case 'time_limit':
      return { verb: 'time_limit', task: a.task_name as string, soft: numberOrNull(a.soft), hard: numberOrNull(a.hard) };
    case 'pool_grow':
    case 'pool_shrink':
      return { verb: call.method, n: a.n === undefined ? 1 : Number(a.n) };
    case 'add_consumer':
    case 'cancel_consumer':
      return { verb: call.method, queue: a.queue as string };
    default:
      return null;
  }
}

/** Celery's maybe_list: one id or a list of them. */
function list(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as string[];
}

function numberOrNull(value: unknown): number | null {
  return value === undefined || value === null ? null : (value as number);
}
