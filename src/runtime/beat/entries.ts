import { CronExpressionParser } from 'cron-parser';
import { buildEnvelope } from '../client.js';
import type { BeatEntrySpec, ScheduleSpec, TqConfig } from '../config.js';
import { suggestNames, type TaskRegistry } from '../discovery.js';
import { TqError } from '../errors.js';
import { DEFAULT_PRIORITY, MAX_PRIORITY, MIN_PRIORITY } from '../message.js';
import { parseDuration } from './duration.js';
import { CronSchedule, IntervalSchedule, type Schedule } from './schedule.js';

export type CatchUp = NonNullable<ScheduleSpec['catchUp']>;

/** One periodic entry, validated and resolved: what the scheduler runs. */
export interface BeatEntry {
  /** Unique among entries; keys the watermark and every tick id. */
  readonly name: string;
  readonly task: string;
  /** Where it was declared: a `beat` key in the config, or a task's `schedule` option. */
  readonly source: 'config' | 'task';
  readonly schedule: Schedule;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly queue: string;
  readonly priority: number;
  /** How long a sent tick stays runnable; null = until the entry's next tick. */
  readonly expiresMs: number | null;
  readonly catchUp: CatchUp;
}

/** Intervals shorter than this would turn beat into a busy loop on the broker. */
export const MIN_INTERVAL_MS = 1000;
/** Upper bound for `catchUp: { all: N }`, so a long outage cannot flood the queue. */
export const MAX_CATCH_UP = 1000;

const SPEC_KEYS = new Set(['task', 'cron', 'every', 'tz', 'args', 'kwargs', 'queue', 'priority', 'expires', 'catchUp']);

/**
 * Every periodic entry: the config's `beat` entries, then each task declared
 * with a `schedule` (named after the task). Throws TqError('CONFIG') naming the
 * first entry that is wrong, so `tq beat` fails at start-up, not at 3 a.m.
 */
export function collectSchedule(config: TqConfig, registry: TaskRegistry): BeatEntry[] {
  const entries: BeatEntry[] = [];
  for (const [name, spec] of Object.entries(config.beat ?? {})) {
    const where = `beat entry '${name}'`;
    if (typeof spec !== 'object' || spec === null) throw configError(where, 'must be an object like { task, cron | every }');
    if (typeof spec.task !== 'string' || spec.task === '') throw configError(where, "needs a 'task' (a task name)");
    if (!registry.get(spec.task)) {
      const close = suggestNames(spec.task, registry.names());
      throw configError(where, `names an unknown task '${spec.task}'`, close.length > 0 ? `did you mean ${close.join(', ')}?` : `known tasks: ${registry.names().join(', ') || 'none'}`);
    }
    entries.push(resolveEntry(config, registry, name, spec, 'config', where));
  }
  for (const registered of registry.entries()) {
    const spec = registered.task.options.schedule;
    if (!spec) continue;
    const where = `schedule of task '${registered.name}'`;
    if (config.beat?.[registered.name]) {
      throw configError(where, `clashes with the beat entry of the same name in the config`, 'rename the config entry, or drop one of the two');
    }
    entries.push(resolveEntry(config, registry, registered.name, { ...spec, task: registered.name }, 'task', where));
  }
  return entries;
}

function resolveEntry(config: TqConfig, registry: TaskRegistry, name: string, spec: BeatEntrySpec, source: BeatEntry['source'], where: string): BeatEntry {
  if (name.trim() === '' || name.length > 200 || /[\u0000-\u001f]/.test(name)) throw configError(where, 'needs a printable name of at most 200 characters');
  const unknown = Object.keys(spec).filter((k) => !SPEC_KEYS.has(k));
  if (unknown.length > 0) throw configError(where, `has unknown option(s) ${unknown.map((k) => `'${k}'`).join(', ')}`, `allowed: ${[...SPEC_KEYS].join(', ')}`);

  const tz = spec.tz ?? config.beatTimezone;
  if (!isTimeZone(tz)) throw configError(where, `has an unknown timezone '${tz}'`, "use an IANA name such as 'Europe/Berlin' or 'UTC'");
  const schedule = resolveSchedule(spec, tz, name, where);

  const taskOptions = registry.get(spec.task)?.task.options ?? {};
  const args = spec.args ?? [];
  const kwargs = spec.kwargs ?? {};
  if (!Array.isArray(args)) throw configError(where, "has 'args' that are not an array");
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) throw configError(where, "has 'kwargs' that are not an object");
  const queue = spec.queue ?? taskOptions.queue ?? config.defaultQueue;
  if (typeof queue !== 'string' || queue === '') throw configError(where, "has a bad 'queue': give a non-empty string");
  const priority = spec.priority ?? taskOptions.priority ?? DEFAULT_PRIORITY;
  if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) throw configError(where, `has a bad 'priority' ${String(priority)}: give a whole number from 0 (first) to 9`);
  let expiresMs: number | null = null;
  if (spec.expires !== undefined) {
    expiresMs = parseDuration(spec.expires, 's');
    if (expiresMs === null) throw configError(where, `has a bad 'expires' ${JSON.stringify(spec.expires)}`, "give seconds (30) or a duration ('30s', '5m', '2h')");
  }
  const catchUp = spec.catchUp ?? 'latest';
  if (!isCatchUp(catchUp)) {
    throw configError(where, `has a bad 'catchUp' ${JSON.stringify(catchUp)}`, `use 'none', 'latest' or { all: N } with N from 1 to ${MAX_CATCH_UP}`);
  }

  const entry: BeatEntry = { name, task: spec.task, source, schedule, args, kwargs, queue, priority, expiresMs, catchUp };
  try {
    buildEnvelope(config, entry.task, { args: [...args], kwargs: { ...kwargs }, queue, priority }); // too large, not JSON: fail now
  } catch (err) {
    throw configError(where, `cannot be sent: ${(err as Error).message}`);
  }
  return entry;
}

function resolveSchedule(spec: ScheduleSpec, tz: string, name: string, where: string): Schedule {
  const hasCron = spec.cron !== undefined;
  const hasEvery = spec.every !== undefined;
  if (hasCron === hasEvery) {
    throw configError(where, hasCron ? "gives both 'cron' and 'every'" : "needs 'cron' or 'every'", "e.g. cron: '0 3 * * *' or every: '30s'");
  }
  if (hasEvery) {
    const ms = parseDuration(spec.every, 'ms');
    if (ms === null || ms < MIN_INTERVAL_MS) {
      throw configError(where, `has a bad interval ${JSON.stringify(spec.every)}`, `give a duration of at least 1s: '30s', '5m', '2h', '1d', or milliseconds (≥ ${MIN_INTERVAL_MS})`);
    }
    return new IntervalSchedule(ms, tz);
  }
  const cron = typeof spec.cron === 'string' ? spec.cron.trim().replace(/\s+/g, ' ') : '';
  const fields = cron.split(' ').length;
  if (cron === '' || (!cron.startsWith('@') && fields !== 5 && fields !== 6)) {
    throw configError(where, `has an invalid cron ${JSON.stringify(spec.cron)}: expected 5 fields (or 6 with seconds first)`, "e.g. '0 3 * * *' for 03:00 every day");
  }
  try {
    CronExpressionParser.parse(cron, { tz, hashSeed: name }).next();
  } catch (err) {
    throw configError(where, `has an invalid cron '${cron}': ${(err as Error).message}`);
  }
  return new CronSchedule(cron, tz, name);
}

function isCatchUp(value: unknown): value is CatchUp {
  if (value === 'none' || value === 'latest') return true;
  if (typeof value !== 'object' || value === null || Object.keys(value).join() !== 'all') return false;
  const all = (value as { all: unknown }).all;
  return Number.isInteger(all) && (all as number) >= 1 && (all as number) <= MAX_CATCH_UP;
}

function isTimeZone(tz: unknown): boolean {
  if (typeof tz !== 'string' || tz === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function configError(where: string, problem: string, hint?: string): TqError {
  return new TqError('CONFIG', `${where} ${problem}`, { hint });
}
