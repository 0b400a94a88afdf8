import type { DeadLetter } from '../../cluster.js';
import { DEAD_LETTER_CAP, type PurgedTask, type QueueStats } from '../../brokers/broker.js';
import { deadLetterOf, drain } from '../../brokers/amqp/listings.js';
import type { Publisher } from '../../brokers/amqp/publisher.js';
import type { AmqpSession } from '../../brokers/amqp/session.js';
import type { CeleryAmqpNames, CeleryDeclarations } from './layout.js';
import { decodeDelivery, republishOptions } from './messages.js';

/**
 * Reads and bulk moves on Celery's layout: queue depths, purge, and tq's dead
 * letters. Messages are taken with basic.get on a channel of their own that
 * is closed afterwards, which hands back whatever was not acked, in place.
 */
export class CeleryAmqpListings {
  constructor(
    private readonly session: AmqpSession,
    private readonly names: CeleryAmqpNames,
    private readonly declarations: CeleryDeclarations,
    private readonly publisher: Publisher,
  ) {}

  /** Ready and dead per queue; RabbitMQ's protocol counts neither unacked nor held-eta messages (null). */
  async stats(queues: readonly string[]): Promise<QueueStats[]> {
    const out: QueueStats[] = [];
    for (const queue of queues) {
      await this.declarations.queue(queue);
      const channel = await this.session.channel('setup');
      const ready = (await channel.checkQueue(queue)).messageCount;
      const dead = (await channel.checkQueue(this.names.dead(queue))).messageCount;
      out.push({ queue, ready, scheduled: null, leased: null, dead, oldestReadyAgeMs: null });
    }
    return out;
  }

  /** Takes every ready message of each queue and acks them: Celery's own purge, with the ids and names it removed. */
  async purge(queues: readonly string[]): Promise<Record<string, PurgedTask[]>> {
    const removed: Record<string, PurgedTask[]> = {};
    for (const queue of queues) {
      await this.declarations.queue(queue);
      removed[queue] = await this.session.withPeekChannel(async (channel) => {
        const taken = await drain(channel, queue, Infinity);
        const tasks = taken.map((m) => {
          const h = m.properties.headers ?? {};
          return { id: typeof h.id === 'string' ? h.id : '', task: typeof h.task === 'string' ? h.task : '' };
        });
        for (const m of taken) channel.ack(m);
        return tasks;
      });
    }
    return removed;
  }

  /** The first `max` dead letters of each queue, newest first. */
  async dead(queues: readonly string[], max: number): Promise<DeadLetter[]> {
    for (const queue of queues) await this.declarations.queue(queue);
    const letters = await this.session.withPeekChannel(async (channel) => {
      const all: DeadLetter[] = [];
      for (const queue of queues) for (const m of await drain(channel, this.names.dead(queue), max)) all.push(deadLetterOf(queue, m));
      return all;
    });
    return letters.sort((a, b) => b.deadAt.localeCompare(a.deadAt)).slice(0, max);
  }

  /**
   * Publishes each chosen letter that is a runnable Celery message back to its
   * queue exactly as it arrived (confirmed), then acks the letter; the rest stay.
   */
  async requeueDead(queues: readonly string[], ids: readonly string[] | undefined): Promise<number> {
    let n = 0;
    for (const queue of queues) {
      await this.declarations.queue(queue);
      n += await this.session.withPeekChannel(async (channel) => {
        let moved = 0;
        for (const m of await drain(channel, this.names.dead(queue), DEAD_LETTER_CAP)) {
          if (ids && !ids.includes(String(m.properties.messageId ?? ''))) continue;
          if (!decodeDelivery(queue, m).ok) continue;
          await this.publisher.publish([{ exchange: '', routingKey: queue, body: m.content, options: republishOptions(m) }]);
          channel.ack(m);
          moved++;
        }
        return moved;
      });
    }
    return n;
  }
}
