import { hostname } from 'node:os';
import { decodeMessage, MAX_ID_LENGTH, MAX_PRIORITY, MIN_PRIORITY, TASK_NAME_PATTERN, type Envelope, type TaskMessage } from '../message.js';
import { canvasFromEmbed, embedOf, TQ_CANVAS_HEADER, type CeleryEmbed } from './signatures.js';
import { pyRepr, pyReprArgs } from './py-repr.js';

/**
 * Celery's task message, protocol v2 with the JSON serializer (celery/app/amqp.py
 * as_task_v2), apart from the transport's envelope: the header map, the
 * message properties, and the body `[args, kwargs, embed]`. Both transports
 * (kombu's Redis layout, Celery's AMQP layout) carry exactly these parts; only
 * how they wrap them differs.
 *
 * tq's own TaskMessage is the currency above the broker, so a worker decodes,
 * runs, retries and records a Celery message through the same code as a
 * native one: the Celery brokers translate at their boundary, both ways.
 */
export interface CeleryParts {
  headers: Record<string, unknown>;
  properties: CeleryProperties;
  /** The body as JSON text: always a 3-item array (a 2-item one kills a Celery 5.2 worker). */
  body: string;
}

export interface CeleryProperties {
  correlation_id: string;
  /** Only the rpc:// backend reads it; '' is what a sender with no reply queue gives. */
  reply_to: string;
  /** 2: persistent. */
  delivery_mode: number;
  /** 0–9. On Redis 0 is served first, as in tq; Celery's AMQP queue has no priorities. */
  priority: number;
}

/** Headers tq reads into TaskMessage fields; the rest are the caller's own and travel as TaskMessage.headers. */
const KNOWN_HEADERS = new Set([
  'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries', 'timelimit', 'root_id', 'parent_id',
  'argsrepr', 'kwargsrepr', 'origin', 'ignore_result', 'redelivered', TQ_CANVAS_HEADER,
]);
/** tq's per-call limits travel in TaskMessage.headers; on the wire they are Celery's `timelimit`. */
const LIMIT_HEADERS = new Set(['timeLimit', 'softTimeLimit']);
/** Celery's reprs are for logs and monitors; a huge argument must not make every message huge. */
const MAX_REPR_CHARS = 1024;

const ORIGIN = `tq-${process.pid}@${hostname()}`;

/** The Celery parts of a tq message. Never throws for a message tq's own encoder accepted. */
export function toCeleryParts(message: TaskMessage): CeleryParts {
  const userHeaders: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message.headers)) if (!KNOWN_HEADERS.has(k) && !LIMIT_HEADERS.has(k)) userHeaders[k] = v;
  const place = message.chord ?? message.group;
  const headers: Record<string, unknown> = {
    ...userHeaders,
    lang: 'js',
    task: message.task,
    id: message.id,
    shadow: null,
    eta: celeryIso(message.eta),
    expires: celeryIso(message.expires),
    group: place?.id ?? null,
    // Celery numbers chord header members only; a plain group's members carry null.
    group_index: message.chord ? message.chord.index : null,
    retries: message.retries,
    timelimit: [limitOf(message.headers.timeLimit), limitOf(message.headers.softTimeLimit)],
    root_id: message.rootId,
    parent_id: message.parentId,
    argsrepr: pyReprArgs(message.args, MAX_REPR_CHARS),
    kwargsrepr: pyRepr(message.kwargs, MAX_REPR_CHARS),
    origin: ORIGIN,
    ignore_result: message.ignoreResult === true,
  };
  const canvas = tqCanvasOf(message);
  if (canvas) headers[TQ_CANVAS_HEADER] = canvas;
  const body = JSON.stringify([message.args, message.kwargs, embedOf(message)]);
  return {
    headers,
    properties: { correlation_id: message.id, reply_to: '', delivery_mode: 2, priority: message.priority },
    body,
  };
}

export type CeleryDecode = { ok: true; message: TaskMessage } | { ok: false; reason: string; id?: string };

/**
 * A tq message from Celery parts, or why not. `queue` is where it was taken
 * from (the routing key Celery published with). Never throws: what a Celery
 * worker would crash on (no id, a 2-item body, a header of the wrong type)
 * comes back as a reason to dead-letter with.
 */
export function fromCeleryParts(headers: unknown, bodyText: string, queue: string, priority: unknown): CeleryDecode {
  if (!isObject(headers)) return { ok: false, reason: 'no Celery headers (a protocol v1 message, or not a task message)' };
  const id = headers.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return { ok: false, reason: 'header id must be a task id' };
  const fail = (reason: string): CeleryDecode => ({ ok: false, reason, id });
  const task = headers.task;
  if (typeof task !== 'string' || !TASK_NAME_PATTERN.test(task)) return fail('header task must be a task name');
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch (err) {
    return fail(`body is not JSON: ${(err as Error).message}`);
  }
  const parts = bodyParts(body);
  if (typeof parts === 'string') return fail(parts);
  const [args, kwargs, embed] = parts;
  const eta = isoOf(headers.eta);
  if (eta === undefined) return fail(`header eta is not a date: ${String(headers.eta)}`);
  const expires = isoOf(headers.expires);
  if (expires === undefined) return fail(`header expires is not a date: ${String(headers.expires)}`);
  const retries = headers.retries ?? 0;
  if (!Number.isInteger(retries) || (retries as number) < 0) return fail('header retries must be a whole number');
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers)) if (!KNOWN_HEADERS.has(k)) own[k] = v;
  const [hard, soft] = Array.isArray(headers.timelimit) ? headers.timelimit : [];
  if (isSeconds(hard)) own.timeLimit = hard;
  if (isSeconds(soft)) own.softTimeLimit = soft;
  const canvas = canvasFromEmbed(embed, headers, id);
  if (typeof canvas === 'string') return fail(canvas);
  const message: TaskMessage = {
    id,
    task,
    args,
    kwargs,
    queue,
    priority: clampPriority(priority),
    eta,
    expires,
    retries: retries as number,
    rootId: typeof headers.root_id === 'string' ? headers.root_id : id,
    parentId: typeof headers.parent_id === 'string' ? headers.parent_id : null,
    headers: own,
    ...canvas,
  };
  if (headers.ignore_result === true) message.ignoreResult = true;
  return { ok: true, message };
}

/** `[args, kwargs, embed]`, or the v1-style `{args, kwargs}` body Celery still runs; else what is wrong. */
function bodyParts(body: unknown): [unknown[], Record<string, unknown>, CeleryEmbed] | string {
  if (Array.isArray(body)) {
    if (body.length !== 3) return `body must be [args, kwargs, embed], got ${body.length} items`;
    const [args, kwargs, embed] = body as unknown[];
    if (!Array.isArray(args)) return 'body args must be a list';
    if (!isObject(kwargs)) return 'body kwargs must be an object';
    if (embed !== null && !isObject(embed)) return 'body embed must be an object';
    return [args, kwargs, (embed ?? {}) as CeleryEmbed];
  }
  if (isObject(body) && Array.isArray(body.args ?? []) && isObject(body.kwargs ?? {})) {
    return [(body.args ?? []) as unknown[], (body.kwargs ?? {}) as Record<string, unknown>, body as CeleryEmbed];
  }
  return 'body must be [args, kwargs, embed]';
}

/** tq's canvas, whole, for a tq worker: Celery's embed cannot say all of it (groups inside chains, a chord's size). */
function tqCanvasOf(m: TaskMessage): Record<string, unknown> | undefined {
  const c: Record<string, unknown> = {};
  if (m.link) c.link = m.link;
  if (m.linkError) c.linkError = m.linkError;
  if (m.chain) c.chain = m.chain;
  if (m.group) c.group = m.group;
  if (m.chord) c.chord = m.chord;
  return Object.keys(c).length > 0 ? c : undefined;
}

/**
 * ISO-8601 with an explicit +00:00 and six fraction digits, as Python's
 * isoformat writes it: Celery 5.2's parse_iso8601 reads the fraction digits
 * as microseconds, so '.727' would be 727 µs, not 727 ms (an eta up to a
 * second early). Its parser reads `Z` too, older ones not.
 */
function celeryIso(iso: string | null): string | null {
  if (iso === null) return null;
  return iso.replace(/(\.\d+)?Z$/, (_, f: string | undefined) => `${(f ?? '.').padEnd(7, '0').slice(0, 7)}+00:00`);
}

/** A Celery date header as tq's ISO UTC: null stays null, undefined means unreadable. A naive time is local, as Celery takes it. */
function isoOf(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function limitOf(value: unknown): number | null {
  return isSeconds(value) ? value : null;
}

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function clampPriority(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return MIN_PRIORITY;
  return Math.min(MAX_PRIORITY, Math.max(MIN_PRIORITY, Math.round(value)));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The message to send Celery's way for a tq envelope (a send, a retry, a
 * hand-back), on either transport. The envelope's etaMs wins over the body's
 * eta when later: a hand-back delays a message without changing its body, and
 * in Celery's layouts the eta header is the only delay. Queue and priority are
 * the envelope's.
 */
export function celeryMessageOf(envelope: Envelope, maxBytes: number): TaskMessage {
  const decoded = decodeMessage(envelope.body, maxBytes);
  if (!decoded.ok) throw new Error(`tq built a message it cannot decode: ${decoded.reason}`);
  const message = decoded.message;
  if (envelope.etaMs !== null && envelope.etaMs > Date.now() && (message.eta === null || Date.parse(message.eta) < envelope.etaMs)) {
    message.eta = new Date(envelope.etaMs).toISOString();
  }
  message.queue = envelope.queue;
  message.priority = envelope.priority;
  return message;
}
