import { pathToFileURL } from 'node:url';
import { getDefaultClient, type Client, type SendOptions } from './client.js';
import type { ScheduleSpec } from './config.js';
import { TqError } from './errors.js';
import type { AsyncResult } from './result.js';
import { Signature } from './canvas/primitives.js';

/** Options fixed when a task is declared. Per-call options go to `applyAsync`. */
export interface TaskOptions {
  /** The registered name; default: the name of the export that holds the task. */
  name?: string;
  queue?: string;
  priority?: number;
  /** Run this task periodically (see `tq beat`). */
  schedule?: ScheduleSpec;
  /**
   * Most retries before the task fails for good (and its message goes to dead
   * letters). Setting it retries any error; `autoretryFor` narrows that down.
   * `currentTask().retry()` may retry up to this many times (default 3).
   */
  retries?: number;
  /** Seconds before a retry (default 1); the base of the backoff. */
  retryDelay?: number;
  /** Exponential backoff: delay = retryDelay × factor^retries, capped at max seconds, with full jitter. */
  backoff?: boolean | { factor?: number; max?: number; jitter?: boolean };
  /** Retry only errors of these classes or names (default: any error, when `retries` is set). */
  autoretryFor?: readonly (string | (new (...args: never[]) => Error))[];
  /** Hard limit in seconds: the thread or child running it is ended (threads, prefork pools). */
  timeLimit?: number;
  /** Soft limit in seconds: the task's AbortSignal fires with a SoftTimeLimitExceeded error. */
  softTimeLimit?: number;
  /** Starts allowed across all workers on the broker: '10/s', '100/m', '1000/h'. Over it, tasks wait queued. */
  rateLimit?: string;
  /** Default expiry for calls of this task, in seconds. */
  expires?: number;
  /** true (default): ack after running — at least once. false: ack before running — at most once. */
  acksLate?: boolean;
  /** Do not store the return value (state still reaches the backend). */
  ignoreResult?: boolean;
}

export type TaskFn<A extends unknown[], R> = (...args: A) => R | Promise<R>;

export interface ApplyOptions<A extends unknown[]> extends Omit<SendOptions, 'args'> {
  args?: A;
}

/** Marks task objects without relying on module identity (tasks load `tq` from dist, the CLI too, tests from src). */
export const TASK_BRAND = Symbol.for('tq.task');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Task<A extends unknown[] = any[], R = any> {
  readonly [TASK_BRAND]: true;
  readonly fn: TaskFn<A, R>;
  readonly options: Readonly<TaskOptions>;
  /** The registered name; set by the `name` option or learnt from the export. */
  readonly name: string | undefined;
  /** Sends the task with these arguments; resolves once the broker has it. */
  delay(...args: A): Promise<AsyncResult<Awaited<R>>>;
  /** Sends the task with full control (countdown, eta, expires, queue, priority, taskId…). */
  applyAsync(options?: ApplyOptions<A>, client?: Client): Promise<AsyncResult<Awaited<R>>>;
  /** Runs the function here and now, without a broker (for tests and scripts). */
  run(...args: A): Promise<Awaited<R>>;
  /** A call not sent yet, for a workflow (chain, group, chord); `.delay()` sends it. */
  s(...args: unknown[]): Signature;
  /** An immutable call: in a chain it ignores the previous step's result. */
  si(...args: unknown[]): Signature;
}

/**
 * Declares a task. The task's name is its export's name (`export const
 * send_mail = task(…)` is "send_mail") unless `options.name` says otherwise.
 */
export function task<A extends unknown[], R>(fn: TaskFn<A, R>, options: TaskOptions = {}): Task<A, R> {
  if (typeof fn !== 'function') throw new TqError('BAD_INPUT', 'task() takes a function');
  const definedIn = callerModule();
  let name = options.name;

  const self: Task<A, R> & { bindName(n: string): void; definedIn?: string } = {
    [TASK_BRAND]: true,
    fn,
    options: Object.freeze({ ...options }),
    get name() {
      return name;
    },
    definedIn,
    /** Discovery tells a task the export it was found under. */
    bindName(n: string) {
      name ??= n;
    },
    delay: (...args: A) => self.applyAsync({ args }),
    async applyAsync(opts: ApplyOptions<A> = {}, client?: Client) {
      const resolved = name ?? (await learnName(self, definedIn));
      const c = client ?? (await getDefaultClient());
      return c.sendTask<Awaited<R>>(resolved, { queue: options.queue, priority: options.priority, expires: options.expires, ...opts });
    },
    run: (...args: A) => Promise.resolve(fn(...args)) as Promise<Awaited<R>>,
    s: (...args: unknown[]) => signatureOf(false, args),
    si: (...args: unknown[]) => signatureOf(true, args),
  };
  /** The task's defaults as a signature's options; its name now, or learnt when the workflow is sent. */
  const signatureOf = (immutable: boolean, args: unknown[]) => {
    const defaults = dropUndefined({ queue: options.queue, priority: options.priority, expires: options.expires });
    return new Signature(name ?? '', args, {}, defaults, immutable, [], [], name ? undefined : () => learnName(self, definedIn));
  };
  return self;
}

export function isTask(value: unknown): value is Task & { bindName(n: string): void } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK_BRAND] === true;
}

/** Finds the export that holds `t` in the module that declared it (already loaded, so this is a cache hit). */
async function learnName(t: Task & { bindName(n: string): void }, definedIn: string | undefined): Promise<string> {
  if (definedIn) {
    const mod = (await import(definedIn)) as Record<string, unknown>;
    for (const [key, value] of Object.entries(mod)) {
      if (value === t) {
        t.bindName(key === 'default' ? baseName(definedIn) : key);
        return t.name!;
      }
    }
  }
  throw new TqError('BAD_INPUT', `cannot tell the name of a task declared in ${definedIn ?? 'an unknown module'}`, {
    hint: "export it (export const my_task = task(…)) or give it a name: task(fn, { name: 'my_task' })",
  });
}

function baseName(url: string): string {
  return url.replace(/[?#].*$/, '').replace(/^.*\//, '').replace(/\.[^.]+$/, '');
}

/** The module URL of whoever called task(), read from the stack. */
function callerModule(): string | undefined {
  const lines = (new Error().stack ?? '').split('\n').slice(1);
  for (const line of lines) {
    const match = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?\s*$/.exec(line);
    if (!match) continue;
    const location = match[1]!;
    if (/\/runtime\/task\.(ts|js)$/.test(location)) continue;
    return location.startsWith('file://') ? location : pathToFileURL(location).href;
  }
  return undefined;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
