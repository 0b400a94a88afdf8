import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelWaiter } from '../../src/runtime/brokers/redis/channel-waiter.js';
import { createConnection } from '../../src/runtime/brokers/redis/connection.js';
import { startRedisServer } from '../support/redis-server.js';

/** The one subscriber connection behind result waits, on a real redis-server. */
describe('redis channel waiter', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('takes many first subscriptions at once on a fresh connection, and wakes each on its publish', async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.stop());
    const errors: Error[] = [];
    let sub: Redis | undefined;
    const waiter = new ChannelWaiter(() => {
      sub = createConnection(server.url, 'subscriber', undefined);
      sub.on('error', (err: Error) => errors.push(err));
      return sub;
    });
    cleanups.push(() => waiter.close());
    // The first listen opens the connection; the rest are issued the moment the socket is up,
    // before a ready check would have ended: ioredis writes SUBSCRIBE then (it is allowed while
    // Redis loads), and a ready check's INFO sent after its reply fails ("only subscriber
    // commands may be used"). How wide that window is depends on timing, so this test guards
    // the outcome; the subscriber's options (no ready check) are what close it.
    const channels = Array.from({ length: 50 }, (_, i) => `done:${i}`);
    const first = waiter.listen(channels[0]!);
    await once(sub!, 'connect');
    const listeners = [await first, ...(await Promise.all(channels.slice(1).map((c) => waiter.listen(c))))];
    const publisher = new Redis(server.url);
    cleanups.push(() => publisher.disconnect());
    const woken = listeners.map((l) => l.next(30_000));
    for (const c of channels) await publisher.publish(c, '1');
    await Promise.all(woken);
    for (const l of listeners) l.done();
    expect(errors.map((e) => e.message)).toEqual([]);
  });
});
