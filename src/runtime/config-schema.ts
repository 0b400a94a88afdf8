// valibot, not zod: it is about a third of zod 3's size on disk, has no
// dependencies, runs on Node 20, and loads in a few milliseconds; config is on
// the path of every `tq` command and of every `delay()`, so that matters.
import * as v from 'valibot';

/**
 * What a config file, the `TQ_*` environment and flags may set, as one schema.
 * Each setting is one line: its schema and, where it has one, its environment
 * variable (with how to read the variable's text). Unknown keys are refused at
 * every level, so a typo never passes silently (inside `beat` entries, by beat).
 */
export interface Setting {
  schema: v.GenericSchema;
  env?: string;
  /** Turns the variable's text into the setting's type; text it cannot read stays text, for the schema to refuse. */
  fromEnv?: (raw: string) => unknown;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const PROTOCOLS = ['tq', 'celery'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export const POOLS = ['prefork', 'threads', 'async', 'solo'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type PoolName = (typeof POOLS)[number];

/** Celery's level names (what its users type with `-l`), in any case. */
const LOG_LEVEL_ALIASES: Record<string, LogLevel> = { warning: 'warn', critical: 'error', fatal: 'error' };

/** 'INFO' → 'info', 'WARNING' → 'warn'; undefined for anything that is no level. */
export function parseLogLevel(raw: string): LogLevel | undefined {
  const lower = raw.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(lower) ? (lower as LogLevel) : LOG_LEVEL_ALIASES[lower];
}

function parseProtocol(raw: string): Protocol | undefined {
  const lower = raw.trim().toLowerCase();
  return (PROTOCOLS as readonly string[]).includes(lower) ? (lower as Protocol) : undefined;
}

function parsePool(raw: string): PoolName | undefined {
  const lower = raw.trim().toLowerCase();
  return (POOLS as readonly string[]).includes(lower) ? (lower as PoolName) : undefined;
}

const text = v.pipe(v.string('a string'), v.nonEmpty('a non-empty string'));
const positiveNumber = v.pipe(v.number('a number'), v.gtValue(0, 'a positive number'));
const positiveInteger = v.pipe(v.number('a number'), v.integer('a whole number'), v.minValue(1, 'at least 1'));
const nonNegativeNumber = v.pipe(v.number('a number'), v.minValue(0, 'zero or more'));
const flag = v.boolean('true or false');
/** A name from a fixed list, in any case; kept in its canonical lower case. */
const oneOf = <T extends string>(names: readonly T[], parse: (raw: string) => T | undefined) => {
  const expected = `one of ${names.join(', ')}`;
  return v.pipe(v.string(expected), v.check((raw) => parse(raw) !== undefined, expected), v.transform((raw) => parse(raw)!));
};
/** An object with exactly these keys (an array is not one). */
const section = <E extends v.ObjectEntries>(entries: E) =>
  v.pipe(
    v.custom<Record<string, unknown>>((x) => typeof x === 'object' && x !== null && !Array.isArray(x), 'an object'),
    v.strictObject(entries, 'an object'),
  );
/** TLS files for rediss:// and amqps:// (PEM paths) and whether to verify the server. */
function tlsSection() {
  return section({ ca: v.optional(v.string('a string')), cert: v.optional(v.string('a string')), key: v.optional(v.string('a string')), rejectUnauthorized: v.optional(flag) });
}
const optionalEntries = (settings: Record<string, Setting>) =>
  Object.fromEntries(Object.entries(settings).map(([key, s]) => [key, v.optional(s.schema)]));

const toNumber = (raw: string): unknown => (raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw);
const toBoolean = (raw: string): unknown => (/^(1|true|yes|on)$/i.test(raw) ? true : /^(0|false|no|off)$/i.test(raw) ? false : raw);
const toList = (raw: string): unknown => raw.split(',').map((q) => q.trim()).filter(Boolean);

/** The `worker` section. */
export const WORKER_SETTINGS = {
  pool: { schema: oneOf(POOLS, parsePool), env: 'TQ_POOL' },
  concurrency: { schema: positiveInteger, env: 'TQ_CONCURRENCY', fromEnv: toNumber },
  queues: { schema: v.array(text, 'a list of queue names'), env: 'TQ_QUEUES', fromEnv: toList },
  hostname: { schema: text, env: 'TQ_HOSTNAME' },
  loglevel: { schema: oneOf(LOG_LEVELS, parseLogLevel), env: 'TQ_LOGLEVEL' },
  prefetchMultiplier: { schema: positiveInteger },
  maxTasksPerChild: { schema: positiveInteger },
  maxMemoryPerChild: { schema: positiveInteger },
  softShutdownTimeout: { schema: nonNegativeNumber },
} satisfies Record<string, Setting>;

/** Every top-level setting (and `worker`, above). */
export const SETTINGS = {
  brokerUrl: { schema: text, env: 'TQ_BROKER_URL' },
  backendUrl: { schema: text, env: 'TQ_BACKEND_URL' },
  tasksDir: { schema: text, env: 'TQ_TASKS_DIR' },
  defaultQueue: { schema: text, env: 'TQ_DEFAULT_QUEUE' },
  resultExpiresMs: { schema: positiveNumber, env: 'TQ_RESULT_EXPIRES_MS', fromEnv: toNumber },
  maxMessageBytes: { schema: positiveInteger, env: 'TQ_MAX_MESSAGE_BYTES', fromEnv: toNumber },
  leaseMs: { schema: positiveNumber, env: 'TQ_LEASE_MS', fromEnv: toNumber },
  keyPrefix: { schema: text, env: 'TQ_KEY_PREFIX' },
  redisTls: { schema: tlsSection() },
  amqpTls: { schema: tlsSection() },
  events: { schema: flag, env: 'TQ_EVENTS', fromEnv: toBoolean },
  protocol: { schema: oneOf(PROTOCOLS, parseProtocol), env: 'TQ_PROTOCOL' },
  celeryVisibilityTimeout: { schema: positiveNumber, env: 'TQ_CELERY_VISIBILITY_TIMEOUT', fromEnv: toNumber },
  celeryKeyPrefix: { schema: v.string('a string'), env: 'TQ_CELERY_KEY_PREFIX' },
  // Each entry's keys and values are checked by beat (collectSchedule), with the entry's name, when it starts.
  beat: { schema: v.record(v.string(), v.unknown(), 'an object of named entries') },
  beatTimezone: { schema: text, env: 'TQ_TIMEZONE' },
  worker: { schema: section(optionalEntries(WORKER_SETTINGS)) },
} satisfies Record<string, Setting>;

export const CONFIG_SCHEMA = section(optionalEntries(SETTINGS));

/** One thing wrong with a layer of config, said in the user's terms. */
export interface ConfigProblem {
  /** 'worker.pool', 'beat.nightly.crn' */
  path: string;
  /** The last key of the path, for "did you mean". */
  key: string;
  /** The keys allowed beside it, when the key itself is unknown. */
  unknownAmong?: string[];
  /** What the value should have been ('a string', 'one of …'), when its value is wrong. */
  expected?: string;
  received?: string;
}

/** Checks one layer (a file's object, the environment's values, flags); normalises names' case. */
export function checkLayer(input: unknown): { ok: true; value: Record<string, unknown> } | { ok: false; problems: ConfigProblem[] } {
  const result = v.safeParse(CONFIG_SCHEMA, input);
  if (result.success) return { ok: true, value: result.output };
  return { ok: false, problems: result.issues.map(toProblem) };
}

function toProblem(issue: v.BaseIssue<unknown>): ConfigProblem {
  const keys = (issue.path ?? []).map((p) => String(p.key));
  const path = keys.join('.');
  const key = keys.at(-1) ?? '';
  // valibot reports a key a strict object does not allow as expecting `never` there.
  if (issue.type === 'strict_object' && issue.expected === 'never') return { path, key, unknownAmong: keysAt(CONFIG_SCHEMA, keys.slice(0, -1)) };
  return { path, key, expected: issue.message, received: issue.received };
}

/** The keys an object schema allows at `path` (through optional, pipe, union and record wrappers). */
function keysAt(schema: unknown, path: readonly string[]): string[] {
  let node: unknown = schema;
  for (const key of path) node = child(objectSchema(node), key);
  return Object.keys(objectSchema(node)?.entries ?? {});
}

type Node = { type?: string; entries?: Record<string, unknown>; wrapped?: unknown; pipe?: unknown[]; options?: unknown[]; value?: unknown };

function objectSchema(node: unknown): Node | undefined {
  const n = node as Node | undefined;
  if (!n) return undefined;
  if (n.entries || n.type === 'record') return n;
  const inner = [n.wrapped, ...(n.pipe?.slice(1) ?? []), ...(n.options ?? [])];
  return inner.map(objectSchema).find(Boolean);
}

function child(node: Node | undefined, key: string): unknown {
  return node?.type === 'record' ? node.value : node?.entries?.[key];
}
