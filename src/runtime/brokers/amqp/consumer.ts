import type { Channel, ConsumeMessage } from 'amqplib';
import { Acks } from './acks.js';
import type { Declarations } from './declarations.js';
import { Inbox, type Delivery } from './inbox.js';
import type { AmqpSession } from './session.js';
import { PRIORITY_BANDS, type Names } from './topology.js';

/** basic.qos prefetch_count is an unsigned short. */
const MAX_PREFETCH = 65_535;

/** A delivery of tq's consumer, with the acks of the channel it came on (they refuse once that channel is gone). */
export interface AckableDelivery extends Delivery {
  acks: Acks;
}

/** What the consumer hands a delivery to before it may be reserved (the broker re-delays early arrivals there). */
export type Admit = (delivery: AckableDelivery) => boolean;

/**
 * The consuming side of one AMQP broker: one consumer per priority band of
 * each queue a worker reserves from, all on the session's consuming channel,
 * each with a prefetch of the worker's reservation window (per consumer:
 * quorum queues refuse a channel-wide prefetch). Deliveries wait in the Inbox
 * until a reserve takes them; their acks go through Acks.
 *
 * RabbitMQ applies a prefetch only to consumers started after it is set, so
 * a new window (the pool grew or shrank, the worker's look-ahead changed)
 * starts each band's consumer again under it, the new one before the old is
 * cancelled: nothing is handed back, and what the old one delivered stays
 * leased on the same channel.
 *
 * States per epoch of the consuming channel: no consumers → consuming the
 * asked queues (a reserve for other queues starts theirs and cancels the rest,
 * handing their waiting deliveries back) → gone when the channel or the
 * connection closes (RabbitMQ requeues everything unacked; the Inbox is
 * cleared and the next reserve starts consuming again).
 */
export class Consumer {
  readonly inbox = new Inbox<AckableDelivery>();
  private channel: Channel | undefined;
  private channelAcks: Acks | undefined;
  private prefetch = 0;
  private readonly tags = new Map<string, string[]>();
  private busy: Promise<void> = Promise.resolve();
  /** Changes queued or under way. */
  private changing = 0;

  constructor(
    private readonly session: AmqpSession,
    private readonly declarations: Declarations,
    private readonly names: Names,
    private readonly admit: Admit,
  ) {}

  /** The channel deliveries were made on, while it lives. */
  get current(): Channel | undefined {
    return this.channel;
  }

  /** Makes sure exactly `queues` are consumed, with `prefetch` per band consumer. One change at a time. */
  ensure(queues: readonly string[], prefetch: number, waitMs: number): Promise<void> {
    const wanted = Math.min(MAX_PREFETCH, Math.max(1, prefetch));
    // Nearly every reserve finds nothing to change: it skips the queue of changes (a few promise turns each).
    if (this.changing === 0 && this.channel && wanted === this.prefetch && this.consumesExactly(queues)) return Promise.resolve();
    this.changing++;
    const next = this.busy.then(() => this.apply(queues, wanted, waitMs)).finally(() => this.changing--);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private consumesExactly(queues: readonly string[]): boolean {
    return queues.length === this.tags.size && queues.every((q) => this.tags.has(q));
  }

  /** The consuming channel is gone: forget its consumers and deliveries (RabbitMQ has them back). */
  lost(): void {
    this.channelAcks?.close();
    this.channelAcks = undefined;
    this.channel = undefined;
    this.prefetch = 0;
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
      this.channelAcks = new Acks(channel);
    }
    if (prefetch !== this.prefetch) {
      await channel.prefetch(prefetch, false);
      this.prefetch = prefetch;
      for (const queue of [...this.tags.keys()]) await this.restart(channel, queue);
    }
    for (const queue of queues) {
      if (this.tags.has(queue)) continue;
      await this.declarations.queue(queue);
      this.tags.set(queue, await this.consumeBands(channel, queue));
    }
    for (const queue of [...this.tags.keys()]) if (!queues.includes(queue)) await this.cancel(channel, queue);
  }

  private async consumeBands(channel: Channel, queue: string): Promise<string[]> {
    const tags: string[] = [];
    for (let priority = 0; priority < PRIORITY_BANDS; priority++) {
      const band = this.names.band(queue, priority);
      const { consumerTag } = await channel.consume(band, (message) => this.deliver(channel, queue, priority, message));
      tags.push(consumerTag);
    }
    return tags;
  }

  /** The queue's band consumers again, under the prefetch just set; the old ones go after the new ones are up. */
  private async restart(channel: Channel, queue: string): Promise<void> {
    const old = this.tags.get(queue) ?? [];
    this.tags.set(queue, await this.consumeBands(channel, queue));
    for (const tag of old) await channel.cancel(tag).catch(() => undefined);
  }

  private deliver(channel: Channel, queue: string, priority: number, message: ConsumeMessage | null): void {
    if (channel !== this.channel) return;
    // null: RabbitMQ cancelled the consumer (its queue was deleted); the next reserve consumes it again.
    if (message === null) return void this.tags.delete(queue);
    const acks = this.channelAcks!;
    acks.delivered(message.fields.deliveryTag);
    const delivery = { queue, priority, message, acks };
    if (this.admit(delivery)) this.inbox.push(delivery);
  }

  private async cancel(channel: Channel, queue: string): Promise<void> {
    const tags = this.tags.get(queue) ?? [];
    this.tags.delete(queue);
    for (const tag of tags) await channel.cancel(tag).catch(() => undefined);
    for (const d of this.inbox.drop(queue)) d.acks.nack(d.message, true);
  }
}
