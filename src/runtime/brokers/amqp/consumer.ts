import type { Channel, ConsumeMessage } from 'amqplib';
import type { Declarations } from './declarations.js';
import { Inbox, type Delivery } from './inbox.js';
import type { AmqpSession } from './session.js';
import { PRIORITY_BANDS, type Names } from './topology.js';

/** What the consumer hands a delivery to before it may be reserved (the broker re-delays early arrivals there). */
export type Admit = (delivery: Delivery) => boolean;

/**
 * The consuming side of one AMQP broker: one consumer per priority band of
 * each queue a worker reserves from, all on the session's consuming channel,
 * each with a prefetch of the worker's reservation window. Deliveries wait in
 * the Inbox until a reserve takes them.
 *
 * States per epoch of the consuming channel: no consumers → consuming the
 * asked queues (a reserve for other queues starts theirs and cancels the rest,
 * handing their waiting deliveries back) → gone when the channel or the
 * connection closes (RabbitMQ requeues everything unacked; the Inbox is
 * cleared and the next reserve starts consuming again).
 */
export class Consumer {
  readonly inbox = new Inbox();
  private channel: Channel | undefined;
  private readonly tags = new Map<string, string[]>();
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly session: AmqpSession,
    private readonly declarations: Declarations,
    private readonly names: Names,
    private readonly admit: Admit,
  ) {}

  /** The channel deliveries were made on, while it lives (acks go there). */
  get current(): Channel | undefined {
    return this.channel;
  }

  /** Makes sure exactly `queues` are consumed, with `prefetch` per band consumer. One change at a time. */
  ensure(queues: readonly string[], prefetch: number, waitMs: number): Promise<void> {
    const next = this.busy.then(() => this.apply(queues, prefetch, waitMs));
    this.busy = next.catch(() => undefined);
    return next;
  }

  /** The consuming channel is gone: forget its consumers and deliveries (RabbitMQ has them back). */
  lost(): void {
    this.channel = undefined;
    this.tags.clear();
    this.inbox.clear();
  }

  /** Stops consuming and hands back what waits here (close of the broker, or of the channel, does the rest). */
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
      await channel.prefetch(Math.max(1, prefetch), false);
    }
    for (const queue of queues) {
      if (this.tags.has(queue)) continue;
      await this.declarations.queue(queue);
      const tags: string[] = [];
      this.tags.set(queue, tags);
      for (let priority = 0; priority < PRIORITY_BANDS; priority++) {
        const band = this.names.band(queue, priority);
        const { consumerTag } = await channel.consume(band, (message) => this.deliver(channel, queue, priority, message));
        tags.push(consumerTag);
      }
    }
    for (const queue of [...this.tags.keys()]) if (!queues.includes(queue)) await this.cancel(channel, queue);
  }

  private deliver(channel: Channel, queue: string, priority: number, message: ConsumeMessage | null): void {
    if (channel !== this.channel) return;
    // null: RabbitMQ cancelled the consumer (its queue was deleted); the next reserve consumes it again.
    if (message === null) return void this.tags.delete(queue);
    const delivery = { queue, priority, message };
    if (this.admit(delivery)) this.inbox.push(delivery);
  }

  private async cancel(channel: Channel, queue: string): Promise<void> {
    const tags = this.tags.get(queue) ?? [];
    this.tags.delete(queue);
    for (const tag of tags) await channel.cancel(tag).catch(() => undefined);
    for (const d of this.inbox.drop(queue)) channel.nack(d.message, false, true);
  }
}
