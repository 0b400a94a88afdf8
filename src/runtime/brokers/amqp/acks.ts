import type { Channel, Message } from 'amqplib';

/**
 * The acks of one consuming channel, coalesced per turn of the event loop.
 *
 * On a quorum queue every basic.ack frame becomes a Raft command (a log
 * entry RabbitMQ writes and replicates), so at c=50 the acks of tasks that
 * finished together (one Redis reply settling many of them) cost one command
 * each. Instead, acks asked for in one turn are sent together when the turn
 * ends (setImmediate): the run of delivery tags from the oldest unsettled one
 * that are all being acked goes as one ack with multiple=true; the other
 * acked tags go one by one. Nacks are sent at once, and a tag that is still
 * unsettled (in the inbox, running, or re-delayed and waiting for its
 * confirm) is never covered by a multiple ack, because the run stops at it.
 *
 * An ack resolves once its frame was handed to the channel: true, or false
 * when the channel had closed (its deliveries are back in RabbitMQ, and the
 * caller reports a lost lease). The result was written before the ack was
 * asked for (the ledger's order), so coalescing never acks a task whose
 * result is not stored.
 *
 * States: open (tracking this channel's deliveries) → closed (every pending
 * ack resolves false; later ones are refused).
 */
export class Acks {
  /** Delivery tags in the order RabbitMQ made them (ascending), from `head` on. */
  private order: number[] = [];
  private head = 0;
  /** Tags delivered and not yet settled (not acked, not nacked). */
  private readonly open = new Set<number>();
  /** Tags whose ack waits for the end of this turn. */
  private readonly asked = new Set<number>();
  private waiting: ((sent: boolean) => void)[] = [];
  private scheduled = false;
  private closed = false;

  constructor(private readonly channel: Channel) {}

  /** A delivery arrived on this channel. */
  delivered(tag: number): void {
    this.order.push(tag);
    this.open.add(tag);
  }

  /** Acks the delivery at the end of this turn; resolves with whether the channel took the frame. */
  ack(tag: number): Promise<boolean> {
    if (this.closed || !this.open.has(tag)) return Promise.resolve(false);
    this.asked.add(tag);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Nacks the delivery now (requeue: back to its queue). False when the channel is gone. */
  nack(message: Message, requeue: boolean): boolean {
    const tag = message.fields.deliveryTag;
    if (this.closed || !this.open.has(tag)) return false;
    this.open.delete(tag);
    try {
      this.channel.nack(message, false, requeue);
      return true;
    } catch {
      this.close();
      return false;
    }
  }

  /** The channel is gone: pending acks fail, nothing more is sent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.open.clear();
    this.asked.clear();
    this.settleWaiting(false);
  }

  private flush(): void {
    this.scheduled = false;
    if (this.closed) return;
    // The run from the oldest unsettled tag: settled ones are skipped, asked ones join the run.
    let upTo = -1;
    let inRun = 0;
    while (this.head < this.order.length) {
      const tag = this.order[this.head]!;
      if (this.asked.has(tag)) {
        upTo = tag;
        inRun++;
        this.asked.delete(tag);
        this.open.delete(tag);
      } else if (this.open.has(tag)) break;
      this.head++;
    }
    try {
      if (inRun > 1) this.channel.ack(frameOf(upTo), true);
      else if (inRun === 1) this.channel.ack(frameOf(upTo), false);
      for (const tag of this.asked) {
        this.open.delete(tag);
        this.channel.ack(frameOf(tag), false);
      }
      this.asked.clear();
      this.compact();
      this.settleWaiting(true);
    } catch {
      this.close(); // amqplib throws once the channel closed: those deliveries are back in RabbitMQ
    }
  }

  /**
   * Drops settled tags from `order`: the prefix before `head`, and, while an
   * old delivery stays unsettled (a long task), the settled ones behind it,
   * which would otherwise pile up with every short task after it.
   */
  private compact(): void {
    const behind = this.order.length - this.head;
    if (behind > COMPACT_AT && behind > 2 * this.open.size) {
      this.order = this.order.slice(this.head).filter((tag) => this.open.has(tag));
      this.head = 0;
    } else if (this.head > COMPACT_AT && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }

  private settleWaiting(sent: boolean): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(sent);
  }
}

/** Settled tags kept in `order` before it is compacted. */
const COMPACT_AT = 4096;

/** What amqplib's ack reads of a message: its delivery tag. */
function frameOf(tag: number): Message {
  return { fields: { deliveryTag: tag } } as Message;
}
