import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TqError } from './errors.js';
import { importTypeScript } from './ts-loader.js';

/** How a periodic entry is declared, in `tq.config.ts` (`beat`) or on a task (`schedule`). */
export interface ScheduleSpec {
  /** cron expression: 5 fields, or 6 with seconds first. Exactly one of cron/every. */
  cron?: string;
  /** an interval: '30s', '5m', '2h', '1d', or milliseconds. */
  every?: string | number;
  /** IANA timezone for cron; defaults to `beatTimezone`. */
  tz?: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  queue?: string;
  priority?: number;
  /** seconds or ms string ('30s') after which a sent tick is stale; default: the interval. */
  expires?: string | number;
  /** what to send for ticks missed while no beat ran. */
  catchUp?: 'none' | 'latest' | { all: number };
}

export interface BeatEntrySpec extends ScheduleSpec {
  task: string;
}

export type PoolName = 'solo' | 'async' | 'threads' | 'prefork';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RedisTlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}

/** The one resolved configuration object; frozen, passed down, never re-read. */
export interface TqConfig {
  readonly projectRoot: string;
  readonly brokerUrl: string;
  readonly tasksDir: string;
  readonly defaultQueue: string;
  readonly resultExpiresMs: number;
  readonly maxMessageBytes: number;
  readonly leaseMs: number;
  readonly keyPrefix: string;
  readonly redisTls: RedisTlsOptions;
  readonly worker: {
    readonly pool: PoolName;
    readonly maxTasksPerChild?: number;
    /** KiB of resident memory after which a thread/child is replaced. */
    readonly maxMemoryPerChild?: number;
    /** Seconds a warm shutdown waits for running tasks before going cold. */
    readonly softShutdownTimeout?: number;
    /** Unset: 1 for solo, 10 for async, the number of CPUs for threads and prefork. */
    readonly concurrency?: number;
    readonly queues: readonly string[];
    readonly hostname?: string;
    readonly loglevel: LogLevel;
    readonly prefetchMultiplier: number;
  };
  /** Task and worker events in the broker's stream (for tq events / tq top). */
  readonly events: boolean;
  readonly beat: Readonly<Record<string, BeatEntrySpec>>;
  readonly beatTimezone: string;
  /** Where the config file was found, if any (shown in banners). */
  readonly configFile?: string;
  /** What the environment says about the terminal: NO_COLOR set, running under CI. */
  readonly terminal: { readonly noColor: boolean; readonly ci: boolean };
}

/** What a config file, the environment or flags may set: everything optional. */
export type TqConfigInput = Partial<Omit<TqConfig, 'worker' | 'projectRoot' | 'configFile' | 'terminal'>> & {
  worker?: Partial<TqConfig['worker']>;
};

export interface ResolveConfigOptions {
  cwd?: string;
  /** Highest precedence: what the CLI flags said. */
  overrides?: TqConfigInput;
  /** The environment to read `TQ_*` from; the only reader of process.env. */
  env?: NodeJS.ProcessEnv;
  /** Path of a config file; default: the first of tq.config.{ts,mts,js,mjs,json} found. */
  configFile?: string;
}

const CONFIG_FILE_NAMES = ['tq.config.ts', 'tq.config.mts', 'tq.config.js', 'tq.config.mjs', 'tq.config.json'];

/** The message size limit unless configured (maxMessageBytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

export const DEFAULTS = {
  brokerUrl: 'sqlite://.tq/tq.db',
  tasksDir: 'tasks',
  defaultQueue: 'default',
  resultExpiresMs: 24 * 60 * 60 * 1000,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  leaseMs: 30_000,
  keyPrefix: 'tq:',
  beatTimezone: 'UTC',
  worker: { pool: 'prefork' as PoolName, queues: ['default'], loglevel: 'info' as LogLevel, prefetchMultiplier: 1 },
};

/** Defaults → config file → `TQ_*` environment → flags; resolved once, frozen. */
export async function resolveConfig(options: ResolveConfigOptions = {}): Promise<TqConfig> {
  const env = options.env ?? process.env;
  const projectRoot = resolve(options.cwd ?? env.TQ_PROJECT_ROOT ?? process.cwd());
  const configFile = findConfigFile(projectRoot, options.configFile ?? env.TQ_CONFIG);
  const fromFile = configFile ? await loadConfigFile(configFile) : {};
  const fromEnv = readEnv(env);
  const layers = [fromFile, fromEnv, options.overrides ?? {}];

  const merged: TqConfigInput = {};
  const worker: Partial<TqConfig['worker']> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (key === 'worker') Object.assign(worker, dropUndefined(value as object));
      else (merged as Record<string, unknown>)[key] = value;
    }
  }
  const config: TqConfig = {
    projectRoot,
    configFile,
    brokerUrl: merged.brokerUrl ?? DEFAULTS.brokerUrl,
    tasksDir: resolve(projectRoot, merged.tasksDir ?? DEFAULTS.tasksDir),
    defaultQueue: merged.defaultQueue ?? DEFAULTS.defaultQueue,
    resultExpiresMs: positive('resultExpiresMs', merged.resultExpiresMs ?? DEFAULTS.resultExpiresMs),
    maxMessageBytes: positive('maxMessageBytes', merged.maxMessageBytes ?? DEFAULTS.maxMessageBytes),
    leaseMs: positive('leaseMs', merged.leaseMs ?? DEFAULTS.leaseMs),
    keyPrefix: merged.keyPrefix ?? DEFAULTS.keyPrefix,
    redisTls: merged.redisTls ?? {},
    worker: {
      ...DEFAULTS.worker,
      ...worker,
      queues: worker.queues && worker.queues.length > 0 ? worker.queues : [merged.defaultQueue ?? DEFAULTS.defaultQueue],
    },
    events: merged.events ?? true,
    beat: merged.beat ?? {},
    beatTimezone: merged.beatTimezone ?? DEFAULTS.beatTimezone,
    terminal: { noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== '', ci: Boolean(env.CI) },
  };
  if (config.worker.concurrency !== undefined) positive('worker.concurrency', config.worker.concurrency);
  positive('worker.prefetchMultiplier', config.worker.prefetchMultiplier);
  return deepFreeze(config);
}

function findConfigFile(root: string, explicit?: string): string | undefined {
  if (explicit) {
    const path = resolve(root, explicit);
    if (!existsSync(path)) throw new TqError('CONFIG', `config file not found: ${path}`);
    return path;
  }
  return CONFIG_FILE_NAMES.map((name) => resolve(root, name)).find((path) => existsSync(path));
}

async function loadConfigFile(path: string): Promise<TqConfigInput> {
  try {
    const mod = path.endsWith('.json')
      ? await import(pathToFileURL(path).href, { with: { type: 'json' } })
      : await importTypeScript(path);
    const value = (mod as { default?: unknown }).default ?? mod;
    if (typeof value !== 'object' || value === null) {
      throw new TqError('CONFIG', `${path} must export an object (export default { … })`);
    }
    return value as TqConfigInput;
  } catch (err) {
    if (err instanceof TqError) throw err;
    throw new TqError('CONFIG', `cannot load config file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function readEnv(env: NodeJS.ProcessEnv): TqConfigInput {
  const int = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : parseInteger(name, env[name]!));
  return dropUndefined({
    brokerUrl: env.TQ_BROKER_URL || undefined,
    tasksDir: env.TQ_TASKS_DIR || undefined,
    defaultQueue: env.TQ_DEFAULT_QUEUE || undefined,
    resultExpiresMs: int('TQ_RESULT_EXPIRES_MS'),
    maxMessageBytes: int('TQ_MAX_MESSAGE_BYTES'),
    leaseMs: int('TQ_LEASE_MS'),
    keyPrefix: env.TQ_KEY_PREFIX || undefined,
    beatTimezone: env.TQ_TIMEZONE || undefined,
    events: env.TQ_EVENTS === undefined || env.TQ_EVENTS === '' ? undefined : !/^(0|false|no|off)$/i.test(env.TQ_EVENTS),
    worker: dropUndefined({
      pool: (env.TQ_POOL || undefined) as PoolName | undefined,
      concurrency: int('TQ_CONCURRENCY'),
      queues: env.TQ_QUEUES ? env.TQ_QUEUES.split(',').map((q) => q.trim()).filter(Boolean) : undefined,
      hostname: env.TQ_HOSTNAME || undefined,
      loglevel: (env.TQ_LOGLEVEL || undefined) as LogLevel | undefined,
    }),
  });
}

function parseInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new TqError('CONFIG', `${name} must be a whole number, got '${raw}'`);
  return value;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TqError('CONFIG', `${name} must be a positive number, got ${value}`);
  return value;
}

function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const value of Object.values(obj)) deepFreeze(value);
  }
  return obj;
}

/** Replaces the password (and a user-only credential) in a URL with `***`. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*)(:[^@/]*)?@/i, (_m, scheme: string, user: string, pass?: string) =>
    pass ? `${scheme}${user}:***@` : `${scheme}***@`,
  );
}
