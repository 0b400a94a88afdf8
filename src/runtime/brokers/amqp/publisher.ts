import type { ConfirmChannel, Message, Options } from 'amqplib';
import { TqError } from '../../errors.js';
import type { AmqpSession } from './session.js';

/** One message to publish: where to, what, and its AMQP properties. */
export interface Outgoing {
  exchange: string;
  routingKey: string;
  body: string | Buffer;
  options: Options.Publish;
}

/**
 * Publishes with publisher confirms: `publish` resolves once RabbitMQ has
 * taken every message (written to its queue; for a quorum queue, to a majority
 * of its replicas) and rejects when one was refused (nack) or could not be
 * routed to any queue (mandatory + basic.return, which RabbitMQ sends before
 * that message's ack). Back-pressure: when the channel's buffer is full, the
 * next message waits for 'drain'.
 */
export class Publisher {
  /** Publish ids returned as unroutable, until their confirm arrives. */
  private readonly returned = new Set<string>();
  private readonly watched = new WeakSet<ConfirmChannel>();
  private sequence = 0;

  constructor(private readonly session: AmqpSession) {}

  async publish(messages: readonly Outgoing[]): Promise<void> {
    if (messages.length === 0) return;
    const channel = await this.session.channel('publish');
    this.watch(channel);
    const confirms: Promise<void>[] = [];
    for (const m of messages) {
      const publishId = `${m.options.messageId ?? ''}#${this.sequence++}`;
      const headers = { ...m.options.headers, 'x-tq-publish': publishId };
      let full = false;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          full = !channel.publish(m.exchange, m.routingKey, Buffer.from(m.body), { ...m.options, headers, mandatory: true }, (err) => {
            if (this.returned.delete(publishId)) return reject(unroutable(m));
            return err ? reject(refused(err)) : resolve();
          });
        }),
      );
      if (full) await drained(channel);
    }
    await Promise.all(confirms);
  }

  private watch(channel: ConfirmChannel): void {
    if (this.watched.has(channel)) return;
    this.watched.add(channel);
    channel.on('return', (message: Message) => {
      const id = message.properties.headers?.['x-tq-publish'];
      if (typeof id === 'string') this.returned.add(id);
    });
  }
}

/** Resolves when the channel can take more, or has closed (its pending confirms then fail). */
function drained(channel: ConfirmChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      channel.off('drain', done);
      channel.off('close', done);
      resolve();
    };
    channel.on('drain', done);
    channel.on('close', done);
  });
}

function unroutable(m: Outgoing): TqError {
  return new TqError('BROKER_UNREACHABLE', `RabbitMQ could not route a message to '${m.routingKey}' (no such queue)`, {
    hint: 'the queue was deleted while tq used it; the next send declares it again',
  });
}

function refused(err: unknown): TqError {
  const message = err instanceof Error ? err.message : String(err);
  return new TqError('BROKER_UNREACHABLE', `RabbitMQ did not confirm a message: ${message}`, {
    hint: 'the message was not taken (a queue over its limits, or the connection dropped); send it again',
    cause: err,
  });
}
