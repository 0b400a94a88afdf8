import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { rabbitmqctl } from './rabbitmq-server.js';

/**
 * A virtual host of its own on the machine's RabbitMQ (127.0.0.1:5672,
 * guest/guest) for one Celery-on-RabbitMQ test: tq and Python Celery both
 * use Celery's fixed names ('celery'), so tests never share one.
 */
export interface CeleryVhost {
  name: string;
  /** amqp://guest:guest@127.0.0.1:5672/<name>, for tq and for Celery's broker_url alike. */
  url: string;
  drop(): void;
}

export function createCeleryVhost(): CeleryVhost {
  const name = `tqcelery-${randomBytes(4).toString('hex')}`;
  rabbitmqctl(['add_vhost', name]);
  rabbitmqctl(['set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  let dropped = false;
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${name}`,
    drop: () => {
      if (dropped) return;
      dropped = true;
      rabbitmqctl(['delete_vhost', name]);
    },
  };
}

export interface QueueInfo {
  name: string;
  durable: boolean;
  type: string;
  arguments: Record<string, unknown> | unknown[];
  messages: number;
  messages_unacknowledged: number;
}

/** The vhost's queues as RabbitMQ reports them. */
export function listQueues(vhost: string): QueueInfo[] {
  return JSON.parse(rabbitmqctl(['list_queues', '-p', vhost, 'name', 'durable', 'type', 'arguments', 'messages', 'messages_unacknowledged', '--formatter', 'json'])) as QueueInfo[];
}

export function listExchanges(vhost: string): { name: string; type: string; durable: boolean }[] {
  return JSON.parse(rabbitmqctl(['list_exchanges', '-p', vhost, 'name', 'type', 'durable', '--formatter', 'json'])) as { name: string; type: string; durable: boolean }[];
}

/** A queue's ready messages, exact (rabbitmqctl's counts for a quorum queue lag by its stats interval). */
export async function readyCount(url: string, queue: string): Promise<number> {
  const conn = await amqp.connect(url);
  try {
    return (await (await conn.createChannel()).checkQueue(queue)).messageCount;
  } finally {
    await conn.close();
  }
}

/** Publishes raw messages (as any foreign producer might) to a queue, confirmed. */
export async function publishRaw(url: string, queue: string, messages: { body: string; options: amqp.Options.Publish }[]): Promise<void> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue(queue, { durable: true });
    for (const m of messages) ch.publish('', queue, Buffer.from(m.body), m.options);
    await ch.waitForConfirms();
  } finally {
    await conn.close();
  }
}

/** Takes one message from a queue (acked), or null: to look at exactly what a producer sent. */
export async function takeOne(url: string, queue: string): Promise<amqp.GetMessage | null> {
  const conn = await amqp.connect(url);
  try {
    const ch = await conn.createChannel();
    const m = await ch.get(queue, { noAck: true });
    return m === false ? null : m;
  } finally {
    await conn.close();
  }
}
