import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBroker } from '../../src/runtime/brokers/index.js';
import type { Broker } from '../../src/runtime/brokers/broker.js';
import { encodeMessage } from '../../src/runtime/message.js';
import { TaskRegistry } from '../../src/runtime/discovery.js';
import { createLogger } from '../../src/runtime/log.js';
import { task } from '../../src/runtime/task.js';
import { InProcessPool } from '../../src/runtime/worker/pools/in-process.js';
import type { FusedStore } from '../../src/runtime/brokers/fused.js';
import { Worker } from '../../src/runtime/worker/worker.js';
import { logWorkerEvents } from '../../src/ui/worker-log.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

/**
 * A finish Redis refuses because it is out of memory (maxmemory reached,
 * noeviction) is a broker error, not a lost lease: the worker keeps the
 * outcome and tries again, and says truthfully what happened if it cannot.
 */
describe('an outcome Redis refuses to store (out of memory)', () => {
  let server: RedisServer;
  let admin: Redis;
  const open: { broker: Broker; worker: Worker }[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  }, 30_000);
  afterEach(async () => {
    await admin.config('SET', 'maxmemory', '0');
    for (const { broker, worker } of open.splice(0)) {
      await worker.stopNow();
      await broker.close();
    }
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  /** A worker in this process running `gated`, which finishes when the test says so; its log lines are kept. */
  async function startWorker(leaseMs: number) {
    const broker = (await openBroker({ url: server.url, projectRoot: process.cwd(), resultExpiresMs: 60_000, keyPrefix: `oom:${randomUUID()}:` })) as FusedStore;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const registry = new TaskRegistry();
    let runs = 0;
    registry.add({ name: 'gated', file: 'test', task: task(async () => { runs++; await gate; return 'done'; }, { name: 'gated' }) });
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line) });
    const fused = broker as FusedStore;
    const worker = new Worker({ stores: { broker: fused, backend: fused, fused, close: () => fused.close() }, registry, pool: new InProcessPool('async', 2, 'w-oom', log), hostname: 'w-oom', queues: ['default'], prefetchMultiplier: 1, leaseMs, maxMessageBytes: 1 << 20, log });
    logWorkerEvents(worker, log);
    open.push({ broker, worker });
    worker.start();
    const id = randomUUID();
    const message = { id, task: 'gated', args: [], kwargs: {}, queue: 'default', priority: 4, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} };
    await broker.enqueue([encodeMessage(message, 1 << 20)]);
    await waitFor(() => worker.active.get(id)?.message, 'the task to start');
    return { broker, id, lines, release, runs: () => runs };
  }

  const fillUp = () => admin.config('SET', 'maxmemory', '1'); // every write is refused from now on

  it('keeps the outcome, tries again, and stores it once Redis has room again', async () => {
    const { broker, id, lines, release } = await startWorker(30_000);
    await fillUp();
    release();
    await waitFor(() => lines.some((l) => /Broker error: .*out of memory.*OOM command not allowed/.test(l)), 'the finish to be refused for want of memory');
    await admin.config('SET', 'maxmemory', '0');
    expect(await broker.waitForResult(id, 20_000)).toMatchObject({ state: 'SUCCESS', result: 'done', worker: 'w-oom' });
    await waitFor(() => lines.some((l) => new RegExp(`Task gated\\[${id}\\] succeeded`).test(l)), 'the success line');
    expect(lines.join('\n')).not.toMatch(/lease lost|another worker/);
  });

  it('says the outcome could not be stored and the message runs again once its lease lapses, when Redis stays full for a lease', async () => {
    const { broker, id, lines, release, runs } = await startWorker(1_500);
    await fillUp();
    release();
    const said = await waitFor(() => lines.find((l) => l.includes(`Task gated[${id}]: its outcome (success) could not be stored`)), 'the outcome to be given up', 20_000);
    expect(said).toMatch(/ERROR.*could not be stored: Redis at .* refused finish \(out of memory: maxmemory reached\): OOM command not allowed.*; the message stays in the broker and runs again once its lease lapses/);
    expect(lines.join('\n')).not.toMatch(/lease lost|another worker/);
    // Nothing was lost: once Redis has room, the message runs again and its result is stored.
    await admin.config('SET', 'maxmemory', '0');
    expect(await broker.waitForResult(id, 20_000)).toMatchObject({ state: 'SUCCESS', result: 'done' });
    expect(runs()).toBe(2);
  });
});
