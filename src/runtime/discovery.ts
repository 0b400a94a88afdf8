import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import type { TqConfig } from './config.js';
import { TqError } from './errors.js';
import { isTask, type Task } from './task.js';
import { builtinTasks } from './canvas/builtins.js';
import { importTypeScript } from './ts-loader.js';

// suggestNames moved to suggest.ts (config uses it too); kept importable from here for its callers.
export { suggestNames } from './suggest.js';

export interface RegisteredTask {
  name: string;
  task: Task;
  /** The file it was found in, relative to the project root. */
  file: string;
}

/** The tasks a worker (or `tq call`'s check) knows, by name. */
export class TaskRegistry {
  private readonly byName = new Map<string, RegisteredTask>();
  /** tq's own tasks (canvas/builtins.ts): found by get(), never listed. */
  private readonly builtins = new Map(builtinTasks(this).map((b) => [b.name, { ...b, file: '(built in)' }]));

  add(entry: RegisteredTask): void {
    const existing = this.byName.get(entry.name);
    if (existing) {
      throw new TqError('DISCOVERY', `two tasks are named '${entry.name}': in ${existing.file} and in ${entry.file}`, {
        hint: "rename one, or give it another name: task(fn, { name: '…' })",
      });
    }
    this.byName.set(entry.name, entry);
  }

  get(name: string): RegisteredTask | undefined {
    return this.byName.get(name) ?? this.builtins.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  entries(): RegisteredTask[] {
    return this.names().map((n) => this.byName.get(n)!);
  }
}

const TASK_FILE = /^[^.].*\.(ts|mts|js|mjs)$/;

/**
 * Loads every task file under the tasks directory and registers each exported
 * task. Only files inside the directory are loaded: links that resolve outside
 * it are refused, and nothing a message says can add a module.
 */
export async function discoverTasks(config: Pick<TqConfig, 'tasksDir' | 'projectRoot'>): Promise<TaskRegistry> {
  const dir = config.tasksDir;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TqError('DISCOVERY', `tasks directory not found: ${dir}`, {
      hint: 'create it and put task files in it, or point --tasks at the right directory',
    });
  }
  const root = realpathSync(dir);
  const registry = new TaskRegistry();
  for (const file of listTaskFiles(root, root)) {
    const shown = relative(config.projectRoot, file) || file;
    let mod: Record<string, unknown>;
    try {
      mod = await importTypeScript(file);
    } catch (err) {
      throw new TqError('DISCOVERY', `task file ${shown} failed to load: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    for (const [exportName, value] of Object.entries(mod)) {
      if (!isTask(value)) continue;
      value.bindName(exportName === 'default' ? basename(file).replace(/\.[^.]+$/, '') : exportName);
      registry.add({ name: value.name!, task: value, file: shown });
    }
  }
  return registry;
}

/** Task files under `dir`, sorted; refuses links that lead out of `root`. */
export function listTaskFiles(dir: string, root: string): string[] {
  const files: string[] = [];
  // By code point, not localeCompare: its first call loads ICU's collator, about 15 ms of CPU on every `tq call`.
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    const real = realpathSync(path);
    if (real !== root && !real.startsWith(root + sep)) {
      throw new TqError('DISCOVERY', `${path} links outside the tasks directory (${real}); refusing to load it`);
    }
    const stat = statSync(real);
    if (stat.isDirectory()) files.push(...listTaskFiles(real, root));
    else if (TASK_FILE.test(entry.name) && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.d.mts')) files.push(real);
  }
  return files;
}
