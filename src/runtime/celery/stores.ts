import type { Backend } from '../brokers/backend.js';
import type { Broker, BrokerOptions } from '../brokers/broker.js';
import type { FusedStore } from '../brokers/fused.js';
import { maskUrl } from '../config.js';
import { TqError } from '../errors.js';
import { CeleryBackend } from './backend.js';

export interface CeleryStoresOptions extends BrokerOptions {
  backendUrl?: string;
  /** kombu's visibility_timeout, ms. */
  visibilityTimeoutMs: number;
  /** kombu's global_keyprefix. */
  celeryKeyPrefix: string;
}

/**
 * The stores of a deployment that speaks Celery (protocol: 'celery'): a
 * broker in Celery's layout (kombu's on Redis, Celery's on RabbitMQ) and
 * Celery's Redis result backend. Never fused: Python workers write results
 * without tq's fencing, so tq writes its records first-wins and then moves
 * the message (the split ledger), as with any separate backend.
 */
export async function openCeleryStores(options: CeleryStoresOptions): Promise<{ broker: Broker; backend: Backend; fused: undefined; close(): Promise<void> }> {
  const backendUrl = options.backendUrl ?? options.url;
  if (!/^rediss?:/i.test(backendUrl)) {
    throw new TqError('CONFIG', `with protocol 'celery' the backend must be Redis (Celery's redis:// result backend), not '${maskUrl(backendUrl)}'`, {
      hint: 'give --backend redis://host:port/db (TQ_BACKEND_URL), the URL of your Celery result_backend',
    });
  }
  const broker = await openCeleryBroker(options);
  try {
    const backend = await openCeleryBackend(options, backendUrl);
    return { broker, backend, fused: undefined, close: async () => void (await Promise.all([broker.close(), backend.close()])) };
  } catch (err) {
    await broker.close();
    throw err;
  }
}

async function openCeleryBroker(options: CeleryStoresOptions): Promise<Broker> {
  const scheme = options.url.split(':', 1)[0]!.toLowerCase();
  let broker: Broker;
  if (scheme === 'redis' || scheme === 'rediss') {
    const { KombuBroker } = await import('./redis/kombu-broker.js');
    broker = new KombuBroker({ ...options, globalKeyPrefix: options.celeryKeyPrefix });
  } else if (scheme === 'amqp' || scheme === 'amqps') {
    const { CeleryAmqpBroker } = await import('./amqp/celery-amqp-broker.js');
    broker = new CeleryAmqpBroker(options);
  } else {
    throw new TqError('CONFIG', `protocol 'celery' needs a redis:// or amqp:// broker, not '${maskUrl(options.url)}'`, {
      hint: "give the URL of your Celery broker_url, or use protocol 'tq' for tq's own brokers (sqlite:// among them)",
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

async function openCeleryBackend(options: CeleryStoresOptions, url: string): Promise<Backend> {
  const { RedisBroker } = await import('../brokers/redis/redis-broker.js');
  const tqState: FusedStore = new RedisBroker({ ...options, url });
  // Celery's control and events live on its broker; on Redis tq speaks them (cluster/), elsewhere they stay in tq's keys.
  let cluster: ConstructorParameters<typeof CeleryBackend>[0]['cluster'];
  if (/^rediss?:/i.test(options.url)) {
    const { CeleryRedisCluster } = await import('./cluster/redis-cluster.js');
    cluster = new CeleryRedisCluster({ url: options.url, globalKeyPrefix: options.celeryKeyPrefix, redisTls: options.redisTls });
  }
  const backend = new CeleryBackend({ url, resultExpiresMs: options.resultExpiresMs, redisTls: options.redisTls, tqState, cluster });
  try {
    await tqState.connect();
    await backend.connect();
  } catch (err) {
    await backend.close().catch(() => undefined);
    throw err;
  }
  return backend;
}
