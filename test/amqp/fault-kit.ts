import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '../../src/runtime/client.js';
import type { ResultRecord } from '../../src/runtime/states.js';
import { startCli, type RunningCli } from '../support/cli.js';
import { startRabbitServer, type RabbitServer } from '../support/rabbitmq-server.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { readRuns, TASKS_DIR, type Run } from '../redis/fault-kit.js';

export { tally, type Run } from '../redis/fault-kit.js';

/**
 * Around a describe block: one private RabbitMQ node for the file (booting one
 * takes seconds), and per test a rig on it with its own key prefix (so its own
 * queues), its own redis-server as the result backend and its own run log,
 * closed after its test whatever happened.
 */
export function useAmqpRig(): { start(): Promise<AmqpRig>; readonly rabbit: RabbitServer } {
  let rabbit: RabbitServer | undefined;
  let rig: AmqpRig | undefined;
  let n = 0;
  beforeAll(async () => {
    rabbit = await startRabbitServer();
  }, 90_000);
  afterAll(async () => rabbit?.stop(), 30_000);
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  }, 30_000);
  return {
    start: async () => (rig = await startAmqpRig(rabbit!, `tqfault${n++}:`)),
    get rabbit() {
      return rabbit!;
    },
  };
}

/**
 * RabbitMQ as the broker, a redis-server as the backend, a client to send
 * `work(n, ms)` tasks (test/fixtures/redis-tasks) and built `tq worker`
 * processes. Runs are counted from the log the fixture task appends to.
 * Everything it starts it stops by pid in `close()` (the RabbitMQ node
 * belongs to the caller).
 */
export interface AmqpRig {
  rabbit: RabbitServer;
  backend: RedisServer;
  client: Client;
  queue: string;
  /**
   * Starts a worker; `heartbeatS` sets its AMQP heartbeat (?heartbeat=N in its broker URL): how soon
   * RabbitMQ cuts it when it freezes (default 10 s).
   */
  startWorker(name: string, options?: { concurrency?: number; heartbeatS?: number }): Promise<RunningCli>;
  /** Sends `work(n, ms)` for each n in one bulk call (confirmed by RabbitMQ when it resolves); returns the task ids by n. */
  send(ns: number[], ms: number, extra?: (n: number) => { countdown?: number }): Promise<string[]>;
  results(ids: readonly string[]): Promise<(ResultRecord | null)[]>;
  /** How many of `ids` have succeeded. */
  doneCount(ids: readonly string[]): Promise<number>;
  runs(): Run[];
  /** How many times each n ran. */
  runCounts(): Map<number, number>;
  close(): Promise<void>;
}

export async function startAmqpRig(rabbit: RabbitServer, keyPrefix: string): Promise<AmqpRig> {
  const backend = await startRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'tq-amqp-faults-'));
  const log = join(dir, 'runs.log');
  const queue = 'faults';
  const client = await createClient({ cwd: dir, brokerUrl: rabbit.url, backendUrl: backend.url, keyPrefix, defaultQueue: queue });
  const workers: RunningCli[] = [];
  const runs = () => readRuns(log);
  const results = (ids: readonly string[]) => Promise.all(ids.map((id) => client.backend.getResult(id)));

  return {
    rabbit,
    backend,
    client,
    queue,
    async startWorker(name, { concurrency = 10, heartbeatS } = {}) {
      const brokerUrl = heartbeatS ? `${rabbit.url}?heartbeat=${heartbeatS}` : rabbit.url;
      const args = ['worker', '--broker', brokerUrl, '--pool', 'async', '-c', String(concurrency), '-Q', queue, '-n', name, '--tasks', TASKS_DIR];
      // TQ_LEASE_MS sets how often the worker asks the broker which of its deliveries' channels closed.
      const env = { TQ_BACKEND_URL: backend.url, TQ_KEY_PREFIX: keyPrefix, TQ_LEASE_MS: '2000', TQ_FAULT_LOG: log };
      const worker = startCli(args, { env });
      workers.push(worker);
      await worker.waitForOutput(/ready\./, 30_000);
      return worker;
    },
    async send(ns, ms, extra) {
      const sent = await client.sendMany(ns.map((n) => ({ name: 'work', options: { args: [n, ms], ...extra?.(n) } })));
      return sent.map((r) => r.id);
    },
    results,
    async doneCount(ids) {
      return (await results(ids)).filter((r) => r?.state === 'SUCCESS').length;
    },
    runs,
    runCounts() {
      const counts = new Map<number, number>();
      for (const run of runs()) counts.set(run.n, (counts.get(run.n) ?? 0) + 1);
      return counts;
    },
    async close() {
      for (const worker of workers) {
        worker.signal('SIGCONT');
        worker.signal('SIGKILL');
        await worker.exited;
      }
      await client.close();
      await backend.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
