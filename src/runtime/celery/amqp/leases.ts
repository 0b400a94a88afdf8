import { randomBytes } from 'node:crypto';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Delivery } from '../../brokers/amqp/inbox.js';
import type { AmqpSession } from '../../brokers/amqp/session.js';
import type { Lease, Reservation } from '../../brokers/broker.js';
import type { CeleryDecode } from '../wire.js';

export interface HeldDelivery {
  message: ConsumeMessage;
  queue: string;
  epoch: number;
  /** When this process leased it (a long-held eta is refreshed). */
  since: number;
}

/**
 * The deliveries this process holds, by lease token. A token names this
 * process, the consuming channel's epoch and the delivery tag, so a lease of
 * a channel that has since closed (its deliveries went back to RabbitMQ) is
 * refused instead of being acked on a channel that never made it.
 *
 * States per delivery: leased → settled (ack, nack) | lost (channel closed: `clear`).
 */
export class DeliveryLeases {
  private readonly held = new Map<string, HeldDelivery>();
  private readonly nonce = randomBytes(4).toString('base64url');

  constructor(
    private readonly session: AmqpSession,
    /** The live consuming channel, if any. */
    private readonly channel: () => Channel | undefined,
  ) {}

  /** Leases a delivery: a reservation whose body is tq's message, or one with the problem to dead-letter it with. */
  lease(d: Delivery, decoded: CeleryDecode): Reservation {
    const epoch = this.session.consumeEpoch;
    const token = `${this.nonce}.${epoch}.${d.message.fields.deliveryTag}`;
    this.held.set(token, { message: d.message, queue: d.queue, epoch, since: Date.now() });
    // Classic queues count no deliveries; redelivered says "at least the second".
    const deliveries = d.message.fields.redelivered ? 2 : 1;
    if (!decoded.ok) {
      const id = decoded.id ?? `amqp:${token}`;
      return { id, queue: d.queue, body: d.message.content.toString('utf8'), lease: { id, token }, deliveries, problem: `not a Celery task message tq can run: ${decoded.reason}` };
    }
    const m = decoded.message;
    return { id: m.id, queue: d.queue, body: JSON.stringify(m), lease: { id: m.id, token }, deliveries };
  }

  get(lease: Lease): HeldDelivery | undefined {
    return this.held.get(lease.token);
  }

  /** Whether the lease is still this process's, on the channel that lives. */
  holds(lease: Lease): boolean {
    const held = this.held.get(lease.token);
    return held !== undefined && held.epoch === this.session.consumeEpoch && this.channel() !== undefined;
  }

  /** Acks or nacks a held delivery on its channel; false when the lease is gone. */
  settle(lease: Lease, how: (channel: Channel, message: ConsumeMessage) => void): boolean {
    const held = this.held.get(lease.token);
    if (!held || !this.holds(lease)) return false;
    this.held.delete(lease.token);
    try {
      how(this.channel()!, held.message);
      return true;
    } catch {
      return false; // the channel closed under us: RabbitMQ hands the message to another consumer
    }
  }

  ack(lease: Lease): boolean {
    return this.settle(lease, (channel, message) => channel.ack(message));
  }

  /** The consuming channel is gone: RabbitMQ has every delivery back. */
  clear(): void {
    this.held.clear();
  }
}
