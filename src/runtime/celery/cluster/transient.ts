import { randomUUID } from 'node:crypto';
import { decodeKombu } from '../redis/envelope.js';

/**
 * kombu's envelope around a control request, a reply or a batch of events
 * (kombu/transport/virtual/base.py prepare_message): JSON, the body
 * base64-encoded, transient delivery, what pidbox and the event dispatcher
 * publish with Celery's json serializer.
 */
export function encodeTransient(body: unknown, headers: Record<string, unknown>, exchange: string, routingKey: string): string {
  return JSON.stringify({
    body: Buffer.from(JSON.stringify(body), 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers,
    properties: {
      delivery_mode: 1,
      delivery_info: { exchange, routing_key: routingKey },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
    },
  });
}

export interface Transient {
  body: unknown;
  headers: Record<string, unknown>;
}

/** The body and headers of a published message, or null when it is not JSON tq can read (never throws). */
export function decodeTransient(raw: string): Transient | null {
  const decoded = decodeKombu(raw);
  if (!decoded.ok) return null;
  try {
    return { body: JSON.parse(decoded.body) as unknown, headers: decoded.headers ?? {} };
  } catch {
    return null;
  }
}
