import { DEAD_LETTER_CAP } from '../broker.js';

/**
 * Everything tq declares on RabbitMQ, by name and arguments (the README's
 * RabbitMQ section lists the same). `{p}` is the name prefix, from keyPrefix
 * ('tq:' becomes 'tq.').
 *
 * Queues (all durable quorum queues, so a RabbitMQ cluster replicates them):
 *   {p}{queue}.p{0..9}   one per priority band: quorum queues on RabbitMQ 3.10
 *                        have no priorities, so a worker consumes every band of
 *                        a queue and always starts the lowest band it holds.
 *                        A message delivered DELIVERY_LIMIT times without an
 *                        ack (its workers kept dying) is dead-lettered by
 *                        RabbitMQ into {p}{queue}.dead.
 *   {p}{queue}.dead      dead letters, newest last, capped at DEAD_LETTER_CAP.
 *   tq.delay.{0..LADDER_TOP}  the delay ladder (below), one per virtual host
 *                        whatever the prefix.
 * Exchanges (topic): tq.delay.{0..LADDER_TOP} and tq.delay.deliver.
 * Ready messages are published to the default exchange, straight to a band.
 *
 * The delay ladder holds countdown/eta messages inside RabbitMQ. RabbitMQ
 * expires messages only at a queue's head, so one queue of mixed delays would
 * hold a 2 s message behind a 1 h one. Instead level L's queue has a fixed TTL
 * of 2^L ms, so every message in it expires in arrival order. A delay is
 * written in binary in the routing key, highest level first: each level's
 * exchange routes the message into its queue when the level's bit is 1, or on
 * to the next level's exchange when it is 0; a sender publishes to the
 * exchange of the delay's highest set bit (see ladderEntry). A queue dead-letters what expires
 * to the next level's exchange (at-least-once), so the message spends exactly
 * the sum of its set bits' TTLs in the ladder; level 0 hands it to
 * tq.delay.deliver, which routes it to its band by the queue name that ends the
 * routing key. Levels 0..LADDER_TOP cover delays up to ~17 years; a longer one
 * goes round again when it arrives early (the broker re-delays it).
 */
export const PRIORITY_BANDS = 10;
export const LADDER_TOP = 38;
/** Longest delay one trip through the ladder can hold. */
export const MAX_LADDER_DELAY_MS = 2 ** (LADDER_TOP + 1) - 1;
/** Deliveries without an ack after which RabbitMQ moves a message to dead letters. */
export const DELIVERY_LIMIT = 20;

export interface Names {
  /** What every queue name of this prefix starts with. */
  prefix: string;
  band(queue: string, priority: number): string;
  dead(queue: string): string;
  ladder(level: number): string;
  deliver: string;
}

export function namesFor(keyPrefix: string): Names {
  const p = keyPrefix.replace(/:+$/, '') + '.';
  return {
    prefix: p,
    band: (queue, priority) => `${p}${queue}.p${priority}`,
    dead: (queue) => `${p}${queue}.dead`,
    // The ladder routes by the band name that ends each routing key, so one serves every prefix.
    ladder: (level) => `tq.delay.${level}`,
    deliver: 'tq.delay.deliver',
  };
}

const QUORUM = { 'x-queue-type': 'quorum' } as const;

export function bandArguments(names: Names, queue: string): Record<string, unknown> {
  return {
    ...QUORUM,
    'x-delivery-limit': DELIVERY_LIMIT,
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': names.dead(queue),
    'x-dead-letter-strategy': 'at-least-once',
    // at-least-once dead-lettering requires reject-publish overflow (there is no length limit here)
    'x-overflow': 'reject-publish',
  };
}

export function deadArguments(): Record<string, unknown> {
  return { ...QUORUM, 'x-max-length': DEAD_LETTER_CAP, 'x-overflow': 'drop-head' };
}

export function ladderArguments(names: Names, level: number): Record<string, unknown> {
  return {
    ...QUORUM,
    'x-message-ttl': 2 ** level,
    'x-dead-letter-exchange': level === 0 ? names.deliver : names.ladder(level - 1),
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/** The words before a level's bit in a ladder routing key ('*.' per higher level). */
function higherLevels(level: number): string {
  return '*.'.repeat(LADDER_TOP - level);
}

/** Level L's bindings: its queue takes bit L = 1, the next level's exchange bit L = 0. */
export function ladderPatterns(level: number): { toQueue: string; onward: string } {
  return { toQueue: `${higherLevels(level)}1.#`, onward: `${higherLevels(level)}0.#` };
}

/** How {p}delay.deliver routes to a band: past every bit word, the band's name. */
export function deliverPattern(band: string): string {
  return `${'*.'.repeat(LADDER_TOP + 1)}${band}`;
}

/** The band a ladder routing key leads to (what follows the bit words). */
export function bandOfLadderKey(routingKey: string): string {
  return routingKey.split('.').slice(LADDER_TOP + 1).join('.');
}

/**
 * Where a message that waits `delayMs` (capped at MAX_LADDER_DELAY_MS) enters
 * the ladder, and the routing key that holds it there, then reaches `band`.
 * It enters at the exchange of its highest set bit, not at LADDER_TOP's: the
 * levels above would only pass it on (their bits are 0), and each pass is a
 * topic match of the whole key inside RabbitMQ — a burst of delayed sends
 * made RabbitMQ route ~40 exchanges per message, seconds for a thousand on a
 * loaded machine, and every message of the burst was that much late.
 */
export function ladderEntry(delayMs: number, band: string): { level: number; routingKey: string } {
  let rest = BigInt(Math.max(1, Math.min(Math.ceil(delayMs), MAX_LADDER_DELAY_MS)));
  const level = rest.toString(2).length - 1;
  const bits: string[] = [];
  for (let l = 0; l <= LADDER_TOP; l++) {
    bits.push(rest & 1n ? '1' : '0');
    rest >>= 1n;
  }
  return { level, routingKey: `${bits.reverse().join('.')}.${band}` };
}
