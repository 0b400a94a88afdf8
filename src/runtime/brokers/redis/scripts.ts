import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { TqError } from '../../errors.js';

/**
 * The typed loader for the Lua scripts in ./lua: one file per atomic operation,
 * shared snippets in ./lua/includes pulled in by `--@include NAME` lines.
 * Sources are read once per process; ioredis `defineCommand` runs them by SHA
 * (EVAL once per connection, then EVALSHA, and EVAL again on NOSCRIPT, e.g.
 * after a Redis restart emptied the script cache).
 */
export type Arg = string | number;
/** A flat Lua array reply: strings and integers. */
export type FlatReply = (string | number)[];

/** Each script's reply, as its header documents it. */
interface Replies {
  enqueue: string[];
  'enqueue-unique': number;
  reserve: FlatReply;
  finish: FlatReply;
  retry: number;
  release: number;
  'dead-letter': number;
  'extend-leases': number[];
  'update-progress': number;
  'store-result': number;
  'rate-slot': [number, number];
  'get-state': string[];
  purge: FlatReply;
  'mark-pending': string[];
  'remove-waiting': string[];
  'canvas-step': string;
  'join-chord': string[];
  'peek-ready': FlatReply;
  stats: FlatReply;
  revoke: string[];
  'list-scheduled': FlatReply;
  'list-dead': string[];
  'requeue-dead': number;
  'append-events': string;
}

export type ScriptName = keyof Replies;
export type Scripts = { [K in ScriptName]: (args: readonly Arg[]) => Promise<Replies[K]> };

const SCRIPT_NAMES: readonly ScriptName[] = [
  'enqueue',
  'enqueue-unique',
  'reserve',
  'finish',
  'retry',
  'release',
  'dead-letter',
  'extend-leases',
  'update-progress',
  'store-result',
  'rate-slot',
  'get-state',
  'purge',
  'mark-pending',
  'remove-waiting',
  'canvas-step',
  'join-chord',
  'peek-ready',
  'stats',
  'revoke',
  'list-scheduled',
  'list-dead',
  'requeue-dead',
  'append-events',
];

const sources = new Map<ScriptName, string>();

/** The script's full source with its includes expanded (each include once). */
export function luaSource(name: ScriptName): string {
  let source = sources.get(name);
  if (source === undefined) {
    source = expandIncludes(readLua(`${name}.lua`), new Set());
    sources.set(name, source);
  }
  return source;
}

/** Defines every script on `redis` and returns typed callers. */
export function bindScripts(redis: Redis): Scripts {
  const scripts = {} as Record<ScriptName, (args: readonly Arg[]) => Promise<unknown>>;
  for (const name of SCRIPT_NAMES) {
    const command = `tq_${name.replace(/-/g, '_')}`;
    redis.defineCommand(command, { numberOfKeys: 0, lua: luaSource(name) });
    const run = (redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>)[command]!;
    scripts[name] = (args) => run.apply(redis, args as Arg[]);
  }
  return scripts as Scripts;
}

function expandIncludes(source: string, seen: Set<string>): string {
  return source.replace(/^--@include (\S+)\s*$/gm, (_line, include: string) => {
    if (seen.has(include)) return '';
    seen.add(include);
    return expandIncludes(readLua(`includes/${include}.lua`), seen);
  });
}

function readLua(file: string): string {
  const url = new URL(`./lua/${file}`, import.meta.url);
  try {
    return readFileSync(url, 'utf8');
  } catch (err) {
    // Only a broken install gets here: the build copies src/**/*.lua next to the JS.
    throw new TqError('CONFIG', `cannot read the Redis script ${url.pathname}: ${(err as Error).message}`, {
      userError: false,
      cause: err,
    });
  }
}
