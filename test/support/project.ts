import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '../../src/runtime/client.js';
import { runCli, startCli, type RunningCli } from './cli.js';

/** Where a deployment's broker lives: a fresh SQLite file, or a shared test redis-server with its own key prefix. */
export interface BrokerSetup {
  name: string;
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

  constructor(
    readonly brokerUrl = '',
    readonly keyPrefix?: string,
  ) {
    if (!brokerUrl) this.brokerUrl = `sqlite://${join(this.dir, 'tq.db')}`;
    this.env = keyPrefix ? { TQ_KEY_PREFIX: keyPrefix } : {};
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  async client(): Promise<Client> {
    const client = await createClient({ brokerUrl: this.brokerUrl, cwd: this.dir, keyPrefix: this.keyPrefix });
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
