import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Broker } from '../../src/runtime/brokers/broker.js';
import { openBroker } from '../../src/runtime/brokers/index.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import type { BrokerHarness } from './harness.js';

/**
 * The Redis broker under the contract suite: one real redis-server per setup
 * (or TQ_TEST_REDIS_URL), and a fresh key prefix per opened broker so tests
 * can share the server and run in parallel.
 */
export const redisHarness: BrokerHarness = {
  name: 'redis',
  async setup() {
    const external = process.env.TQ_TEST_REDIS_URL;
    const server: RedisServer | undefined = external ? undefined : await startRedisServer();
    const url = external ?? server!.url;
    const run = randomBytes(4).toString('hex');
    const prefixes: string[] = [];
    return {
      open: async (options = {}): Promise<Broker> => {
        const keyPrefix = `tqtest:${run}:${prefixes.length}:`;
        prefixes.push(keyPrefix);
        return openBroker({ url, projectRoot: process.cwd(), resultExpiresMs: options.resultExpiresMs ?? 60_000, keyPrefix, maxMessageBytes: options.maxMessageBytes });
      },
      teardown: async () => {
        if (server) return server.stop();
        await deleteKeys(url, `tqtest:${run}:*`); // a shared server keeps nothing of ours
      },
    };
  },
};

async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
