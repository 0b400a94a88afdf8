import type { TqConfig } from './config.js';
import { TqError } from './errors.js';
import { newTaskId } from './ids.js';
import {
  DEFAULT_PRIORITY, encodeMessage, MAX_ID_LENGTH, MAX_PRIORITY, MIN_PRIORITY, prototypeKeyPath, prototypeKeyProblem, TASK_NAME_PATTERN, truncate,
  type Envelope, type TaskMessage,
} from './message.js';
import type { CanvasFields } from './canvas/wire.js';
import { traceHeaders } from './tracing.js';

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
  /** The workflow this call carries on (see canvas/); set by the canvas, not by hand. */
  canvas?: CanvasFields;
}

/**
 * Builds and encodes the message for one call; validates what the caller gave
 * by the rules a worker decodes with, so what a worker would dead-letter is
 * refused here instead: the task name, the id, and keys that could reach a
 * prototype at any depth of args, kwargs and headers.
 */
export function buildEnvelope(config: Pick<TqConfig, 'defaultQueue' | 'maxMessageBytes'>, name: string, options: SendOptions): Envelope {
  return encodeMessage(buildMessage(config, name, options), config.maxMessageBytes);
}

/**
 * buildEnvelope for a call sent now: an expiry that has already passed is
 * refused, since such a task could never run. (Beat builds its ticks with
 * buildEnvelope on its own clock.) A past eta is allowed: the task runs at once.
 */
export function envelopeToSend(config: Pick<TqConfig, 'defaultQueue' | 'maxMessageBytes'>, name: string, options: SendOptions): Envelope {
  const message = buildMessage(config, name, options);
  if (message.expires !== null && Date.parse(message.expires) <= Date.now()) {
    throw new TqError('BAD_INPUT', `expires ${message.expires} is not in the future: the task could never run`, {
      hint: 'give seconds from now (e.g. 60) or a later ISO-8601 time',
    });
  }
  return encodeMessage(message, config.maxMessageBytes);
}

function buildMessage(config: Pick<TqConfig, 'defaultQueue' | 'maxMessageBytes'>, name: string, options: SendOptions): TaskMessage {
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
    // The caller's trace context (none without an OpenTelemetry SDK): the worker's run joins its trace.
    headers: { ...options.headers, ...limitHeaders(options), ...traceHeaders() },
    ...options.canvas,
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
