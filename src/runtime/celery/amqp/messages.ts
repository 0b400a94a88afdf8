import type { Message, Options } from 'amqplib';
import { MAX_PRIORITY, type Envelope, type TaskMessage } from '../../message.js';
import { celeryMessageOf, fromCeleryParts, toCeleryParts, type CeleryDecode } from '../wire.js';

/**
 * Between AMQP messages in Celery's form and tq messages. Celery's parts
 * (wire.ts) map onto AMQP one to one, as kombu's pyamqp transport sends
 * them: the header map as the AMQP headers table, the body `[args, kwargs,
 * embed]` as JSON text, and properties content_type application/json,
 * content_encoding utf-8, correlation_id (the task id), reply_to,
 * delivery_mode 2 and priority.
 *
 * Priority: on RabbitMQ a higher number is served first (when a queue has
 * x-max-priority at all), the reverse of tq's 0-first; AMQP priority is
 * 9 − tq priority both ways, so a priority keeps its meaning on either side.
 * kombu sends 0 when a caller gave none: tq priority 9.
 *
 * Expires: Celery 5.2 also sets it as the AMQP per-message TTL (expiration),
 * and so does tq. A message that expires while queued is dropped by RabbitMQ
 * and no state is written (Celery's own behaviour on RabbitMQ: the result
 * stays PENDING); one that expires after delivery (held for its eta,
 * prefetched) is recorded REVOKED 'expired' by the worker that has it.
 */

/** Headers tq's own publisher adds (publish ids for confirms, dead-letter notes); never passed on as the caller's. */
const TQ_HEADER = /^x-tq-/;

export function amqpPriority(tqPriority: number): number {
  return MAX_PRIORITY - tqPriority;
}

function tqPriority(amqp: unknown): number {
  const p = typeof amqp === 'number' && Number.isFinite(amqp) ? Math.round(amqp) : 0;
  return MAX_PRIORITY - Math.min(MAX_PRIORITY, Math.max(0, p));
}

/** A tq message from a delivery of `queue`, or why it cannot be one (never throws). */
export function decodeDelivery(queue: string, m: Message): CeleryDecode {
  const { contentType, contentEncoding } = m.properties;
  const raw = (m.properties.headers ?? null) as Record<string, unknown> | null;
  const id = typeof raw?.id === 'string' ? raw.id : undefined;
  if (contentType !== 'application/json') {
    return { ok: false, id, reason: `content_type ${JSON.stringify(contentType ?? null)}: tq takes application/json only (Celery's task_serializer='json')` };
  }
  if (contentEncoding !== undefined && contentEncoding !== null && !/^utf-?8$/i.test(String(contentEncoding))) {
    return { ok: false, id, reason: `content_encoding ${JSON.stringify(contentEncoding)} is not utf-8` };
  }
  let headers: Record<string, unknown> | null = null;
  // amqplib gives {} for a message without headers: no task id and no name is no Celery message at all.
  if (raw && (raw.id !== undefined || raw.task !== undefined)) {
    headers = {};
    for (const [k, v] of Object.entries(raw)) if (!TQ_HEADER.test(k) && k !== 'x-death') headers[k] = v;
  }
  return fromCeleryParts(headers, m.content.toString('utf8'), queue, tqPriority(m.properties.priority));
}

/** What to publish for a tq envelope (a send, a retry, a hand-back): Celery's message, due at the later of its eta and the envelope's. */
export function celeryPublish(envelope: Envelope, maxBytes: number): { body: string; options: Options.Publish; message: TaskMessage } {
  const message = celeryMessageOf(envelope, maxBytes);
  const parts = toCeleryParts(message);
  const options: Options.Publish = {
    headers: parts.headers,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    correlationId: parts.properties.correlation_id,
    replyTo: parts.properties.reply_to, // '' as Celery's own client sends it (only the rpc:// backend reads it)
    deliveryMode: parts.properties.delivery_mode,
    priority: amqpPriority(parts.properties.priority),
    messageId: message.id,
  };
  // As Celery 5.2's send_task: expires is also the message's TTL, so RabbitMQ drops it if it expires while queued.
  if (message.expires !== null) options.expiration = String(Math.max(0, Math.round(Date.parse(message.expires) - Date.now())));
  return { body: parts.body, options, message };
}

/** The same message again, as it arrived (a dead letter put back, a long-held eta refreshed): body, properties, Celery's headers. */
export function republishOptions(m: Message, extraHeaders: Record<string, unknown> = {}): Options.Publish {
  const p = m.properties;
  const headers: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p.headers ?? {})) if (!TQ_HEADER.test(k) && k !== 'x-death') headers[k] = v;
  const options: Options.Publish = { headers: { ...headers, ...extraHeaders }, deliveryMode: p.deliveryMode ?? 2 };
  if (p.contentType !== undefined) options.contentType = p.contentType;
  if (p.contentEncoding !== undefined) options.contentEncoding = p.contentEncoding;
  if (p.correlationId !== undefined) options.correlationId = p.correlationId;
  if (p.replyTo !== undefined) options.replyTo = p.replyTo;
  if (p.priority !== undefined) options.priority = p.priority;
  const id = p.messageId ?? (typeof p.headers?.id === 'string' ? p.headers.id : undefined);
  if (id !== undefined) options.messageId = String(id);
  return options;
}
