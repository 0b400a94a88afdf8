import { SEP } from '../redis/layout.js';

/**
 * Where Celery's control and events live on kombu's Redis transport
 * (kombu/transport/redis.py, kombu/pidbox.py, celery/events/event.py), with
 * kombu's `global_keyprefix` in front of every key and channel as kombu puts it:
 *   <gp>/<db>.celery.pidbox               pub/sub: control requests (fanout exchange celery.pidbox)
 *   <gp>/<db>.celeryev/<routing key>      pub/sub: events (fanout exchange celeryev; 'task.succeeded', 'worker.heartbeat', 'task.multi')
 *   <gp>_kombu.binding.reply.celery.pidbox  set "oid\x06\x16\x06\x16<queue>": who waits for replies under which routing key
 *   <gp><oid>.reply.celery.pidbox         list: replies to the requests of one client (LPUSH; the client BRPOPs)
 */
export interface CeleryChannels {
  pidbox: string;
  /** The events channel of a routing key. */
  events(routingKey: string): string;
  /** The pattern every event matches (what a Receiver with routing_key '#' subscribes). */
  eventsPattern: string;
  /** The binding set of an exchange (kombu's keyprefix_queue). */
  binding(exchange: string): string;
  replyBinding: string;
  /** The reply queue list of a client's oid. */
  replyQueue(oid: string): string;
  /** The binding member that routes replies for `oid` to its queue. */
  replyMember(oid: string): string;
  /** The list key of a queue a binding member names. */
  queueKey(queue: string): string;
}

export const CONTROL_EXCHANGE = 'celery.pidbox';
export const REPLY_EXCHANGE = 'reply.celery.pidbox';
export const EVENT_EXCHANGE = 'celeryev';

export function celeryChannels(url: string, globalPrefix: string): CeleryChannels {
  const fanout = `${globalPrefix}/${dbOf(url)}.`;
  return {
    pidbox: `${fanout}${CONTROL_EXCHANGE}`,
    events: (routingKey) => `${fanout}${EVENT_EXCHANGE}/${routingKey}`,
    eventsPattern: `${fanout}${EVENT_EXCHANGE}/*`,
    binding: (exchange) => `${globalPrefix}_kombu.binding.${exchange}`,
    replyBinding: `${globalPrefix}_kombu.binding.${REPLY_EXCHANGE}`,
    replyQueue: (oid) => `${globalPrefix}${oid}.${REPLY_EXCHANGE}`,
    replyMember: (oid) => `${oid}${SEP}${SEP}${oid}.${REPLY_EXCHANGE}`,
    queueKey: (queue) => `${globalPrefix}${queue}`,
  };
}

/** The database number of a redis:// URL (kombu's keyprefix_fanout '/{db}.'). */
export function dbOf(url: string): number {
  const path = new URL(url).pathname.replace(/^\//, '');
  const db = Number.parseInt(path, 10);
  return Number.isInteger(db) && db >= 0 ? db : 0;
}

/**
 * The name a tq worker has on Celery's channels. Celery names nodes
 * `name@host` and addresses them so (`-d celery@box`); a tq name without an
 * '@' gets Celery's default name in front, as a Celery worker started with
 * `-n box` is `celery@box`.
 */
export function celeryNodeName(hostname: string): string {
  return hostname.includes('@') ? hostname : `celery@${hostname}`;
}

/** The tq names a Celery destination can mean: itself, and the bare name a `celery@` was put in front of. */
export function tqNamesOf(destination: string): string[] {
  return destination.startsWith('celery@') ? [destination, destination.slice('celery@'.length)] : [destination];
}
