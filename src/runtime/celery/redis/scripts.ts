import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { TqError } from '../../errors.js';

/**
 * The typed loader for the kombu-layout Lua scripts in ./lua (one file per
 * atomic step; ./lua/includes pulled in by `--@include NAME`). Unlike tq's
 * own scripts these declare every key they touch (KEYS), as kombu's keys are
 * named by the deployment, not derived from one prefix.
 */
export type Arg = string | number;

interface Replies {
  take: (string | number)[];
  ack: number[];
  retry: number;
  release: number;
  'dead-letter': number;
  extend: number[];
  restore: [number, number, number];
  'remove-waiting': string[];
  purge: (string | number)[];
  'requeue-dead': number;
  'store-meta': number;
}

export type KombuScriptName = keyof Replies;
export type KombuScripts = { [K in KombuScriptName]: (keys: readonly string[], args: readonly Arg[]) => Promise<Replies[K]> };

const NAMES: readonly KombuScriptName[] = ['take', 'ack', 'retry', 'release', 'dead-letter', 'extend', 'restore', 'remove-waiting', 'purge', 'requeue-dead', 'store-meta'];

export function bindKombuScripts(redis: Redis): KombuScripts {
  const out = {} as Record<KombuScriptName, (keys: readonly string[], args: readonly Arg[]) => Promise<unknown>>;
  for (const name of NAMES) {
    const command = `tq_kombu_${name.replace(/-/g, '_')}`;
    redis.defineCommand(command, { lua: source(name) });
    const run = (redis as unknown as Record<string, (...args: Arg[]) => Promise<unknown>>)[command]!;
    out[name] = (keys, args) => run.call(redis, keys.length, ...keys, ...args);
  }
  return out as KombuScripts;
}

const cache = new Map<string, string>();

function source(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    const seen = new Set<string>();
    text = read(`${name}.lua`).replace(/^--@include (\S+)\s*$/gm, (_l, inc: string) => (seen.has(inc) ? '' : (seen.add(inc), read(`includes/${inc}.lua`))));
    cache.set(name, text);
  }
  return text;
}

function read(file: string): string {
  const url = new URL(`./lua/${file}`, import.meta.url);
  try {
    return readFileSync(url, 'utf8');
  } catch (err) {
    throw new TqError('CONFIG', `cannot read the Redis script ${url.pathname}: ${(err as Error).message}`, { userError: false, cause: err });
  }
}
