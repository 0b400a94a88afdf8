import { maskUrl } from '../config.js';
import { TqError } from '../errors.js';
import type { Backend } from './backend.js';
import type { Broker, BrokerOptions } from './broker.js';
import { isFusedStore, type FusedStore } from './fused.js';

export type { Broker, BrokerOptions, Lease, Reservation, ReserveRequest, FinishOutcome, QueueStats } from './broker.js';
export type { Backend } from './backend.js';
export type { FusedStore } from './fused.js';

/**
 * The broker and backend a deployment uses. `fused` is set when both roles
 * are one store (the broker's URL is the backend's, SQLite or Redis): every
 * step of a task is then one atomic call (see fused.ts). Otherwise the worker
 * writes state to the backend first (first-wins) and then moves the message.
 */
export interface Stores {
  readonly broker: Broker;
  readonly backend: Backend;
  readonly fused: FusedStore | undefined;
  close(): Promise<void>;
}

export interface StoresOptions extends BrokerOptions {
  /** Where results and cluster state live; default: the broker's own store. */
  backendUrl?: string;
  /** 'celery': Celery's layout and formats on the broker and backend (src/runtime/celery/); default tq's own. */
  protocol?: 'tq' | 'celery';
  /** With protocol 'celery': kombu's visibility_timeout in ms and global_keyprefix. */
  celery?: { visibilityTimeoutMs: number; keyPrefix: string };
}

/**
 * Opens the broker and the backend that `options` name and checks that both
 * are reachable; one store when they are the same. Each implementation is
 * imported on demand, so a SQLite user never loads ioredis or amqplib.
 */
export async function openStores(options: StoresOptions): Promise<Stores> {
  if (options.protocol === 'celery') {
    const { openCeleryStores } = await import('../celery/stores.js');
    const celery = options.celery ?? { visibilityTimeoutMs: 3_600_000, keyPrefix: '' };
    return openCeleryStores({ ...options, visibilityTimeoutMs: celery.visibilityTimeoutMs, celeryKeyPrefix: celery.keyPrefix });
  }
  const backendUrl = options.backendUrl ?? options.url;
  const fused = sameStore(backendUrl, options.url);
  // Checked before dialling anything: a missing backend is bad input (exit 2), whatever the network says.
  if (fused && isBrokerOnly(options.url)) throw noBackend(options.url);
  if (isBrokerOnly(backendUrl)) throw notABackend(backendUrl);
  const broker = await openBroker(options);
  if (fused) return { broker, backend: broker as FusedStore, fused: broker as FusedStore, close: () => broker.close() };
  let backend: Broker;
  try {
    backend = await openBroker({ ...options, url: backendUrl });
  } catch (err) {
    await broker.close();
    throw err;
  }
  if (!isFusedStore(backend)) throw notABackend(backendUrl);
  return { broker, backend, fused: undefined, close: async () => void (await Promise.all([broker.close(), backend.close()])) };
}

function notABackend(url: string): TqError {
  return new TqError('CONFIG', `'${maskUrl(url)}' cannot be a backend: RabbitMQ carries messages, not results`, {
    hint: 'give --backend redis://host:port/db or sqlite://PATH',
  });
}

/** The one line a deployment on RabbitMQ without a backend stops with (exit 2). */
export function noBackend(brokerUrl: string): TqError {
  return new TqError('CONFIG', `the broker ${maskUrl(brokerUrl)} (RabbitMQ) keeps messages, not results or worker state: it needs a backend`, {
    hint: 'give --backend redis://host:port/db or sqlite://PATH (or backendUrl in tq.config, TQ_BACKEND_URL)',
  });
}

/** Whether a URL names a store that can only be a broker. */
export function isBrokerOnly(url: string): boolean {
  return /^amqps?:/i.test(url);
}

/** Two URLs for one store (a trailing slash or the scheme's case do not make another). */
function sameStore(a: string, b: string): boolean {
  const norm = (u: string) => u.trim().replace(/^([a-z+]+):/i, (m) => m.toLowerCase()).replace(/\/+$/, '');
  return norm(a) === norm(b);
}

/** Opens one store by its URL's scheme and connects it (a SQLite or Redis one is a FusedStore). */
export async function openBroker(options: BrokerOptions): Promise<Broker> {
  const scheme = options.url.split(':', 1)[0]!.toLowerCase();
  let store: Broker;
  switch (scheme) {
    case 'sqlite': {
      const { SqliteBroker } = await import('./sqlite/sqlite-broker.js');
      store = new SqliteBroker(options);
      break;
    }
    case 'redis':
    case 'rediss': {
      const { createRedisBroker } = await import('./redis/index.js');
      store = createRedisBroker(options);
      break;
    }
    case 'amqp':
    case 'amqps': {
      const { AmqpBroker } = await import('./amqp/amqp-broker.js');
      store = new AmqpBroker(options);
      break;
    }
    case 'redis+cluster':
    case 'rediss+cluster': {
      // The URL form is settled (cluster/cluster-url.ts), and a malformed one gets its own reason;
      // running on a cluster needs the slot-aware key layout, which is not built yet.
      const { parseClusterUrl } = await import('./redis/cluster/cluster-url.js');
      parseClusterUrl(options.url);
      throw new TqError('CONFIG', `tq cannot use the Redis Cluster at '${maskUrl(options.url)}' yet: its keys are not laid out for cluster slots`, {
        hint: 'use a standalone Redis (redis://host:port/db) for now',
      });
    }
    default:
      throw new TqError('CONFIG', `unsupported broker URL '${maskUrl(options.url)}'`, {
        hint: 'use sqlite://PATH (the default, .tq/tq.db), redis://host:port/db or amqp://user:pass@host:5672/vhost',
      });
  }
  try {
    await store.connect();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

/** The deployment's stores as banners show them, passwords masked: one URL, or the broker's and then the backend's. */
export function storesLabel(stores: Stores): string {
  return stores.fused ? stores.broker.displayUrl : `${stores.broker.displayUrl} (backend ${stores.backend.displayUrl})`;
}
