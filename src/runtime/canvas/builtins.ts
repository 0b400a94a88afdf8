import { TqError } from '../errors.js';
import { task, type Task } from '../task.js';

/** The registry the built-ins look tasks up in (the worker's own; nothing outside it is ever run). */
export interface TaskLookup {
  get(name: string): { task: Task } | undefined;
}

/**
 * tq's own tasks, registered on every worker beside the user's (and not
 * listed with them): `tq.map` runs a registered task on each item of a list,
 * `tq.starmap` on each argument list, in order, in one worker (map, starmap,
 * chunks). They look the task up in the worker's registry, by the name the
 * message gives, like any task name: no module is ever loaded by name.
 */
export function builtinTasks(registry: TaskLookup): { name: string; task: Task }[] {
  const lookup = (name: unknown): Task => {
    const found = typeof name === 'string' ? registry.get(name) : undefined;
    if (!found) throw new TqError('UNKNOWN_TASK', `map over '${String(name).slice(0, 200)}': no such task on this worker`);
    return found.task;
  };
  const map = task(async (name: string, items: unknown[]) => {
    const t = lookup(name);
    const out: unknown[] = [];
    for (const item of items) out.push(await t.fn(item));
    return out;
  }, { name: 'tq.map' });
  const starmap = task(async (name: string, items: unknown[][]) => {
    const t = lookup(name);
    const out: unknown[] = [];
    for (const args of items) out.push(await t.fn(...(Array.isArray(args) ? args : [args])));
    return out;
  }, { name: 'tq.starmap' });
  return [
    { name: 'tq.map', task: map },
    { name: 'tq.starmap', task: starmap },
  ];
}
