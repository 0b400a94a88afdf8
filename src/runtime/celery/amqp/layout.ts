import type { Channel } from 'amqplib';
import { TqError } from '../../errors.js';
import type { AmqpSession } from '../../brokers/amqp/session.js';
import { deadArguments, namesFor } from '../../brokers/amqp/topology.js';

/**
 * Celery's layout on RabbitMQ, as a Celery 5.2 worker and client declare it
 * (celery/app/amqp.py Queues.new_missing, kombu/entity.py defaults):
 *
 *   exchange {queue}   direct, durable, not auto-delete ('celery' for Celery's
 *                      default queue: task_default_exchange falls back to the
 *                      queue's name)
 *   queue {queue}      durable classic queue, no arguments (Celery sets
 *                      x-max-priority only when task_queue_max_priority is
 *                      configured), bound to its exchange with routing key
 *                      {queue}
 *
 * Messages are published as Celery's producer sends them to a direct
 * exchange: to the default exchange with the queue's name as routing key.
 *
 * tq adds one queue of its own per queue, never read by Celery:
 *   {p}{queue}.dead    tq's dead letters (malformed messages), a durable
 *                      quorum queue capped at DEAD_LETTER_CAP (topology.ts);
 *                      {p} comes from keyPrefix ('tq:' → 'tq.').
 */
export interface CeleryAmqpNames {
  dead(queue: string): string;
}

export function celeryAmqpNames(keyPrefix: string): CeleryAmqpNames {
  const names = namesFor(keyPrefix || 'tq:');
  return { dead: (queue) => names.dead(queue) };
}

/**
 * Declares a queue's Celery entities and tq's dead-letter queue, once per
 * connection (declaring is idempotent; after a reconnect it runs again). A
 * Celery queue that already exists with other arguments (a deployment that
 * set task_queue_max_priority, or a quorum queue) is used as it is: RabbitMQ
 * refuses the redeclaration, and a passive check then confirms it exists.
 */
export class CeleryDeclarations {
  private readonly done = new Map<string, Promise<void>>();

  constructor(
    private readonly session: AmqpSession,
    private readonly names: CeleryAmqpNames,
  ) {}

  reset(): void {
    this.done.clear();
  }

  queue(queue: string): Promise<void> {
    let pending = this.done.get(queue);
    if (!pending) {
      pending = this.declare(queue).catch((err: unknown) => {
        this.done.delete(queue);
        throw declarationError(err);
      });
      this.done.set(queue, pending);
    }
    return pending;
  }

  private async declare(queue: string): Promise<void> {
    const ch = await this.session.channel('setup');
    await ch.assertExchange(queue, 'direct', { durable: true, autoDelete: false });
    try {
      await ch.assertQueue(queue, { durable: true, exclusive: false, autoDelete: false });
    } catch (err) {
      if (!/PRECONDITION_FAILED/.test((err as Error).message ?? '')) throw err;
      // The refusal closed the setup channel; a passive check on a fresh one says whether it is there.
      await (await this.session.channel('setup')).checkQueue(queue);
    }
    const again: Channel = await this.session.channel('setup');
    await again.bindQueue(queue, queue, queue);
    await again.assertQueue(this.names.dead(queue), { durable: true, arguments: deadArguments() });
  }
}

function declarationError(err: unknown): unknown {
  if (err instanceof TqError) return err;
  const message = (err as Error).message ?? String(err);
  if (/ACCESS_REFUSED/.test(message)) {
    return new TqError('BROKER_UNREACHABLE', `RabbitMQ refused tq's declaration of Celery's queue: ${message}`, {
      hint: 'give the user configure, write and read permissions on the queue, its exchange and tq\'s dead-letter queue (rabbitmqctl set_permissions)',
      cause: err,
    });
  }
  if (/PRECONDITION_FAILED/.test(message)) {
    return new TqError('CONFIG', `RabbitMQ refused tq's declaration: ${message}`, {
      hint: "an exchange or tq's dead-letter queue of that name exists with other settings; delete it or use another keyPrefix",
      cause: err,
    });
  }
  return err;
}
