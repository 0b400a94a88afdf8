import type { Redis } from 'ioredis';
import type { StoredEvent } from '../../cluster.js';
import { EVENT_EXCHANGE, type CeleryChannels } from './names.js';
import type { CeleryEvent } from './events.js';
import { fromCeleryEvent } from './events.js';
import type { Subscriber } from './subscriber.js';
import { decodeTransient, encodeTransient } from './transient.js';

/** Python workers' events kept for readers that are behind; older ones are dropped. */
const BUFFER_CAP = 10_000;
/** Marks the events tq publishes, so a tq reader, which has them in tq's own stream, skips them here. */
const TQ_HEADER = 'tq';

/**
 * Celery's event exchange on Redis (celery/events/dispatcher.py): a fanout
 * exchange, so an event is a PUBLISH on `/<db>.celeryev/<routing key>`,
 * the routing key being its type with '.' for '-'. Several events of one
 * group go as one message, a list, under `<group>.multi` (Celery 4+ batches
 * so, and every Receiver reads lists).
 *
 * Reading keeps what Python workers publish from the first read on (pub/sub
 * has no history), each under a sequence number: tq's event cursor.
 */
export class CeleryEvents {
  private listening: Promise<void> | undefined;
  private seq = 0;
  private readonly buffer: StoredEvent[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Subscriber,
    private readonly channels: CeleryChannels,
  ) {}

  async publish(events: readonly CeleryEvent[], node: string): Promise<void> {
    const byGroup = new Map<string, CeleryEvent[]>();
    for (const e of events) {
      const group = e.type.split('-', 1)[0]!;
      byGroup.set(group, [...(byGroup.get(group) ?? []), e]);
    }
    const headers = { hostname: node, [TQ_HEADER]: true };
    await Promise.all(
      [...byGroup].map(([group, list]) => {
        const routingKey = list.length === 1 ? list[0]!.type.replace('-', '.') : `${group}.multi`;
        const body = list.length === 1 ? list[0] : list;
        return this.redis.publish(this.channels.events(routingKey), encodeTransient(body, headers, EVENT_EXCHANGE, routingKey));
      }),
    );
  }

  /** Starts keeping Python workers' events (if not yet); the cursor of the newest kept. */
  async latest(): Promise<string> {
    await this.listen();
    return String(this.seq);
  }

  /** Events kept after `after` (null: every kept one), at most `max`, waiting up to `waitMs` when none. */
  async read(after: string | null, max: number, waitMs: number, signal?: AbortSignal): Promise<StoredEvent[]> {
    await this.listen();
    const from = after === null ? 0 : Number(after);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const first = this.buffer.findIndex((e) => Number(e.eventId) > from);
      if (first !== -1) return this.buffer.slice(first, first + max);
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return [];
      await new Promise<void>((resolve) => {
        const done = () => (clearTimeout(timer), signal?.removeEventListener('abort', done), this.waiters.delete(done), resolve());
        const timer = setTimeout(done, left);
        signal?.addEventListener('abort', done, { once: true });
        this.waiters.add(done);
      });
    }
  }

  private listen(): Promise<void> {
    this.listening ??= this.subscriber.psubscribe(this.channels.eventsPattern, (_, raw) => this.receive(raw));
    return this.listening;
  }

  private receive(raw: string): void {
    const message = decodeTransient(raw);
    if (!message || message.headers[TQ_HEADER] === true) return;
    const list = Array.isArray(message.body) ? message.body : [message.body];
    for (const item of list) {
      if (typeof item !== 'object' || item === null) continue;
      const event = fromCeleryEvent(item as Record<string, unknown>);
      if (!event) continue;
      this.buffer.push({ ...event, eventId: String(++this.seq) });
    }
    if (this.buffer.length > BUFFER_CAP) this.buffer.splice(0, this.buffer.length - BUFFER_CAP);
    for (const wake of [...this.waiters]) wake();
  }
}
