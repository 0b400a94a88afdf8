import { hostname as osHostname } from 'node:os';
import { clientFor } from '../client.js';
import type { PoolName, TqConfig } from '../config.js';
import { discoverTasks, type TaskRegistry } from '../discovery.js';
import { TqError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Broker } from '../brokers/broker.js';
import { Worker } from './worker.js';

export const POOLS: readonly PoolName[] = ['solo', 'async', 'threads', 'prefork'];
/** Pools this build can run; the isolated ones (threads, prefork) are not built yet. */
export const AVAILABLE_POOLS: readonly PoolName[] = ['solo', 'async'];

export interface StartedWorker {
  worker: Worker;
  broker: Broker;
  registry: TaskRegistry;
  hostname: string;
  pool: PoolName;
  concurrency: number;
  close(): Promise<void>;
}

/** Checks the pool, loads the tasks, opens the broker and builds a worker (not yet started). */
export async function prepareWorker(config: TqConfig, log: Logger): Promise<StartedWorker> {
  const pool = config.worker.pool;
  if (!POOLS.includes(pool)) {
    throw new TqError('BAD_INPUT', `unknown pool '${pool}'`, { hint: `choose one of: ${AVAILABLE_POOLS.join(', ')}` });
  }
  if (!AVAILABLE_POOLS.includes(pool)) {
    throw new TqError('BAD_INPUT', `the ${pool} pool is not available yet`, { hint: `use --pool=${AVAILABLE_POOLS.join(' or --pool=')}` });
  }
  const concurrency = pool === 'solo' ? 1 : config.worker.concurrency;
  const registry = await discoverTasks(config);
  const client = await clientFor(config);
  const hostname = config.worker.hostname ?? `tq-${process.pid}@${osHostname()}`;
  const worker = new Worker({
    broker: client.broker,
    registry,
    hostname,
    queues: config.worker.queues,
    concurrency,
    leaseMs: config.leaseMs,
    maxMessageBytes: config.maxMessageBytes,
    log,
  });
  return { worker, broker: client.broker, registry, hostname, pool, concurrency, close: () => client.close() };
}
