import { randomUUID } from 'node:crypto';
import type { CeleryParts } from '../wire.js';

/**
 * kombu's Redis envelope around Celery's parts (kombu/transport/virtual/base.py
 * prepare_message and _inplace_augment_message): one JSON object per list
 * element, the body base64-encoded, `properties` carrying delivery_info and a
 * unique delivery_tag (a Celery worker crashes on an element without them).
 */
export interface KombuMessage {
  body: string;
  'content-encoding': string;
  'content-type': string;
  headers: Record<string, unknown>;
  properties: Record<string, unknown>;
}

export function encodeKombu(parts: CeleryParts, queue: string): string {
  const message: KombuMessage = {
    body: Buffer.from(parts.body, 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: parts.headers,
    properties: {
      ...parts.properties,
      delivery_info: { exchange: '', routing_key: queue },
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
    },
  };
  return JSON.stringify(message);
}

export type KombuDecode =
  | { ok: true; headers: Record<string, unknown>; body: string; priority: unknown; redelivered: boolean }
  | { ok: false; reason: string; id?: string };

/** The parts of one list element, or why it is not a Celery task message tq can take (never throws). */
export function decodeKombu(raw: string): KombuDecode {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(raw) as Record<string, unknown>;
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return { ok: false, reason: 'not a kombu message (a JSON object)' };
  const headers = m.headers as Record<string, unknown> | null;
  const id = typeof headers?.id === 'string' ? headers.id : undefined;
  const properties = (m.properties ?? {}) as Record<string, unknown>;
  const type = m['content-type'];
  if (type !== 'application/json') {
    return { ok: false, id, reason: `content-type ${JSON.stringify(type)}: tq takes application/json only (Celery's task_serializer='json')` };
  }
  if (typeof m.body !== 'string') return { ok: false, id, reason: 'body must be a string' };
  let body = m.body;
  if (properties.body_encoding === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
  else if (properties.body_encoding !== undefined && properties.body_encoding !== null) {
    return { ok: false, id, reason: `body_encoding ${JSON.stringify(properties.body_encoding)} is not base64` };
  }
  const info = properties.delivery_info as Record<string, unknown> | undefined;
  const redelivered = headers?.redelivered === true || info?.redelivered === true;
  return { ok: true, headers: (headers ?? null) as Record<string, unknown>, body, priority: properties.priority, redelivered };
}
