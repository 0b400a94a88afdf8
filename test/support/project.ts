import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '../../src/runtime/client.js';
import { runCli, startCli, type RunningCli } from './cli.js';

/**
 * Where a deployment's broker (and backend) live: a fresh SQLite file, a
 * shared test redis-server with its own key prefix, or a split deployment —
 * RabbitMQ (a virtual host of the machine's service, per setup) or Redis as the
 * broker, with a Redis or SQLite backend.
 */
export interface BrokerSetup {
  name: string;
  /** Broker and backend are two stores: the worker records to the backend first, then moves the message. */
  split?: boolean;
  /** The broker is RabbitMQ (no lease clock, no counts of leased or delayed messages, no ids known). */
  amqp?: boolean;
  start(): Promise<void>;
  deployment(): TestDeployment;
  stop(): Promise<void>;
}

export function sqliteSetup(): BrokerSetup {
  return { name: 'sqlite', start: async () => {}, deployment: () => new TestDeployment(), stop: async () => {} };
}

export function redisSetup(): BrokerSetup {
  let server: { url: string; stop(): Promise<void> } | undefined;
  let n = 0;
  return {
    name: 'redis',
    start: async () => {
      const { startRedisServer } = await import('./redis-server.js');
      server = await startRedisServer();
    },
    deployment: () => new TestDeployment(server!.url, `tqe2e:${process.pid}:${n++}:`),
    stop: async () => server?.stop(),
  };
}

/** A private redis-server for a setup, started and stopped with it. */
function privateRedis() {
  let server: { url: string; stop(): Promise<void> } | undefined;
  return {
    url: () => server!.url,
    start: async () => {
      const { startRedisServer } = await import('./redis-server.js');
      server = await startRedisServer();
    },
    stop: async () => server?.stop(),
  };
}

/** RabbitMQ as the broker, in a virtual host of the machine's service; results in Redis or in a SQLite file. */
export function amqpSetup(backend: 'redis' | 'sqlite'): BrokerSetup {
  const redis = privateRedis();
  let vhost = '';
  let n = 0;
  return {
    name: `amqp+${backend}`,
    split: true,
    amqp: true,
    start: async () => {
      const { rabbitmqctl } = await import('./rabbitmq-server.js');
      vhost = `tqe2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      rabbitmqctl(['add_vhost', vhost]);
      rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
      if (backend === 'redis') await redis.start();
    },
    deployment: () => {
      const prefix = `tqe2e:${n++}:`;
      const d = new TestDeployment(`amqp://guest:guest@127.0.0.1:5672/${vhost}`, prefix, backend === 'redis' ? redis.url() : 'sqlite');
      return d;
    },
    stop: async () => {
      await redis.stop();
      if (vhost) (await import('./rabbitmq-server.js')).rabbitmqctl(['delete_vhost', vhost]);
    },
  };
}

/** Redis as the broker and a SQLite file as the backend: the split path between two stores that could each do both. */
export function redisSqliteSetup(): BrokerSetup {
  const redis = privateRedis();
  let n = 0;
  return {
    name: 'redis+sqlite',
    split: true,
    start: () => redis.start(),
    deployment: () => new TestDeployment(redis.url(), `tqsplit:${process.pid}:${n++}:`, 'sqlite'),
    stop: () => redis.stop(),
  };
}

/**
 * Starts `setup` around a describe block; `deploy()` gives a test a fresh
 * deployment, cleaned up (workers killed, files removed) after that test.
 */
export function useDeployments(setup: BrokerSetup): () => TestDeployment {
  let current: TestDeployment | undefined;
  beforeAll(() => setup.start(), 30_000);
  afterAll(() => setup.stop());
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => (current = setup.deployment());
}

/**
 * A throw-away tq deployment for one test: its own SQLite broker file (or a
 * given broker URL), workers started as real CLI processes, a client for
 * sending, and cleanup of all of it.
 */
export class TestDeployment {
  readonly dir = mkdtempSync(join(tmpdir(), 'tq-test-'));
  readonly workers: RunningCli[] = [];
  private clients: Client[] = [];

  /** Environment every CLI process of this deployment gets (its key prefix on a shared Redis). */
  readonly env: NodeJS.ProcessEnv;

  /** Where results live when not in the broker ('' : the broker's own store). */
  readonly backendUrl: string;

  constructor(
    readonly brokerUrl = '',
    readonly keyPrefix?: string,
    /** A backend URL, or 'sqlite' for a SQLite file of this deployment. */
    backend = '',
  ) {
    if (!brokerUrl) this.brokerUrl = `sqlite://${join(this.dir, 'tq.db')}`;
    this.backendUrl = backend === 'sqlite' ? `sqlite://${join(this.dir, 'results.db')}` : backend;
    this.env = { ...(keyPrefix ? { TQ_KEY_PREFIX: keyPrefix } : {}), ...(this.backendUrl ? { TQ_BACKEND_URL: this.backendUrl } : {}) };
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  async client(): Promise<Client> {
    const client = await createClient({ brokerUrl: this.brokerUrl, backendUrl: this.backendUrl || undefined, cwd: this.dir, keyPrefix: this.keyPrefix });
    this.clients.push(client);
    return client;
  }

  async worker(tasks: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningCli> {
    const w = startCli(['worker', '--broker', this.brokerUrl, '--tasks', tasks, ...args], { env: { ...this.env, ...env } });
    this.workers.push(w);
    await w.waitForOutput(/ready\./, 30_000);
    return w;
  }

  /** Runs one CLI command against this deployment's broker. */
  cli(args: string[], env: NodeJS.ProcessEnv = {}) {
    return runCli([...args, '--broker', this.brokerUrl], { env: { ...this.env, ...env } });
  }

  async cleanup(): Promise<void> {
    for (const w of this.workers) {
      w.signal('SIGKILL');
      await w.exited;
    }
    await Promise.all(this.clients.map((c) => c.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How many lines of `output` say this task id was received. */
export function receivedCount(output: string, id: string): number {
  return output.split('\n').filter((line) => line.includes(`[${id}] received`)).length;
}
