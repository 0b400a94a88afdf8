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
