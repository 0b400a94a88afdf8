import { canvasProblems, type CanvasFields } from './canvas/wire.js';
import { TqError } from './errors.js';

/**
 * The native task message: one JSON object, UTF-8. Nothing in it ever names a
 * module, a file or code to load; `task` is looked up in the worker's registry.
 */
export interface TaskMessage extends CanvasFields {
  id: string;
  task: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  queue: string;
  /** 0–9, 0 runs first. */
  priority: number;
  /** ISO-8601 UTC, or null to run as soon as possible. */
  eta: string | null;
  /** ISO-8601 UTC after which the task is REVOKED instead of run, or null. */
  expires: string | null;
  /** How many times this task has been retried so far. */
  retries: number;
  rootId: string;
  parentId: string | null;
  headers: Record<string, unknown>;
  /**
   * The sender wants no result stored, not even the state (Celery's
   * `ignore_result` header): the worker writes nothing to the backend.
   */
  ignoreResult?: boolean;
}

/**
 * What a task name may be: 1–200 letters, digits, `_`, `.`, `:` or `-`. The
 * client refuses other names at send time and the worker dead-letters them, so
 * a name never carries a path, a space or a control character.
 */
export const TASK_NAME_PATTERN = /^[\w.:-]{1,200}$/;
/** The longest task id a message may carry. */
export const MAX_ID_LENGTH = 200;

export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 9;
export const DEFAULT_PRIORITY = 4;

/** A message as the broker keeps it: opaque body plus what the broker indexes on. */
export interface Envelope {
  id: string;
  queue: string;
  priority: number;
  /** Epoch ms when the message becomes ready; null or ≤ now for at once. */
  etaMs: number | null;
  /** The encoded message. Brokers store it byte for byte and never parse it. */
  body: string;
}

/** A message to send and the task it calls (what a send records and reports beside the envelope). */
export interface Outgoing {
  envelope: Envelope;
  task: string;
}

export function encodeMessage(message: TaskMessage, maxBytes: number): Envelope {
  let body: string;
  try {
    body = JSON.stringify(message);
  } catch (err) {
    throw new TqError('BAD_INPUT', `task arguments cannot be encoded as JSON: ${(err as Error).message}`);
  }
  const size = Buffer.byteLength(body, 'utf8');
  if (size > maxBytes) {
    throw new TqError('MESSAGE_TOO_LARGE', `message for ${message.task} is ${size} bytes, over the limit of ${maxBytes}`, {
      hint: 'pass a reference (a URL, a row id) instead of the data, or raise maxMessageBytes',
    });
  }
  return {
    id: message.id,
    queue: message.queue,
    priority: message.priority,
    etaMs: message.eta ? Date.parse(message.eta) : null,
    body,
  };
}

export type DecodeResult = { ok: true; message: TaskMessage } | { ok: false; reason: string };

/**
 * Parses and validates a body taken from the broker. Never throws: a malformed
 * message is reported with a reason so the worker can dead-letter it and go on.
 */
export function decodeMessage(body: string, maxBytes: number): DecodeResult {
  const size = surelyFits(body, maxBytes) ? 0 : Buffer.byteLength(body, 'utf8'); // runs once per task
  if (size > maxBytes) return { ok: false, reason: `message is ${size} bytes, over the limit of ${maxBytes}` };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not a JSON object' };
  const m = raw as Record<string, unknown>;
  const problems = messageProblems(m, body);
  if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
  return { ok: true, message: m as unknown as TaskMessage };
}

/** What is wrong with a parsed body, field by field (none for a valid message). */
function messageProblems(m: Record<string, unknown>, body: string): string[] {
  const problems: string[] = [];
  const expect = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  expect(typeof m.id === 'string' && m.id.length > 0 && m.id.length <= MAX_ID_LENGTH, 'id must be a non-empty string');
  expect(typeof m.task === 'string' && TASK_NAME_PATTERN.test(m.task), 'task must be a task name');
  expect(Array.isArray(m.args), 'args must be an array');
  expect(isObject(m.kwargs), 'kwargs must be an object');
  expect(typeof m.queue === 'string', 'queue must be a string');
  expect(Number.isInteger(m.priority) && (m.priority as number) >= MIN_PRIORITY && (m.priority as number) <= MAX_PRIORITY, 'priority must be 0–9');
  expect(m.eta === null || isIsoDate(m.eta), 'eta must be an ISO date or null');
  expect(m.expires === null || isIsoDate(m.expires), 'expires must be an ISO date or null');
  expect(Number.isInteger(m.retries) && (m.retries as number) >= 0, 'retries must be a whole number');
  expect(typeof m.rootId === 'string', 'rootId must be a string');
  expect(m.parentId === null || typeof m.parentId === 'string', 'parentId must be a string or null');
  expect(isObject(m.headers), 'headers must be an object');
  expect(m.ignoreResult === undefined || typeof m.ignoreResult === 'boolean', 'ignoreResult must be true or false');
  problems.push(...canvasProblems(m));
  if (mayHoldPrototypeKey(body)) {
    for (const field of ['args', 'kwargs', 'headers', 'link', 'linkError', 'chain', 'chord', 'group'] as const) {
      const path = prototypeKeyPath(m[field], field);
      if (path) problems.push(prototypeKeyProblem(path));
    }
  }
  return problems;
}

/**
 * Where `value` holds a key that can reach a prototype, as a path such as
 * `kwargs.user.__proto__`, or null when it holds none. Two kinds, at any depth:
 * a `__proto__` key (JSON.parse makes it an own key, which any copy by
 * assignment, such as Object.assign or a hand-written deep merge, turns into a
 * prototype change), and a `prototype` key inside a `constructor` key (the
 * path by which a naive deep merge reaches Object.prototype). A `constructor`
 * or `prototype` key alone is plain data and stays allowed. Cycles (possible
 * in objects a caller builds) are walked once.
 */
export function prototypeKeyPath(value: unknown, root: string): string | null {
  const seen = new Set<object>();
  const stack: { value: unknown; path: string; key: string }[] = [{ value, path: root, key: '' }];
  while (stack.length > 0) {
    const { value: v, path, key: parentKey } = stack.pop()!;
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      v.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]`, key: '' }));
      continue;
    }
    for (const key of Object.keys(v)) {
      if (key === '__proto__' || (key === 'prototype' && parentKey === 'constructor')) return `${path}.${key}`;
      stack.push({ value: (v as Record<string, unknown>)[key], path: `${path}.${key}`, key });
    }
  }
  return null;
}

/** The one wording, at send time and in a dead letter's reason. */
export function prototypeKeyProblem(path: string): string {
  return `${path}: a key that can reach an object's prototype (refused, so no copy of the message can pollute one)`;
}

/**
 * A fast pass for the common case: a body without `__proto__`, `prototype`
 * and any `\u` escape (by which a key could spell them) cannot hold such a
 * key, so it needs no walk.
 */
function mayHoldPrototypeKey(body: string): boolean {
  return MAY_REACH_PROTOTYPE.test(body);
}
const MAY_REACH_PROTOTYPE = /__proto__|prototype|\\u/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A plain object whose own keys cannot reach Object.prototype. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !Object.prototype.hasOwnProperty.call(value, '__proto__');
}

function isIsoDate(value: unknown): boolean {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

/** What can be read from a stored body without trusting it: brokers and inspect use it for display and bookkeeping. */
export interface PeekedMessage {
  task: string;
  retries: number;
  priority: number;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/**
 * Reads the few fields a broker or monitor shows from a body it otherwise
 * treats as opaque. Never throws: a malformed body still has a state (the
 * worker will dead-letter it), so missing or mistyped fields get neutral values.
 */
export function peekMessage(body: string): PeekedMessage {
  let m: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) m = parsed as Record<string, unknown>;
  } catch {
    // neutral values below
  }
  const priority = m.priority;
  return {
    task: typeof m.task === 'string' ? m.task : '',
    retries: typeof m.retries === 'number' ? m.retries : 0,
    priority: Number.isInteger(priority) && (priority as number) >= MIN_PRIORITY && (priority as number) <= MAX_PRIORITY ? (priority as number) : DEFAULT_PRIORITY,
    args: Array.isArray(m.args) ? m.args : [],
    kwargs: isPlainObject(m.kwargs) ? m.kwargs : {},
  };
}

/** True when `text` is short enough to fit `maxBytes` whatever it holds (a UTF-16 unit is at most 3 UTF-8 bytes), so it needs no byte count. */
function surelyFits(text: string, maxBytes: number): boolean {
  return text.length * 3 <= maxBytes;
}

/**
 * A body as a dead letter keeps it: whole when it fits the message size limit
 * (so requeue-dead restores it exactly), else its first `maxBytes` bytes and a
 * note, as dead-letter.lua does on Redis. A cut body is no longer JSON, so
 * requeue-dead leaves it where it is.
 */
export function deadLetterBody(body: string, maxBytes: number): string {
  if (surelyFits(body, maxBytes)) return body;
  const bytes = Buffer.from(body, 'utf8');
  if (bytes.length <= maxBytes) return body;
  return `${bytes.subarray(0, maxBytes).toString('utf8')}... (${bytes.length - maxBytes} more bytes)`;
}

/** Whether a body parses as a JSON object: what requeue-dead takes back (requeue-dead.lua tests the same). */
export function isJsonObject(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null;
  } catch {
    return false;
  }
}

/** Cuts raw bytes to a printable, bounded preview (dead letters, logs). */
export function truncate(text: string, max = 512): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more chars)`;
}
