import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Acks } from '../../src/runtime/brokers/amqp/acks.js';
import { rabbitmqctl } from '../support/rabbitmq-server.js';

/**
 * Coalesced acks on a real quorum queue (the machine's RabbitMQ, in a virtual
 * host made for this file): which frames go out, and that RabbitMQ ends up
 * holding exactly the deliveries that were not acked.
 */
describe('amqp acks: coalesced per turn', () => {
  const vhost = `tqacks-${randomBytes(4).toString('hex')}`;
  let connection: ChannelModel;

  beforeAll(async () => {
    rabbitmqctl(['add_vhost', vhost]);
    rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
    connection = await amqp.connect(`amqp://guest:guest@127.0.0.1:5672/${vhost}`);
  }, 30_000);

  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    rabbitmqctl(['delete_vhost', vhost]);
  }, 30_000);

  /** A quorum queue holding `n` messages, consumed on a fresh channel until all `n` arrived; its ack frames are recorded. */
  async function delivered(n: number) {
    const queue = `q-${randomBytes(3).toString('hex')}`;
    const setup = await connection.createConfirmChannel();
    await setup.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    for (let i = 0; i < n; i++) setup.sendToQueue(queue, Buffer.from(String(i)), { persistent: true });
    await setup.waitForConfirms();
    await setup.close();
    const channel: Channel = await connection.createChannel();
    const frames: [number, boolean][] = [];
    const ack = channel.ack.bind(channel);
    channel.ack = (message, allUpTo) => {
      frames.push([message.fields.deliveryTag, allUpTo ?? false]);
      ack(message, allUpTo);
    };
    await channel.prefetch(n, false);
    const acks = new Acks(channel);
    const messages: ConsumeMessage[] = [];
    await new Promise<void>((resolve) => {
      void channel.consume(queue, (m) => {
        acks.delivered(m!.fields.deliveryTag);
        messages.push(m!);
        if (messages.length === n) resolve();
      });
    });
    const tag = (i: number) => messages[i]!.fields.deliveryTag;
    /**
     * Closes the channel (its unacked deliveries go back to the queue, all in one step) and
     * counts what the queue holds once they are back: a quorum queue's count lags a little.
     */
    const remaining = async () => {
      await channel.close();
      acks.close();
      const check = await connection.createChannel();
      try {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const { messageCount } = await check.checkQueue(queue);
          if (messageCount > 0 || Date.now() > deadline) return messageCount;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        await check.close();
      }
    };
    return { acks, frames, tag, messages, remaining };
  }

  it('sends the run from the oldest unsettled delivery as one multiple ack, the rest one by one', async () => {
    const { acks, frames, tag, messages, remaining } = await delivered(10);
    // One turn: 0, 1, 2 and 4 (3 still running).
    expect(await Promise.all([tag(1), tag(0), tag(4), tag(2)].map((t) => acks.ack(t)))).toEqual([true, true, true, true]);
    expect(frames).toEqual([
      [tag(2), true],
      [tag(4), false],
    ]);
    // Next turn: 3 and 5..9 (4 is settled already): one multiple ack up to 9.
    frames.length = 0;
    acks.nack(messages[5]!, true); // handed back: it is not in the run's acks, and RabbitMQ has it again
    expect(await Promise.all([3, 6, 7, 8, 9].map((i) => acks.ack(tag(i))))).toEqual([true, true, true, true, true]);
    expect(frames).toEqual([[tag(9), true]]);
    // 5 went back to the queue (nack, requeue); nothing else is left.
    expect(await remaining()).toBe(1);
  });

  it('never covers a delivery that is still unsettled', async () => {
    const { acks, frames, tag, remaining } = await delivered(3);
    expect(await Promise.all([acks.ack(tag(1)), acks.ack(tag(2))])).toEqual([true, true]);
    expect(frames).toEqual([
      [tag(1), false],
      [tag(2), false],
    ]);
    expect(await remaining()).toBe(1); // the first, never acked, is back in the queue
  });

  it('refuses an ack once the channel is gone, and an ack asked twice', async () => {
    const { acks, tag, remaining } = await delivered(2);
    expect(await acks.ack(tag(0))).toBe(true);
    expect(await acks.ack(tag(0))).toBe(false);
    const pending = acks.ack(tag(1));
    acks.close(); // the channel closed within the turn: the frame never went out
    expect(await pending).toBe(false);
    expect(await remaining()).toBe(1);
  });
});
