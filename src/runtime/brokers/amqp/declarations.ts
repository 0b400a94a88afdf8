import type { Channel } from 'amqplib';
import { TqError } from '../../errors.js';
import type { AmqpSession } from './session.js';
import {
  bandArguments,
  deadArguments,
  deliverPattern,
  LADDER_TOP,
  ladderArguments,
  ladderPatterns,
  PRIORITY_BANDS,
  type Names,
} from './topology.js';

/**
 * Declares tq's queues and exchanges (see topology.ts) on first use, once per
 * connection: declaring is idempotent, so after a reconnect (a RabbitMQ that
 * lost its definitions, or someone deleted a queue) they are declared again.
 * A queue that exists with other arguments (say a classic queue of the same
 * name) is refused by RabbitMQ; that becomes one clear CONFIG error.
 */
export class Declarations {
  private readonly done = new Map<string, Promise<void>>();

  constructor(
    private readonly session: AmqpSession,
    private readonly names: Names,
  ) {}

  /** Forgets what was declared (called when the connection is back). */
  reset(): void {
    this.done.clear();
  }

  /** The queue's priority bands, its dead-letter queue, and their routes from the delay ladder. */
  queue(queue: string): Promise<void> {
    return this.once(`queue:${queue}`, async (ch) => {
      await ch.assertQueue(this.names.dead(queue), { durable: true, arguments: deadArguments() });
      await ch.assertExchange(this.names.deliver, 'topic', { durable: true });
      for (let priority = 0; priority < PRIORITY_BANDS; priority++) {
        const band = this.names.band(queue, priority);
        await ch.assertQueue(band, { durable: true, arguments: bandArguments(this.names, queue) });
        await ch.bindQueue(band, this.names.deliver, deliverPattern(band));
      }
    });
  }

  /** The delay ladder, shared by every queue (and every tq) on the virtual host. */
  ladder(): Promise<void> {
    return this.once('ladder', async (ch) => {
      // Exchanges first: each level dead-letters into, and binds onward to, the one below.
      await ch.assertExchange(this.names.deliver, 'topic', { durable: true });
      for (let level = 0; level <= LADDER_TOP; level++) await ch.assertExchange(this.names.ladder(level), 'topic', { durable: true });
      for (let level = 0; level <= LADDER_TOP; level++) {
        const name = this.names.ladder(level);
        const { toQueue, onward } = ladderPatterns(level);
        await ch.assertQueue(name, { durable: true, arguments: ladderArguments(this.names, level) });
        await ch.bindQueue(name, name, toQueue);
        await ch.bindExchange(level === 0 ? this.names.deliver : this.names.ladder(level - 1), name, onward);
      }
    });
  }

  private once(key: string, declare: (channel: Channel) => Promise<void>): Promise<void> {
    let pending = this.done.get(key);
    if (!pending) {
      pending = this.session
        .channel('setup')
        .then(declare)
        .catch((err: unknown) => {
          this.done.delete(key);
          throw declarationError(err);
        });
      this.done.set(key, pending);
    }
    return pending;
  }
}

function declarationError(err: unknown): unknown {
  if (err instanceof TqError) return err;
  const message = (err as Error).message ?? String(err);
  if (/PRECONDITION_FAILED/.test(message)) {
    return new TqError('CONFIG', `RabbitMQ refused tq's declaration: ${message}`, {
      hint: 'a queue or exchange of that name exists with other settings (tq declares durable quorum queues); delete it or use another keyPrefix',
      cause: err,
    });
  }
  if (/ACCESS_REFUSED/.test(message)) {
    return new TqError('BROKER_UNREACHABLE', `RabbitMQ refused tq's declaration: ${message}`, {
      hint: "give the user configure, write and read permissions on tq's names (rabbitmqctl set_permissions)",
      cause: err,
    });
  }
  return err;
}
