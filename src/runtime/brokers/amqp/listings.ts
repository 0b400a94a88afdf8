import type { Channel, GetMessage } from 'amqplib';
import type { DeadLetter } from '../../cluster.js';
import { bodyPreview, DEAD_LETTER_CAP, type PurgedTask, type QueueStats, type ScheduledMessage } from '../broker.js';
import { peekMessage } from '../../message.js';
import type { Declarations } from './declarations.js';
import type { Outgoing, Publisher } from './publisher.js';
import type { AmqpSession } from './session.js';
import { bandOfLadderKey, DELIVERY_LIMIT, LADDER_TOP, PRIORITY_BANDS, type Names } from './topology.js';

/** Delayed messages a listing reads at most (the ladder holds every prefix's). */
const LADDER_SCAN = 10_000;

/**
 * The broker's reads and bulk moves: stats, listings of delayed messages and
 * dead letters, purge and requeue-dead. Listings take messages with basic.get
 * on a channel of their own and close it, which hands back everything they
 * did not ack, in its place. They never read the priority bands that way:
 * a quorum queue counts each hand-back as a delivery toward DELIVERY_LIMIT.
 */
export class Listings {
  constructor(
    private readonly session: AmqpSession,
    private readonly names: Names,
    private readonly declarations: Declarations,
    private readonly publisher: Publisher,
  ) {}

  async stats(queues: readonly string[]): Promise<QueueStats[]> {
    const out: QueueStats[] = [];
    for (const queue of queues) {
      await this.declarations.queue(queue);
      const channel = await this.session.channel('setup');
      let ready = 0;
      for (let priority = 0; priority < PRIORITY_BANDS; priority++) ready += (await channel.checkQueue(this.names.band(queue, priority))).messageCount;
      const dead = (await channel.checkQueue(this.names.dead(queue))).messageCount;
      out.push({ queue, ready, scheduled: null, leased: null, dead, oldestReadyAgeMs: null });
    }
    return out;
  }

  /** Ready messages of each queue, taken and acked; `beforeRemove` runs with their ids before any ack (a failure there removes none). */
  async purge(queues: readonly string[], beforeRemove?: (queue: string, removed: PurgedTask[]) => Promise<void>): Promise<Record<string, PurgedTask[]>> {
    const removed: Record<string, PurgedTask[]> = {};
    for (const queue of queues) {
      await this.declarations.queue(queue);
      removed[queue] = await this.session.withPeekChannel(async (channel) => {
        const taken: GetMessage[] = [];
        for (let priority = 0; priority < PRIORITY_BANDS; priority++) taken.push(...(await drain(channel, this.names.band(queue, priority), Infinity)));
        const tasks = taken.map((m) => ({ id: String(m.properties.messageId ?? ''), task: peekMessage(m.content.toString('utf8')).task }));
        await beforeRemove?.(queue, tasks);
        for (const m of taken) channel.ack(m);
        return tasks;
      });
    }
    return removed;
  }

  /**
   * Delayed messages of this prefix, soonest first. The ladder is shared by
   * every tq on the virtual host, so it is read whole (up to LADDER_SCAN
   * messages) and filtered by the band each message is bound for.
   */
  async scheduled(max: number): Promise<ScheduledMessage[]> {
    await this.declarations.ladder();
    const found = await this.session.withPeekChannel(async (channel) => {
      const all: GetMessage[] = [];
      for (let level = 0; level <= LADDER_TOP && all.length < LADDER_SCAN; level++) all.push(...(await drain(channel, this.names.ladder(level), LADDER_SCAN - all.length)));
      return all;
    });
    return found
      .filter((m) => bandOfLadderKey(m.fields.routingKey).startsWith(this.names.prefix))
      .map((m) => ({
        id: String(m.properties.messageId ?? ''),
        queue: String(m.properties.headers?.['x-tq-queue'] ?? ''),
        eta: new Date(Number(m.properties.headers?.['x-tq-eta'] ?? 0)).toISOString(),
        body: bodyPreview(m.content.toString('utf8')),
      }))
      .sort((a, b) => a.eta.localeCompare(b.eta))
      .slice(0, max);
  }

  /** The first `max` dead letters of each queue (RabbitMQ reads a queue from its oldest end), newest first. */
  async dead(queues: readonly string[], max: number): Promise<DeadLetter[]> {
    for (const queue of queues) await this.declarations.queue(queue);
    const letters = await this.session.withPeekChannel(async (channel) => {
      const all: DeadLetter[] = [];
      for (const queue of queues) for (const m of await drain(channel, this.names.dead(queue), max)) all.push(deadLetterOf(queue, m));
      return all;
    });
    return letters.sort((a, b) => b.deadAt.localeCompare(a.deadAt)).slice(0, max);
  }

  /** Publishes each chosen letter back to its queue, confirmed, then acks the letter; the rest stay. */
  async requeueDead(queues: readonly string[], ids: readonly string[] | undefined, runnable: (body: string) => boolean, copy: (queue: string, body: string) => Outgoing): Promise<number> {
    let n = 0;
    for (const queue of queues) {
      await this.declarations.queue(queue);
      n += await this.session.withPeekChannel(async (channel) => {
        let moved = 0;
        for (const m of await drain(channel, this.names.dead(queue), DEAD_LETTER_CAP)) {
          const body = m.content.toString('utf8');
          if ((ids && !ids.includes(String(m.properties.messageId ?? ''))) || !runnable(body)) continue;
          await this.publisher.publish([copy(queue, body)]);
          channel.ack(m);
          moved++;
        }
        return moved;
      });
    }
    return n;
  }
}

/** Up to `max` messages of a queue, unacked on `channel`. */
export async function drain(channel: Channel, queue: string, max: number): Promise<GetMessage[]> {
  const taken: GetMessage[] = [];
  while (taken.length < max) {
    const m = await channel.get(queue, { noAck: false });
    if (m === false) break;
    taken.push(m);
  }
  return taken;
}

export function deadLetterOf(queue: string, m: GetMessage): DeadLetter {
  const h = m.properties.headers ?? {};
  const firstDeath = h['x-death']?.[0];
  const deadAtMs = Number(h['x-tq-dead-at'] ?? (firstDeath ? Number(firstDeath.time.value) * 1000 : Date.now()));
  let reason = typeof h['x-tq-reason'] === 'string' ? h['x-tq-reason'] : undefined;
  if (!reason && h['x-first-death-reason'] === 'delivery_limit') {
    reason = `delivered ${DELIVERY_LIMIT} times without an ack (every worker that took it died or was stopped): RabbitMQ's delivery limit`;
  }
  return {
    id: String(m.properties.messageId ?? ''),
    queue,
    reason: reason ?? `dead-lettered by RabbitMQ (${String(h['x-first-death-reason'] ?? 'unknown reason')})`,
    body: bodyPreview(m.content.toString('utf8')),
    deadAt: new Date(deadAtMs).toISOString(),
  };
}
