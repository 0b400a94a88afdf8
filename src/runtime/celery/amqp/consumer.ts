import type { Channel, ConsumeMessage } from 'amqplib';
import type { AmqpSession } from '../../brokers/amqp/session.js';
import type { CeleryDeclarations } from './layout.js';

/**
 * The consuming side on Celery's layout: one consumer per Celery queue a
 * worker reserves from, on the session's consuming channel (closing it hands
 * every unacked delivery back, which is how a dead worker's leases end).
 *
 * Prefetch is channel-wide (basic.qos global), as a Celery worker sets it on
 * RabbitMQ, so it can be raised while consumers run: the worker's window
 * plus the eta messages held unacked here (Celery's qos.increment_eventually),
 * or held etas would starve the worker of work that is due.
 *
 * States per epoch of the consuming channel: no consumers → consuming the
 * asked queues (a reserve for other queues starts theirs and cancels the rest)
 * → gone when the channel or connection closes (RabbitMQ has the deliveries
 * back; the next reserve consumes again).
 */
export class CeleryConsumer {
  private channel: Channel | undefined;
  private readonly tags = new Map<string, string>();
  private busy: Promise<void> = Promise.resolve();
  private prefetch = 0;

  constructor(
    private readonly session: AmqpSession,
    private readonly declarations: CeleryDeclarations,
    private readonly deliver: (queue: string, message: ConsumeMessage) => void,
    /** Called with the queue whose consumer was cancelled here (its waiting deliveries go back). */
    private readonly cancelled: (channel: Channel, queue: string) => void,
  ) {}

  get current(): Channel | undefined {
    return this.channel;
  }

  /** Makes sure exactly `queues` are consumed with a channel prefetch of `prefetch`. One change at a time. */
  ensure(queues: readonly string[], prefetch: number, waitMs: number): Promise<void> {
    const next = this.busy.then(() => this.apply(queues, prefetch, waitMs));
    this.busy = next.catch(() => undefined);
    return next;
  }

  /** Raises or lowers the channel's prefetch (held etas come and go). */
  setPrefetch(prefetch: number): void {
    const channel = this.channel;
    const n = Math.max(1, prefetch);
    if (!channel || n === this.prefetch) return;
    this.prefetch = n;
    channel.prefetch(n, true).catch(() => undefined);
  }

  lost(): void {
    this.channel = undefined;
    this.prefetch = 0;
    this.tags.clear();
  }

  async stop(): Promise<void> {
    const channel = this.channel;
    if (!channel) return;
    for (const queue of [...this.tags.keys()]) await this.cancel(channel, queue);
  }

  private async apply(queues: readonly string[], prefetch: number, waitMs: number): Promise<void> {
    const channel = await this.session.channel('consume', waitMs);
    if (channel !== this.channel) {
      this.lost();
      this.channel = channel;
    }
    if (this.prefetch !== Math.max(1, prefetch)) {
      this.prefetch = Math.max(1, prefetch);
      await channel.prefetch(this.prefetch, true);
    }
    for (const queue of queues) {
      if (this.tags.has(queue)) continue;
      await this.declarations.queue(queue);
      const { consumerTag } = await channel.consume(queue, (message) => {
        if (channel !== this.channel) return;
        // null: RabbitMQ cancelled the consumer (the queue was deleted); the next reserve consumes again.
        if (message === null) return void this.tags.delete(queue);
        this.deliver(queue, message);
      });
      this.tags.set(queue, consumerTag);
    }
    for (const queue of [...this.tags.keys()]) if (!queues.includes(queue)) await this.cancel(channel, queue);
  }

  private async cancel(channel: Channel, queue: string): Promise<void> {
    const tag = this.tags.get(queue);
    this.tags.delete(queue);
    if (tag) await channel.cancel(tag).catch(() => undefined);
    this.cancelled(channel, queue);
  }
}
