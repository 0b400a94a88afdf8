import { openBroker } from './brokers/index.js';
import type { Broker } from './brokers/broker.js';
import { resolveConfig, type TqConfig, type TqConfigInput } from './config.js';
import { TqError } from './errors.js';
import { newTaskId } from './ids.js';
import { isoAt, isoNow } from './iso-time.js';
import {
  DEFAULT_PRIORITY, encodeMessage, MAX_ID_LENGTH, MAX_PRIORITY, MIN_PRIORITY, prototypeKeyPath, prototypeKeyProblem, TASK_NAME_PATTERN, truncate,
  type Envelope, type TaskMessage,
} from './message.js';
import { AsyncResult } from './result.js';

/** Per-call options, as in Celery's apply_async. */
export interface SendOptions {
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** Seconds from now before the task may run. */
  countdown?: number;
  /** When the task may run: a Date or an ISO string. */
  eta?: Date | string;
  /** Seconds from now, or a Date/ISO string, after which the task is REVOKED instead of run. */
  expires?: number | Date | string;
  queue?: string;
  /** 0–9, 0 first. */
  priority?: number;
  taskId?: string;
  /** Per-call hard / soft time limits in seconds; they win over the task's own. */
  timeLimit?: number;
  softTimeLimit?: number;
  headers?: Record<string, unknown>;
  parentId?: string | null;
  rootId?: string;
}

/**
 * What `delay()` and `sendTask()` use: config and a broker, nothing else. It
 * never imports discovery or the worker (see DESIGN.md on the import order).
 */
export class Client {
  constructor(
    readonly config: TqConfig,
    readonly broker: Broker,
  ) {}

  /**
   * Sends one call. Throws TqError('DUPLICATE_ID') and sends nothing when its
   * `taskId` is in use (a task of that id is queued, running, or has a stored
   * result): one id, one task, one result.
   */
  async sendTask<R = unknown>(name: string, options: SendOptions = {}): Promise<AsyncResult<R>> {
    const envelope = envelopeToSend(this.config, name, options);
    const [taken] = await this.send([envelope], [name]);
    if (taken !== undefined) throw new DuplicateTaskIdError([taken], []);
    return new AsyncResult<R>(envelope.id, this.broker);
  }

  /**
   * Sends many calls in one broker round trip. Every call is checked before
   * anything is sent, so bad input sends nothing. An id already in use cannot
   * be found out before the send without a second round trip (and not
   * atomically on Redis, where a bulk is many script calls), so the calls with
   * free ids are sent and the rest are not: then a DuplicateTaskIdError names
   * the ids not sent and carries the handles of the ones that were (`sent`).
   */
  async sendMany(calls: { name: string; options?: SendOptions }[]): Promise<AsyncResult[]> {
    const envelopes = calls.map((c) => envelopeToSend(this.config, c.name, c.options ?? {}));
    const taken = await this.send(envelopes, calls.map((c) => c.name));
    const results = envelopes.map((e) => new AsyncResult(e.id, this.broker));
    if (taken.length > 0) throw new DuplicateTaskIdError(taken, sentOnes(results, taken));
    return results;
  }

  /** Enqueues, with the task-sent events in the same broker call (one round trip per send). Returns the ids not added. */
  private send(envelopes: Envelope[], names: string[]): Promise<string[]> {
    if (!this.config.events) return this.broker.enqueue(envelopes);
    const at = isoNow();
    const events = envelopes.map((e, i) => ({ type: 'task-sent' as const, at, taskId: e.id, task: names[i], queue: e.queue, data: e.etaMs ? { eta: isoAt(e.etaMs) } : undefined }));
    return this.broker.enqueue(envelopes, events);
  }

  asyncResult<R = unknown>(id: string): AsyncResult<R> {
    return new AsyncResult<R>(id, this.broker);
  }

  close(): Promise<void> {
    return this.broker.close();
  }
}

/**
 * Some calls were not sent because their task ids are in use. `ids` are the
 * ids not sent; `sent` holds the handles of the calls of the same batch that
 * were (none for a single send).
 */
export class DuplicateTaskIdError extends TqError {
  constructor(
    readonly ids: string[],
    readonly sent: AsyncResult[],
  ) {
    const distinct = [...new Set(ids)];
    const shown = distinct.slice(0, 3).map((id) => JSON.stringify(id)).join(', ') + (distinct.length > 3 ? ` and ${distinct.length - 3} more` : '');
    const what = sent.length === 0 && ids.length === 1 ? 'this call was not sent' : `${ids.length} call(s) not sent, ${sent.length} sent`;
    super('DUPLICATE_ID', `task id ${shown} is already in use (a task with that id is queued, running, or has a stored result): ${what}`, {
      hint: 'leave the task id out to get a fresh one, or choose another; `tq result ID` shows the task that has it',
    });
    this.name = 'DuplicateTaskIdError';
  }
}

/**
 * The handles of the calls the broker added, given the ids it did not add
 * (one entry per copy not added). Of the copies of one id the broker keeps
 * only the first, and only when the id was new: so the first copy was sent
 * when fewer copies were refused than given.
 */
function sentOnes(results: AsyncResult[], notAdded: string[]): AsyncResult[] {
  const count = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());
  const refused = count(notAdded);
  const given = count(results.map((r) => r.id));
  const seen = new Set<string>();
  return results.filter((r) => {
    if (seen.has(r.id)) return false;
    seen.add(r.id);
    return (refused.get(r.id) ?? 0) < given.get(r.id)!;
  });
}

export interface ClientOptions extends TqConfigInput {
  cwd?: string;
}

/** Resolves config (file, `TQ_*` environment, these options) and opens the broker. */
export async function createClient(options: ClientOptions = {}): Promise<Client> {
  const { cwd, ...overrides } = options;
  const config = await resolveConfig({ cwd, overrides });
  return clientFor(config);
}

export async function clientFor(config: TqConfig): Promise<Client> {
  const broker = await openBroker({
    url: config.brokerUrl,
    projectRoot: config.projectRoot,
    resultExpiresMs: config.resultExpiresMs,
    keyPrefix: config.keyPrefix,
    redisTls: config.redisTls,
    maxMessageBytes: config.maxMessageBytes,
  });
  return new Client(config, broker);
}

let defaultClient: Promise<Client> | undefined;

/** The client `delay()` uses when none was given: created on first use, shared. */
export function getDefaultClient(): Promise<Client> {
  defaultClient ??= createClient().catch((err) => {
    defaultClient = undefined; // let a later call retry, e.g. once the broker is up
    throw err;
  });
  return defaultClient;
}

/** Closes the shared default client, so a script can exit. */
export async function closeDefaultClient(): Promise<void> {
  const client = defaultClient;
  defaultClient = undefined;
  if (client) await (await client).close();
}

/**
 * Builds and encodes the message for one call; validates what the caller gave
 * by the rules a worker decodes with, so what a worker would dead-letter is
 * refused here instead: the task name, the id, and keys that could reach a
 * prototype at any depth of args, kwargs and headers.
 */
export function buildEnvelope(config: TqConfig, name: string, options: SendOptions): Envelope {
  return encodeMessage(buildMessage(config, name, options), config.maxMessageBytes);
}

/**
 * buildEnvelope for a call sent now: an expiry that has already passed is
 * refused, since such a task could never run. (Beat builds its ticks with
 * buildEnvelope on its own clock.) A past eta is allowed: the task runs at once.
 */
function envelopeToSend(config: TqConfig, name: string, options: SendOptions): Envelope {
  const message = buildMessage(config, name, options);
  if (message.expires !== null && Date.parse(message.expires) <= Date.now()) {
    throw new TqError('BAD_INPUT', `expires ${message.expires} is not in the future: the task could never run`, {
      hint: 'give seconds from now (e.g. 60) or a later ISO-8601 time',
    });
  }
  return encodeMessage(message, config.maxMessageBytes);
}

function buildMessage(config: TqConfig, name: string, options: SendOptions): TaskMessage {
  const now = Date.now();
  const args = options.args ?? [];
  const kwargs = options.kwargs ?? {};
  if (typeof name !== 'string' || !TASK_NAME_PATTERN.test(name)) {
    throw new TqError('BAD_INPUT', `${JSON.stringify(truncate(String(name), 200))} is not a valid task name`, {
      hint: 'a task name is 1–200 letters, digits, or _ . : - (e.g. send_mail, mail.send)',
    });
  }
  if (!Array.isArray(args)) throw new TqError('BAD_INPUT', 'args must be an array');
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) throw new TqError('BAD_INPUT', 'kwargs must be an object');
  if (options.taskId !== undefined && (typeof options.taskId !== 'string' || options.taskId.length === 0 || options.taskId.length > MAX_ID_LENGTH)) {
    throw new TqError('BAD_INPUT', `a task id must be a string of 1 to ${MAX_ID_LENGTH} characters`);
  }
  for (const [field, value] of [['args', args], ['kwargs', kwargs], ['headers', options.headers ?? {}]] as const) {
    const path = prototypeKeyPath(value, field);
    if (path) throw new TqError('BAD_INPUT', prototypeKeyProblem(path), { hint: 'rename the key' });
  }
  const priority = options.priority ?? DEFAULT_PRIORITY;
  if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new TqError('BAD_INPUT', `priority must be a whole number from 0 to 9, got ${priority}`);
  }
  if (options.countdown !== undefined && options.eta !== undefined) throw new TqError('BAD_INPUT', 'give countdown or eta, not both');
  const eta = options.countdown !== undefined ? toDate(now + seconds('countdown', options.countdown) * 1000) : toIso('eta', options.eta);
  const expires =
    typeof options.expires === 'number' ? toDate(now + seconds('expires', options.expires) * 1000) : toIso('expires', options.expires);
  const id = options.taskId ?? newTaskId();
  return {
    id,
    task: name,
    args,
    kwargs,
    queue: options.queue ?? config.defaultQueue,
    priority,
    eta,
    expires,
    retries: 0,
    rootId: options.rootId ?? id,
    parentId: options.parentId ?? null,
    headers: { ...options.headers, ...limitHeaders(options) },
  };
}

function limitHeaders(options: SendOptions): Record<string, number> {
  const headers: Record<string, number> = {};
  if (options.timeLimit !== undefined) headers.timeLimit = seconds('timeLimit', options.timeLimit);
  if (options.softTimeLimit !== undefined) headers.softTimeLimit = seconds('softTimeLimit', options.softTimeLimit);
  return headers;
}

function seconds(what: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new TqError('BAD_INPUT', `${what} must be a number of seconds ≥ 0, got ${value}`);
  return value;
}

function toIso(what: string, value: Date | string | undefined): string | null {
  if (value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new TqError('BAD_INPUT', `${what} is not a valid date: '${String(value)}'`, { hint: 'use ISO-8601, e.g. 2026-12-01T09:00:00Z' });
  return toDate(ms);
}

function toDate(ms: number): string {
  return new Date(ms).toISOString();
}
