import { maskUrl } from '../config.js';
import { TqError } from '../errors.js';
import type { Broker, BrokerOptions } from './broker.js';

export type { Broker, BrokerOptions, Lease, Reservation, ReserveRequest, FinishOutcome, QueueStats } from './broker.js';

/**
 * Opens the broker named by a URL and checks that it is reachable. Each
 * implementation is imported on demand, so a SQLite user never loads ioredis
 * and a Redis user never loads the native SQLite module.
 */
export async function openBroker(options: BrokerOptions): Promise<Broker> {
  const scheme = options.url.split(':', 1)[0]!.toLowerCase();
  let broker: Broker;
  switch (scheme) {
    case 'sqlite': {
      const { SqliteBroker } = await import('./sqlite/sqlite-broker.js');
      broker = new SqliteBroker(options);
      break;
    }
    case 'redis':
    case 'rediss': {
      const { createRedisBroker } = await import('./redis/index.js');
      broker = createRedisBroker(options);
      break;
    }
    default:
      throw new TqError('CONFIG', `unsupported broker URL '${maskUrl(options.url)}'`, {
        hint: 'use sqlite://PATH (the default, .tq/tq.db) or redis://host:port/db',
      });
  }
  try {
    await broker.connect();
  } catch (err) {
    await broker.close().catch(() => undefined);
    throw err;
  }
  return broker;
}
