import type { Stores } from './brokers/index.js';
import { broadcast } from './broadcast.js';
import { revokeTasks } from './revoke.js';
import { brokerQueues } from './queue-stats.js';
import type { ControlCommand } from './cluster.js';
import { TqError } from './errors.js';
import type { InspectAnswer } from './inspect.js';
import { parseRateLimit } from './worker/policy.js';

export const CONTROL_VERBS = ['revoke', 'rate_limit', 'time_limit', 'pool_grow', 'pool_shrink', 'add_consumer', 'cancel_consumer', 'shutdown', 'requeue-dead'] as const;
export type ControlVerb = (typeof CONTROL_VERBS)[number];

/**
 * How long `tq control VERB` waits for replies when no --timeout is given:
 * long enough for the work the verb asks for. Growing a prefork or threads
 * pool starts children that each load the tasks (seconds on a busy machine);
 * a worker answers shutdown at once, but only after any control command it is
 * still carrying out. The wait ends as soon as every expected worker answered,
 * so a long one costs nothing unless a worker stays silent.
 */
export function controlTimeoutMs(verb: ControlVerb): number {
  switch (verb) {
    case 'pool_grow':
    case 'pool_shrink':
      return 30_000;
    case 'shutdown':
      return 10_000;
    default:
      return 5_000;
  }
}

/** A checked `tq control` request: for the broker alone, or a command for the workers. */
export type ControlRequestPlan =
  | { verb: 'requeue-dead'; ids: string[] }
  | { verb: 'revoke'; ids: string[] }
  | { verb: Exclude<ControlVerb, 'revoke' | 'requeue-dead'>; command: ControlCommand };

/**
 * Checks `tq control VERB ARGS…` as the worker would (the same rate parser,
 * name rules and ranges) and throws BAD_INPUT with the usage, so a bad
 * argument is refused here, before a broker is even opened. Task names are
 * only checked for form: which tasks exist is for each worker to say (the
 * machine that sends the command may not have the tasks directory).
 */
export function parseControl(verb: ControlVerb, args: string[]): ControlRequestPlan {
  if (verb === 'requeue-dead') return { verb, ids: args };
  if (verb === 'revoke') {
    if (args.length === 0) throw usage(verb, 'ID…');
    for (const id of args) if (id.length > MAX_ID_LENGTH) throw new TqError('BAD_INPUT', `revoke: a task id is at most ${MAX_ID_LENGTH} characters, got ${id.length}`);
    return { verb, ids: args };
  }
  return { verb, command: toCommand(verb, args) };
}

/** Runs a checked request. Workers that were expected and did not answer come back as `noReply` answers. */
export async function runControl(stores: Stores, plan: ControlRequestPlan, options: { terminate?: boolean; destination?: string[]; timeoutMs?: number }): Promise<InspectAnswer> {
  const timeoutMs = options.timeoutMs ?? controlTimeoutMs(plan.verb);
  if (plan.verb === 'requeue-dead') {
    const n = await stores.broker.requeueDead(plan.ids.length > 0 ? plan.ids : undefined, await brokerQueues(stores));
    return [{ source: stores.broker.displayUrl, ok: true, data: `re-queued ${n} dead letter(s)` }];
  }
  if (plan.verb === 'revoke') {
    const { removedFromQueue, replies } = await revokeTasks(stores, plan.ids, { terminate: options.terminate, timeoutMs });
    return [
      { source: stores.backend.displayUrl, ok: true, data: `stored ${plan.ids.length} revocation(s); removed ${removedFromQueue.length} waiting message(s)` },
      ...replies.map((r) => ({ source: r.hostname, ok: r.ok, data: r.data, noReply: r.noReply })),
    ];
  }
  const replies = await broadcast(stores.backend, plan.command, { destination: options.destination, timeoutMs });
  return replies.map((r) => ({ source: r.hostname, ok: r.ok, data: r.data, noReply: r.noReply }));
}

// The rules the worker applies too (task names: message.ts; queues, ids and counts: control/responder.ts).
const TASK_NAME = /^[\w.:-]{1,200}$/;
const QUEUE_NAME = /^[\w.:-]{1,100}$/;
const MAX_ID_LENGTH = 200;
const MAX_POOL_STEP = 1000;

const USAGE: Record<Exclude<ControlVerb, 'revoke' | 'requeue-dead'>, string> = {
  rate_limit: 'TASK RATE   (RATE: N/s, N/m or N/h, e.g. 10/s; 0 removes the limit)',
  time_limit: 'TASK SOFT HARD   (seconds; 0 removes that limit; SOFT at most HARD)',
  pool_grow: 'N   (a whole number from 1 to 1000)',
  pool_shrink: 'N   (a whole number from 1 to 1000)',
  add_consumer: 'QUEUE',
  cancel_consumer: 'QUEUE',
  shutdown: '',
};

function usage(verb: ControlVerb, text: string): TqError {
  return new TqError('BAD_INPUT', `usage: tq control ${verb} ${text}`.trimEnd());
}

function toCommand(verb: Exclude<ControlVerb, 'revoke' | 'requeue-dead'>, args: string[]): ControlCommand {
  if (args.length !== (verb === 'shutdown' ? 0 : verb === 'rate_limit' ? 2 : verb === 'time_limit' ? 3 : 1)) throw usage(verb, USAGE[verb]);
  const bad = (message: string) => new TqError('BAD_INPUT', `${verb}: ${message}`, { hint: `usage: tq control ${verb} ${USAGE[verb]}` });
  switch (verb) {
    case 'rate_limit': {
      const [task, rate] = [taskName(args[0]!, bad), args[1]!.trim()];
      if (rate !== '0') {
        try {
          parseRateLimit(rate); // the worker's own parser: what passes here passes there
        } catch (err) {
          throw bad((err as Error).message);
        }
      }
      return { verb, task, rate };
    }
    case 'time_limit': {
      const task = taskName(args[0]!, bad);
      const [soft, hard] = [seconds(args[1]!, 'SOFT', bad), seconds(args[2]!, 'HARD', bad)];
      if (soft > 0 && hard > 0 && soft > hard) throw bad(`the soft limit (${soft} s) is past the hard limit (${hard} s), so it could never fire`);
      return { verb, task, soft, hard };
    }
    case 'pool_grow':
    case 'pool_shrink': {
      const n = Number(args[0]);
      if (!/^\d+$/.test(args[0]!) || n < 1 || n > MAX_POOL_STEP) throw bad(`N must be a whole number from 1 to ${MAX_POOL_STEP}, got '${args[0]}'`);
      return { verb, n };
    }
    case 'add_consumer':
    case 'cancel_consumer':
      if (!QUEUE_NAME.test(args[0]!)) throw bad(`'${args[0]}' is not a queue name (letters, digits, _ . : -; at most 100)`);
      return { verb, queue: args[0]! };
    case 'shutdown':
      return { verb };
  }
}

function taskName(raw: string, bad: (m: string) => TqError): string {
  if (!TASK_NAME.test(raw)) throw bad(`'${raw}' is not a task name (letters, digits, _ . : -; at most 200)`);
  return raw;
}

function seconds(raw: string, what: string, bad: (m: string) => TqError): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw bad(`${what} must be a number of seconds ≥ 0, got '${raw}'`);
  return n;
}
