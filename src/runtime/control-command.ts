import type { Broker } from './brokers/broker.js';
import { broadcast, revokeTasks } from './broadcast.js';
import type { ControlCommand } from './cluster.js';
import { TqError } from './errors.js';
import type { InspectAnswer } from './inspect.js';

export const CONTROL_VERBS = ['revoke', 'rate_limit', 'time_limit', 'pool_grow', 'pool_shrink', 'add_consumer', 'cancel_consumer', 'shutdown', 'requeue-dead'] as const;
export type ControlVerb = (typeof CONTROL_VERBS)[number];

/** Turns `tq control VERB ARGS…` into a checked command and runs it. */
export async function runControl(broker: Broker, verb: ControlVerb, args: string[], options: { terminate?: boolean; destination?: string[]; timeoutMs?: number }): Promise<InspectAnswer> {
  if (verb === 'requeue-dead') {
    const n = await broker.requeueDead(args.length > 0 ? args : undefined);
    return [{ source: broker.displayUrl, ok: true, data: `re-queued ${n} dead letter(s)` }];
  }
  if (verb === 'revoke') {
    if (args.length === 0) throw new TqError('BAD_INPUT', 'revoke needs one or more task ids');
    const { removedFromQueue, replies } = await revokeTasks(broker, args, { terminate: options.terminate, timeoutMs: options.timeoutMs });
    return [
      { source: broker.displayUrl, ok: true, data: `stored ${args.length} revocation(s); removed ${removedFromQueue.length} waiting message(s)` },
      ...replies.map((r) => ({ source: r.hostname, ok: r.ok, data: r.data })),
    ];
  }
  const replies = await broadcast(broker, toCommand(verb, args), options);
  return replies.map((r) => ({ source: r.hostname, ok: r.ok, data: r.data }));
}

function toCommand(verb: Exclude<ControlVerb, 'revoke' | 'requeue-dead'>, args: string[]): ControlCommand {
  const need = (n: number, usage: string) => {
    if (args.length !== n) throw new TqError('BAD_INPUT', `usage: tq control ${verb} ${usage}`);
  };
  switch (verb) {
    case 'rate_limit':
      need(2, 'TASK RATE   (e.g. 10/s, 100/m; 0 removes the limit)');
      return { verb, task: args[0]!, rate: args[1]! };
    case 'time_limit':
      need(3, 'TASK SOFT HARD   (seconds; 0 removes a limit)');
      return { verb, task: args[0]!, soft: number(args[1]!), hard: number(args[2]!) };
    case 'pool_grow':
    case 'pool_shrink':
      need(1, 'N');
      return { verb, n: number(args[0]!) };
    case 'add_consumer':
    case 'cancel_consumer':
      need(1, 'QUEUE');
      return { verb, queue: args[0]! };
    case 'shutdown':
      need(0, '');
      return { verb };
  }
}

function number(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new TqError('BAD_INPUT', `expected a number, got '${raw}'`);
  return n;
}
