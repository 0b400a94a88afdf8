import type { ControlCommand, TaskInfo } from '../cluster.js';
import { TqError } from '../errors.js';
import { peekMessage } from '../message.js';
import { parseRateLimit } from '../worker/policy.js';
import type { Held } from '../worker/held.js';
import type { Worker } from '../worker/worker.js';
import { heartbeatOf, type HeartbeatSource } from './heartbeat.js';


/**
 * Answers one remote-control command on this worker. Only the fixed set of
 * verbs in ControlCommand exists; arguments are checked here, and nothing is
 * ever looked up or run by a name a request gives, except task names in the
 * worker's own registry.
 */
export async function answer(command: ControlCommand, source: HeartbeatSource & { requestShutdown(): void }): Promise<unknown> {
  const { worker, hostname } = source;
  const info = (h: Held, state: TaskInfo['state']): TaskInfo => describe(h, state, hostname);
  switch (command.verb) {
    case 'ping':
      return 'pong';
    case 'active':
      return [...worker.active.values()].filter((h) => h.message).map((h) => info(h, 'active'));
    case 'reserved':
      return worker.buffer.map((h) => info(h, 'reserved'));
    case 'scheduled':
      return []; // delayed messages wait in the broker, never in a worker; `tq inspect scheduled` asks the broker
    case 'registered':
      return worker.registry.names();
    case 'stats':
      return { ...heartbeatOf(source, 'online'), counters: worker.counters, prefetched: worker.buffer.length };
    case 'revoked':
      return [...worker.revoked];
    case 'active_queues':
      return [...worker.queues];
    case 'query_task': {
      const ids = new Set(strings(command.ids, 'ids'));
      return [...[...worker.active.values()].map((h) => info(h, 'active')), ...worker.buffer.map((h) => info(h, 'reserved'))].filter((t) => ids.has(t.id));
    }
    case 'revoke':
      return { revoked: worker.revoke(strings(command.ids, 'ids'), command.terminate === true, 'revoked by request') };
    case 'rate_limit': {
      const task = knownTask(worker, command.task);
      if (command.rate !== '0') parseRateLimit(command.rate);
      worker.overrides.set(task, { ...worker.overrides.get(task), rateLimit: command.rate });
      return { task, rate: command.rate };
    }
    case 'time_limit': {
      const task = knownTask(worker, command.task);
      worker.overrides.set(task, { ...worker.overrides.get(task), softTimeLimit: seconds(command.soft), timeLimit: seconds(command.hard) });
      return { task, soft: command.soft, hard: command.hard };
    }
    case 'pool_grow':
      return { size: await worker.pool.resize(worker.pool.size + count(command.n)) };
    case 'pool_shrink':
      return { size: await worker.pool.resize(worker.pool.size - count(command.n)) };
    case 'add_consumer':
      if (!worker.queues.includes(queueName(command.queue))) worker.queues.push(command.queue);
      return { queues: [...worker.queues] };
    case 'cancel_consumer': {
      const index = worker.queues.indexOf(queueName(command.queue));
      if (index !== -1 && worker.queues.length === 1) throw new TqError('BAD_INPUT', 'cannot cancel the last queue; shut the worker down instead');
      if (index !== -1) worker.queues.splice(index, 1);
      return { queues: [...worker.queues] };
    }
    case 'shutdown':
      source.requestShutdown();
      return 'shutting down';
    default:
      throw new TqError('BAD_INPUT', `unknown control command '${(command as { verb: unknown }).verb}'`);
  }
}

function describe(h: Held, state: TaskInfo['state'], hostname: string): TaskInfo {
  // Not started yet means not decoded yet: read what can be shown, without trusting it.
  const m = h.message ?? peekMessage(h.reservation.body);
  return {
    id: h.reservation.id,
    name: m.task || '?',
    args: m.args,
    kwargs: m.kwargs,
    queue: h.reservation.queue,
    worker: hostname,
    state,
    startedAt: h.startedAt ? new Date(h.startedAt).toISOString() : undefined,
  };
}

function strings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length <= 200)) throw new TqError('BAD_INPUT', `${what} must be a list of ids`);
  return value;
}

function knownTask(worker: Worker, name: unknown): string {
  if (typeof name !== 'string' || !worker.registry.get(name)) throw new TqError('UNKNOWN_TASK', `no task '${String(name)}' on this worker`);
  return name;
}

function queueName(queue: unknown): string {
  if (typeof queue !== 'string' || !/^[\w.:-]{1,100}$/.test(queue)) throw new TqError('BAD_INPUT', 'queue must be a queue name');
  return queue;
}

function count(n: unknown): number {
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 1000) throw new TqError('BAD_INPUT', 'n must be a whole number from 1 to 1000');
  return n as number;
}

function seconds(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TqError('BAD_INPUT', 'time limits are seconds ≥ 0, or null');
  return value;
}
