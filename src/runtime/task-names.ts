import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TqConfig } from './config.js';
import { discoverTasks, listTaskFiles } from './discovery.js';

/**
 * The task names the tasks directory defines, for `tq call`'s check. Loading
 * every task file (through the TypeScript loader) costs a CLI call more than
 * everything else it does, so the names are cached in `.tq/task-names.json`,
 * keyed by each task file's path, size and modification time: any edit to a
 * task file, or a file added or removed, reloads them.
 */
export async function knownTaskNames(config: Pick<TqConfig, 'tasksDir' | 'projectRoot'>): Promise<string[]> {
  if (!existsSync(config.tasksDir)) return (await discoverTasks(config)).names(); // discovery explains the error
  const root = realpathSync(config.tasksDir);
  const signature = fingerprint(listTaskFiles(root, root));
  const cacheFile = join(config.projectRoot, '.tq', 'task-names.json');
  const cached = readCache(cacheFile);
  if (cached && cached.root === root && cached.signature === signature) return cached.names;
  const names = (await discoverTasks(config)).names();
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify({ root, signature, names }));
  } catch {
    // a read-only project only loses the speed-up
  }
  return names;
}

function fingerprint(files: string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    const s = statSync(file);
    hash.update(`${file}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

function readCache(file: string): { root: string; signature: string; names: string[] } | null {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(value?.names) && typeof value.signature === 'string' ? value : null;
  } catch {
    return null;
  }
}
