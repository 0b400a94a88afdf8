import { openBroker } from './brokers/index.js';
import type { Broker } from './brokers/broker.js';
import { resolveConfig, type TqConfig, type TqConfigInput } from './config.js';
import { TqError } from './errors.js';
import { newTaskId } from './ids.js';
import { isoAt, isoNow } from './iso-time.js';
import { DEFAULT_PRIORITY, encodeMessage, MAX_PRIORITY, MIN_PRIORITY, type Envelope, type TaskMessage } from './message.js';
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

  async sendTask<R = unknown>(name: string, options: SendOptions = {}): Promise<AsyncResult<R>> {
    const envelope = buildEnvelope(this.config, name, options);
    await this.send([envelope], [name]);
    return new AsyncResult<R>(envelope.id, this.broker);
  }

  /** Sends many calls in one broker round trip. */
  async sendMany(calls: { name: string; options?: SendOptions }[]): Promise<AsyncResult[]> {
    const envelopes = calls.map((c) => buildEnvelope(this.config, c.name, c.options ?? {}));
    await this.send(envelopes, calls.map((c) => c.name));
    return envelopes.map((e) => new AsyncResult(e.id, this.broker));
  }

  /** Enqueues, with the task-sent events in the same broker call (one round trip per send). */
  private async send(envelopes: Envelope[], names: string[]): Promise<void> {
    if (!this.config.events) return this.broker.enqueue(envelopes);
    const at = isoNow();
    const events = envelopes.map((e, i) => ({ type: 'task-sent' as const, at, taskId: e.id, task: names[i], queue: e.queue, data: e.etaMs ? { eta: isoAt(e.etaMs) } : undefined }));
    await this.broker.enqueue(envelopes, events);
  }

  asyncResult<R = unknown>(id: string): AsyncResult<R> {
    return new AsyncResult<R>(id, this.broker);
  }

  close(): Promise<void> {
    return this.broker.close();
  }
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

/** Builds and encodes the message for one call; validates what the caller gave. */
export function buildEnvelope(config: TqConfig, name: string, options: SendOptions): Envelope {
  const now = Date.now();
  const args = options.args ?? [];
  const kwargs = options.kwargs ?? {};
  if (!Array.isArray(args)) throw new TqError('BAD_INPUT', 'args must be an array');
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) throw new TqError('BAD_INPUT', 'kwargs must be an object');
  const priority = options.priority ?? DEFAULT_PRIORITY;
  if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new TqError('BAD_INPUT', `priority must be a whole number from 0 to 9, got ${priority}`);
  }
  if (options.countdown !== undefined && options.eta !== undefined) throw new TqError('BAD_INPUT', 'give countdown or eta, not both');
  const eta = options.countdown !== undefined ? toDate(now + seconds('countdown', options.countdown) * 1000) : toIso('eta', options.eta);
  const expires =
    typeof options.expires === 'number' ? toDate(now + seconds('expires', options.expires) * 1000) : toIso('expires', options.expires);
  const id = options.taskId ?? newTaskId();
  const message: TaskMessage = {
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
  return encodeMessage(message, config.maxMessageBytes);
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
