import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { checkLayer, SETTINGS, WORKER_SETTINGS, type ConfigProblem, type LogLevel, type PoolName, type Protocol, type Setting } from './config-schema.js';
import { TqError } from './errors.js';
import { suggestNames } from './suggest.js';
import { importTypeScript } from './ts-loader.js';

export type { LogLevel, PoolName, Protocol } from './config-schema.js';

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
  /**
   * Where results and cluster state live. The broker's URL unless set: then
   * one store plays both roles (the fused path). RabbitMQ cannot be a backend,
   * so an amqp:// broker needs one (see brokers/index.ts).
   */
  readonly backendUrl: string;
  readonly tasksDir: string;
  readonly defaultQueue: string;
  readonly resultExpiresMs: number;
  readonly maxMessageBytes: number;
  readonly leaseMs: number;
  readonly keyPrefix: string;
  readonly redisTls: RedisTlsOptions;
  /** TLS for amqps:// brokers, as redisTls. */
  readonly amqpTls: RedisTlsOptions;
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
  /**
   * What tq speaks on the broker: 'tq' (its own messages) or 'celery'
   * (Celery's message protocol v2 in kombu's Redis layout or Celery's AMQP
   * layout, results in Celery's Redis backend, pidbox control and celeryev
   * events), so tq and Python Celery share one deployment. See src/runtime/celery/.
   */
  readonly protocol: Protocol;
  /** Celery's visibility_timeout in seconds (kombu's default 3600): when a delivery unacked this long comes back. */
  readonly celeryVisibilityTimeout: number;
  /** kombu's global_keyprefix (default none), in front of Celery's broker keys on Redis. */
  readonly celeryKeyPrefix: string;
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
  /** Where to look for the project root from (default: the current directory); wins over TQ_PROJECT_ROOT. */
  cwd?: string;
  /** Highest precedence: what the CLI flags (or createClient's options) said. */
  overrides?: TqConfigInput;
  /** How an override is named in an error ('--pool' for worker.pool); default its path. */
  describeOverride?: (path: string) => string;
  /** The environment to read `TQ_*` from; the only reader of process.env. */
  env?: NodeJS.ProcessEnv;
  /** Path of a config file; default: the first of tq.config.{ts,mts,js,mjs,json} found. */
  configFile?: string;
}

const CONFIG_FILE_NAMES = ['tq.config.ts', 'tq.config.mts', 'tq.config.js', 'tq.config.mjs', 'tq.config.json'];

/** Celery's task_default_queue. */
export const CELERY_DEFAULT_QUEUE = 'celery';

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
  protocol: 'tq' as Protocol,
  celeryVisibilityTimeout: 3600,
  celeryKeyPrefix: '',
  worker: { pool: 'prefork' as PoolName, queues: ['default'], loglevel: 'info' as LogLevel, prefetchMultiplier: 1 },
};

/** Defaults → config file → `TQ_*` environment → flags; resolved once, frozen. */
export async function resolveConfig(options: ResolveConfigOptions = {}): Promise<TqConfig> {
  const env = options.env ?? process.env;
  const projectRoot =
    options.cwd === undefined && env.TQ_PROJECT_ROOT ? resolve(env.TQ_PROJECT_ROOT) : findProjectRoot(resolve(options.cwd ?? process.cwd()));
  const configFile = findConfigFile(projectRoot, options.configFile ?? env.TQ_CONFIG);
  const fromFile = configFile ? await loadConfigFile(configFile, shownPath(projectRoot, configFile)) : {};
  const fromEnv = readEnv(env);
  const describe = options.describeOverride ?? ((path: string) => path);
  const fromOverrides = checked(options.overrides ?? {}, { source: '', unknown: 'unknown option', name: describe });

  const merged: TqConfigInput = {};
  const worker: Partial<TqConfig['worker']> = {};
  for (const layer of [fromFile, fromEnv, fromOverrides]) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (key === 'worker') Object.assign(worker, dropUndefined(value as object));
      else (merged as Record<string, unknown>)[key] = value;
    }
  }
  // Celery's default queue is 'celery': a tq client and a Python one meet there unless told otherwise.
  const defaultQueue = merged.defaultQueue ?? (merged.protocol === 'celery' ? CELERY_DEFAULT_QUEUE : DEFAULTS.defaultQueue);
  const config: TqConfig = {
    ...DEFAULTS,
    ...merged,
    projectRoot,
    configFile,
    tasksDir: resolve(projectRoot, merged.tasksDir ?? DEFAULTS.tasksDir),
    defaultQueue,
    backendUrl: merged.backendUrl ?? merged.brokerUrl ?? DEFAULTS.brokerUrl,
    redisTls: merged.redisTls ?? {},
    amqpTls: merged.amqpTls ?? {},
    events: merged.events ?? true,
    beat: merged.beat ?? {},
    worker: { ...DEFAULTS.worker, ...worker, queues: worker.queues && worker.queues.length > 0 ? worker.queues : [defaultQueue] },
    terminal: { noColor: env.NO_COLOR !== undefined && env.NO_COLOR !== '', ci: Boolean(env.CI) },
  };
  return deepFreeze(config);
}

/**
 * The project root, found as npm finds a package: the nearest directory at or
 * above `start` that holds a package.json or a tq.config.* file; `start`
 * itself when none does. So `cd tasks && tq call …` works on the project's
 * tasks and broker instead of looking for tasks/tasks.
 */
export function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (['package.json', ...CONFIG_FILE_NAMES].some((name) => existsSync(join(dir, name)))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

/** A path as errors show it: relative to the project root when inside it, else whole. */
function shownPath(root: string, path: string): string {
  const inside = relative(root, path);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

function findConfigFile(root: string, explicit?: string): string | undefined {
  if (explicit) {
    const path = resolve(root, explicit);
    if (!existsSync(path)) throw new TqError('CONFIG', `config file not found: ${path}`);
    return path;
  }
  return CONFIG_FILE_NAMES.map((name) => resolve(root, name)).find((path) => existsSync(path));
}

async function loadConfigFile(path: string, shown: string): Promise<TqConfigInput> {
  let value: unknown;
  try {
    // JSON read afresh (an import would be cached for the process's life); code through the TypeScript loader.
    if (path.endsWith('.json')) value = JSON.parse(readFileSync(path, 'utf8'));
    else value = defaultExport(await importTypeScript(path));
  } catch (err) {
    throw new TqError('CONFIG', `cannot load config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TqError('CONFIG', `${path} must export an object (export default { … })`);
  }
  return checked(value, {
    source: `${shown}: `,
    unknown: 'unknown key',
    name: (p) => p,
    help: "the Configuration section of tq's README lists every setting and its type",
  });
}

/**
 * A config module's `export default`. In a project without `"type": "module"`
 * the file is compiled to CommonJS, and its default export arrives one level
 * down ({ default: { default: … } }); taken as it came, the whole config was
 * silently ignored.
 */
function defaultExport(mod: Record<string, unknown>): unknown {
  const value = mod.default ?? mod;
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value).filter((k) => k !== '__esModule');
  return keys.length === 1 && keys[0] === 'default' ? (value as { default: unknown }).default : value;
}

/** The `TQ_*` variables, each read by its setting's line in config-schema.ts, checked like a file. */
function readEnv(env: NodeJS.ProcessEnv): TqConfigInput {
  const variables = new Map<string, string>();
  const read = (settings: Record<string, Setting>, prefix: string) => {
    const out: Record<string, unknown> = {};
    for (const [key, { env: name, fromEnv }] of Object.entries(settings)) {
      const raw = name === undefined ? undefined : env[name];
      if (raw === undefined || raw === '') continue;
      variables.set(prefix + key, name!);
      out[key] = fromEnv ? fromEnv(raw) : raw;
    }
    return out;
  };
  const worker = read(WORKER_SETTINGS, 'worker.');
  const layer = { ...read(SETTINGS, ''), ...(Object.keys(worker).length > 0 ? { worker } : {}) };
  return checked(layer, { source: '', unknown: 'unknown variable', name: (p) => variables.get(p) ?? p });
}

interface LayerNames {
  /** Where the layer came from, as a prefix of the message ('tq.config.json: '), or ''. */
  source: string;
  /** What an unknown key is called in this layer. */
  unknown: string;
  /** How a setting's path is named in this layer: a key path, a variable, a flag. */
  name: (path: string) => string;
  /** Where to read up on the settings, when no "did you mean" fits. */
  help?: string;
}

/** One layer through the schema: its value with names' case normalised, or exit 2 naming every problem. */
function checked(input: unknown, names: LayerNames): TqConfigInput {
  const result = checkLayer(input);
  if (result.ok) return result.value as TqConfigInput;
  const suggestion = result.problems.map(suggestionFor).find(Boolean);
  throw new TqError('CONFIG', `${names.source}${result.problems.map((p) => describeProblem(p, names)).join('; ')}`, {
    hint: suggestion ? `did you mean '${suggestion}'?` : names.help,
  });
}

function describeProblem(problem: ConfigProblem, names: LayerNames): string {
  if (problem.unknownAmong) return `${names.unknown} '${problem.path}'`;
  return `${names.name(problem.path)} must be ${problem.expected} (got ${problem.received})`;
}

function suggestionFor(problem: ConfigProblem): string | undefined {
  if (!problem.unknownAmong) return undefined;
  const close = suggestNames(problem.key, problem.unknownAmong)[0];
  return close === undefined ? undefined : [...problem.path.split('.').slice(0, -1), close].join('.');
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
