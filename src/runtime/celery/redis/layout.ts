/**
 * Where kombu's Redis transport keeps a Celery deployment's messages
 * (kombu/transport/redis.py), and tq's few keys beside them. kombu's keys take
 * the transport's `global_keyprefix` (default none); tq's take tq's keyPrefix.
 *
 * kombu's (shared with Python Celery, same names and shapes):
 *   <queue>, <queue>\x06\x163, \x06\x166, \x06\x169  lists, priority bands 0 (0–2), 3 (3–5), 6 (6–8), 9;
 *                         LPUSH to publish, RPOP end served first, band 0 first
 *   unacked               hash delivery_tag -> json [message, exchange, routing_key]
 *   unacked_index         zset delivery_tag -> unix time of delivery (the visibility timeout counts from it)
 *   unacked_mutex         string, held by whoever runs the visibility-timeout restore
 *   _kombu.binding.<exchange>  set of "routing_key\x06\x16pattern\x06\x16queue"
 *   /<db>.celery.pidbox, /<db>.celeryev/<type>  pub/sub channels (control, events)
 * tq's own:
 *   <p>celery:leases      zset delivery_tag -> lease deadline (epoch ms) of what a tq worker holds
 *   <p>celery:holders     hash delivery_tag -> the holding (token, queue; see lua/includes/holding.lua)
 *   <p>celery:dead:<queue> list of dead letters (JSON: id, queue, reason, body, deadAt), newest first
 */
export const SEP = '\x06\x16';
export const PRIORITY_STEPS = [0, 3, 6, 9] as const;

export interface KombuKeys {
  unacked: string;
  unackedIndex: string;
  unackedMutex: string;
  leases: string;
  holders: string;
  /** Prefix of the per-queue dead-letter lists. */
  deadPrefix: string;
  /** kombu's global_keyprefix, in front of every queue list. */
  globalPrefix: string;
}

export function kombuKeys(globalPrefix: string, tqPrefix: string): KombuKeys {
  return {
    unacked: `${globalPrefix}unacked`,
    unackedIndex: `${globalPrefix}unacked_index`,
    unackedMutex: `${globalPrefix}unacked_mutex`,
    leases: `${tqPrefix}celery:leases`,
    holders: `${tqPrefix}celery:holders`,
    deadPrefix: `${tqPrefix}celery:dead:`,
    globalPrefix,
  };
}

/** The list a message of this priority goes to (kombu's _q_for_pri: the highest step at or below it). */
export function bandKey(keys: KombuKeys, queue: string, priority: number): string {
  let step = 0;
  for (const s of PRIORITY_STEPS) if (priority >= s) step = s;
  return step === 0 ? `${keys.globalPrefix}${queue}` : `${keys.globalPrefix}${queue}${SEP}${step}`;
}

/** Every band list of these queues in the order a consumer serves them: band-major, as kombu's BRPOP. */
export function bandKeys(keys: KombuKeys, queues: readonly string[]): { key: string; queue: string }[] {
  const out: { key: string; queue: string }[] = [];
  for (const step of PRIORITY_STEPS) {
    for (const queue of queues) out.push({ key: step === 0 ? `${keys.globalPrefix}${queue}` : `${keys.globalPrefix}${queue}${SEP}${step}`, queue });
  }
  return out;
}

/** The binding a producer declares for a queue on Celery's default direct exchange (the exchange is named after the queue). */
export function bindingOf(keys: KombuKeys, queue: string): { key: string; member: string } {
  return { key: `${keys.globalPrefix}_kombu.binding.${queue}`, member: `${queue}${SEP}${SEP}${queue}` };
}

/** The queue a binding member names, or null. */
export function queueOfBinding(member: string): string | null {
  const parts = member.split(SEP);
  return parts.length === 3 && parts[2] ? parts[2] : null;
}
