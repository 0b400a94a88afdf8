import { availableParallelism, hostname as osHostname } from 'node:os';
import { clientFor } from '../client.js';
import type { PoolName, TqConfig } from '../config.js';
import { discoverTasks, type TaskRegistry } from '../discovery.js';
import { TqError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Broker } from '../brokers/broker.js';
import type { Stores } from '../brokers/index.js';
import { parseRateLimit } from './policy.js';
import { InProcessPool } from './pools/in-process.js';
import { IsolatedPool } from './pools/isolated.js';
import { loadPrecompiled, precompileTaskFiles } from './pools/precompiled.js';
import type { Pool } from './pools/pool.js';
import { Worker } from './worker.js';
import { registerQueues } from '../queue-stats.js';

export const POOLS: readonly PoolName[] = ['solo', 'async', 'threads', 'prefork'];

export interface PreparedWorker {
  worker: Worker;
  stores: Stores;
  registry: TaskRegistry;
  pool: Pool;
  hostname: string;
  /** Closes the broker and backend (after a stop). */
  close(): Promise<void>;
  /** For a start-up that failed after this: ends the pool, hands back anything held, closes the broker. */
  abort(): Promise<void>;
}

export interface PrepareOptions {
  color?: boolean;
  /** Refuse a Redis that may evict keys. */
  strict?: boolean;
  /**
   * Checks that need the tasks (a -B schedule): run after discovery, before
   * the broker or the pool is opened, so a failure leaves nothing to close.
   */
  check?(registry: TaskRegistry): void;
}

/**
 * Checks the pool and the tasks' options, loads the tasks, runs `check`, opens
 * the broker, starts the pool, and warns when the queues hold tasks this
 * worker cannot run. What it opened is closed again if a later step fails.
 */
export async function prepareWorker(config: TqConfig, log: Logger, options: PrepareOptions = {}): Promise<PreparedWorker> {
  const name = config.worker.pool;
  if (!POOLS.includes(name)) throw new TqError('BAD_INPUT', `unknown pool '${name}'`, { hint: `choose one of: ${POOLS.join(', ')}` });
  // TypeScript task files compiled once (esbuild) and loaded without tsx, here and in prefork children:
  // tsx cost each process ~25 MiB and 0.4 s. Anything that cannot be compiled so still goes through tsx.
  const compiled = await precompileTaskFiles(config.tasksDir, log);
  if (compiled) loadPrecompiled(compiled);
  const registry = await discoverTasks(config);
  checkTaskOptions(registry, name, log);
  options.check?.(registry);
  const hostname = config.worker.hostname ?? `tq-${process.pid}@${osHostname()}`;
  const pool = createPool(config, name, hostname, log, options.color ?? false, compiled);
  const client = await clientFor(config);
  try {
    // A Redis broker and a Redis backend may each lose data to eviction; one store is checked once.
    for (const store of new Set<Broker>([client.broker, client.backend as unknown as Broker])) await checkEviction(store, options.strict ?? false, log);
    await pool.start();
  } catch (err) {
    await pool.close();
    await client.close();
    throw err;
  }
  const worker = new Worker({
    stores: client.stores,
    registry,
    pool,
    hostname,
    queues: config.worker.queues,
    prefetchMultiplier: config.worker.prefetchMultiplier,
    leaseMs: config.leaseMs,
    maxMessageBytes: config.maxMessageBytes,
    defaultQueue: config.defaultQueue,
    resultExpiresMs: config.resultExpiresMs,
    log,
  });
  // Revocations stored while this worker was away are known before it takes anything (a broker that
  // cannot remove a message by id, RabbitMQ, still holds them; the worker skips them).
  for (const id of await client.backend.listRevoked()) worker.revoked.add(id);
  await registerQueues(client.stores, config.worker.queues);
  await worker.foreign.warnAtStartup(registry, config.worker.queues).catch((err: unknown) => log.warn(`could not look for tasks this worker cannot run in its queues: ${(err as Error).message}`));
  return {
    worker, stores: client.stores, registry, pool, hostname,
    close: () => client.close(),
    abort: async () => {
      await worker.stopNow();
      await client.close();
    },
  };
}

/**
 * A Redis that may evict keys can silently drop queued messages: say so loudly, or refuse with --strict.
 * First, that Redis lets the worker work at all (ACL, memory, a replica…): a refusal stops start-up
 * here, before the pool starts, with one line (exit 4). A policy the worker cannot read (an ACL user
 * without CONFIG) is not taken for safe: a warning, or with --strict a refusal (exit 4).
 */
async function checkEviction(broker: Broker, strict: boolean, log: Logger): Promise<void> {
  if (broker.kind !== 'redis') return;
  const { checkAccess, checkEvictionPolicy } = await import('../brokers/redis/index.js');
  await checkAccess(broker);
  let policy: string | null;
  let why = 'Redis named none';
  try {
    policy = await checkEvictionPolicy(broker);
  } catch (err) {
    if (!(err instanceof TqError) || err.code !== 'BROKER_REFUSED') throw err;
    policy = null;
    why = (err.cause as Error | undefined)?.message ?? err.message;
  }
  if (policy === 'noeviction') return;
  const unknown = policy === null;
  const message = unknown
    ? `cannot read Redis maxmemory-policy (${why.trim()}), so cannot check that Redis never evicts queued tasks`
    : `Redis maxmemory-policy is '${policy}': under memory pressure Redis may evict queued tasks and results`;
  const hint = unknown
    ? "verify it is noeviction (as an admin: CONFIG GET maxmemory-policy), or grant tq's user +config|get"
    : 'run CONFIG SET maxmemory-policy noeviction (and persist it in redis.conf)';
  if (strict) throw new TqError(unknown ? 'BROKER_REFUSED' : 'CONFIG', `--strict: ${message}`, { hint });
  log.warn(`${message}. ${hint}; --strict refuses to start.`);
}

function createPool(config: TqConfig, name: PoolName, hostname: string, log: Logger, color: boolean, compiled: string | undefined): Pool {
  const w = config.worker;
  switch (name) {
    case 'solo':
      return new InProcessPool('solo', 1, hostname, log);
    case 'async':
      return new InProcessPool('async', w.concurrency ?? 10, hostname, log);
    default:
      return new IsolatedPool({
        kind: name,
        size: w.concurrency ?? availableParallelism(),
        setup: { tasksDir: config.tasksDir, projectRoot: config.projectRoot, hostname, loglevel: w.loglevel, color, compiled: name === 'prefork' ? compiled : undefined },
        log,
        maxTasksPerChild: w.maxTasksPerChild,
        maxMemoryPerChildKb: w.maxMemoryPerChild,
      });
  }
}

/** Refuses bad rate limits at start-up, and says plainly when a hard limit can only act as a soft one. */
function checkTaskOptions(registry: TaskRegistry, pool: PoolName, log: Logger): void {
  for (const { name, task } of registry.entries()) {
    const { rateLimit, timeLimit } = task.options;
    if (rateLimit) {
      try {
        parseRateLimit(rateLimit);
      } catch (err) {
        throw new TqError('CONFIG', `task '${name}': ${(err as Error).message}`);
      }
    }
    if (timeLimit !== undefined && (pool === 'solo' || pool === 'async')) {
      log.warn(`task '${name}' has a hard time limit (${timeLimit}s), but the ${pool} pool cannot end a running task: it is applied as a soft limit (use --pool=threads or prefork to enforce it)`);
    }
  }
}
