import type { Client, SendOptions } from './client.js';
import type { TqConfig } from './config.js';
import { suggestNames } from './discovery.js';
import { knownTaskNames } from './task-names.js';
import { TqError } from './errors.js';
import type { AsyncResult } from './result.js';

/**
 * Sends a task by name after checking that the tasks directory defines it, so
 * a typo fails at the caller instead of dead-lettering on a worker.
 */
export async function callTask(client: Client, config: TqConfig, name: string, options: SendOptions, check: boolean): Promise<AsyncResult> {
  if (check) {
    const names = await knownTaskNames(config);
    if (!names.includes(name)) {
      const close = suggestNames(name, names);
      throw new TqError('UNKNOWN_TASK', `unknown task '${name}' (not found in ${config.tasksDir})`, {
        hint: close.length > 0 ? `did you mean ${close.map((n) => `'${n}'`).join(' or ')}? (--no-check sends it anyway)` : `known tasks: ${names.join(', ') || 'none'}; --no-check sends it anyway`,
      });
    }
  }
  return client.sendTask(name, options);
}

/**
 * What `tq call` says before sending: an eta that has already passed is
 * allowed (the task runs at once, as a countdown of 0 would), but is most
 * likely a mistake, such as a time zone left off. (An expiry in the past is
 * refused by the client: that task could never run.)
 */
export function pastEtaWarning(eta: string | undefined, now = Date.now()): string | undefined {
  if (eta === undefined) return undefined;
  const at = Date.parse(eta);
  if (Number.isNaN(at) || at > now) return undefined;
  return `eta ${new Date(at).toISOString()} is in the past: the task runs at once`;
}
