import type { Client } from '../runtime/client.js';
import type { TqConfig } from '../runtime/config.js';
import { callTask, pastEtaWarning } from '../runtime/call.js';
import { TaskFailedError } from '../runtime/errors.js';
import type { ProjectFlags } from './command-config.js';
import { parseJsonFlag, parsePositional, parseSeconds } from './parse-values.js';

/** `tq call`'s flags as parsed (by oclif in commands/call.ts, or by call-argv.ts on the fast path). */
export interface CallFlags extends ProjectFlags {
  args?: string;
  kwargs?: string;
  countdown?: string;
  eta?: string;
  expires?: string;
  queue?: string;
  priority?: number;
  'task-id'?: string;
  'time-limit'?: string;
  'soft-time-limit'?: string;
  wait?: boolean;
  timeout?: string;
  check: boolean;
  json?: boolean;
}

/** What `tq call` does once its command line is parsed; the caller supplies output and the client's lifetime. */
export interface CallIo {
  resolveConfig(flags: CallFlags): Promise<TqConfig>;
  openClient(config: TqConfig): Promise<Client>;
  log(text: string): void;
  logToStderr(text: string): void;
  /** Ends the command with exit 2 and oclif's error form (ARGS and --args both given). */
  refuse(message: string): never;
}

/**
 * Sends the task and prints its id, or with --wait its result. Both paths
 * run this, so `tq call` says the same thing with or without oclif.
 * `positional` is ARGS, after NAME.
 */
export async function runCall(name: string, positional: readonly string[], flags: CallFlags, io: CallIo): Promise<void> {
  const config = await io.resolveConfig(flags);
  const jsonArgs = parseJsonFlag('args', flags.args, 'array');
  if (jsonArgs && positional.length > 0) io.refuse('give arguments either positionally or with --args, not both');
  const expires = flags.expires === undefined ? undefined : /^[\d.]+$/.test(flags.expires) ? parseSeconds('expires', flags.expires) : flags.expires;
  const options = {
    args: jsonArgs ?? parsePositional(positional),
    kwargs: parseJsonFlag('kwargs', flags.kwargs, 'object'),
    countdown: parseSeconds('countdown', flags.countdown),
    eta: flags.eta,
    expires,
    queue: flags.queue,
    priority: flags.priority,
    taskId: flags['task-id'],
    timeLimit: parseSeconds('time-limit', flags['time-limit']),
    softTimeLimit: parseSeconds('soft-time-limit', flags['soft-time-limit']),
  };
  const client = await io.openClient(config);
  const result = await callTask(client, config, name, options, flags.check);
  const late = pastEtaWarning(flags.eta);
  if (late) io.logToStderr(`Warning: ${late}`);
  if (!flags.wait) {
    io.log(flags.json ? JSON.stringify({ id: result.id }) : result.id);
    return;
  }
  const timeout = parseSeconds('timeout', flags.timeout);
  try {
    const value = await result.get({ timeout: timeout === undefined ? undefined : timeout * 1000 });
    // Imported here: a call without --wait never renders a value.
    const { renderValue } = await import('../ui/result-view.js');
    io.log(flags.json ? JSON.stringify({ id: result.id, state: 'SUCCESS', result: value }) : renderValue(value));
  } catch (err) {
    if (flags.json && err instanceof TaskFailedError) io.log(JSON.stringify({ id: result.id, ...result.record }));
    throw err;
  }
}
