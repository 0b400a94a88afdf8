import { purgeQueues } from '../purge.js';
import { revokeTasks } from '../revoke.js';
import type { Client } from '../client.js';
import { TqError } from '../errors.js';
import type { TaskView } from './cluster-state.js';

/**
 * What an operator can do from `tq top`; each returns one line to show.
 * They go through the same runtime calls as `tq control` and `tq purge`.
 */
export interface MonitorActions {
  revoke(task: TaskView): Promise<string>;
  terminate(task: TaskView): Promise<string>;
  retry(task: TaskView): Promise<string>;
  purge(queue: string): Promise<string>;
}

export function monitorActions(client: Client, afterChange: (id: string) => Promise<void> = async () => {}): MonitorActions {
  const revoke = async (task: TaskView, terminate: boolean) => {
    const { removedFromQueue, replies } = await revokeTasks(client.stores, [task.id], { terminate });
    await afterChange(task.id);
    if (removedFromQueue.length > 0) return `revoked ${task.id} (removed from its queue)`;
    const held = replies.filter((r) => r.ok && ((r.data as { revoked?: string[] })?.revoked ?? []).includes(task.id)).map((r) => r.hostname);
    const where = held.length > 0 ? ` on ${held.join(', ')}` : '';
    return terminate ? `terminating ${task.id}${where}` : `revoked ${task.id}${where} (a running task finishes; t terminates it)`;
  };
  return {
    revoke: (task) => revoke(task, false),
    terminate: (task) => revoke(task, true),
    async retry(task) {
      if (task.state !== 'FAILURE' && task.state !== 'REVOKED') throw new TqError('BAD_INPUT', `only a failed or revoked task can be retried (this one is ${task.state})`);
      if (!task.args) throw new TqError('BAD_INPUT', `the arguments of ${task.id} are not known here (no task-received event seen)`);
      const sent = await client.sendTask(task.name, { args: task.args, kwargs: task.kwargs ?? {}, queue: task.queue });
      return `sent ${task.name} again as ${sent.id}`;
    },
    async purge(queue) {
      const removed = await purgeQueues(client.stores, [queue]);
      return `purged ${removed[queue] ?? 0} waiting message(s) from ${queue}`;
    },
  };
}
