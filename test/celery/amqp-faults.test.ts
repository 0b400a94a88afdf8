import { existsSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCeleryVhost, listQueues, type CeleryVhost } from '../support/celery-amqp.js';
import { rabbitmqctl } from '../support/rabbitmq-server.js';
import { TestDeployment } from '../support/project.js';
import { runPythonSnippet, startCeleryWorker, type CeleryWorker } from '../support/python-celery.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

/**
 * Workers killed while they hold Celery messages on RabbitMQ (Celery's
 * layout): RabbitMQ still has every delivery they had not acked, eta messages
 * held until their time included, so every message runs and none is lost.
 */
const TASKS = 'test/fixtures/celery-tasks';
let redis: RedisServer;
let db = 0;
let vhost: CeleryVhost | undefined;
let deployment: TestDeployment;
const pythons: CeleryWorker[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);
afterAll(() => redis.stop());
afterEach(async () => {
  for (const p of pythons.splice(0)) await p.stop();
  await deployment.cleanup();
  vhost?.drop();
  vhost = undefined;
});

function deploy() {
  vhost = createCeleryVhost();
  const backend = `redis://127.0.0.1:${redis.port}/${++db % 16}`;
  deployment = new TestDeployment(vhost.url);
  const runLog = deployment.file('runs.log');
  return { broker: vhost.url, backend, runLog, env: { TQ_PROTOCOL: 'celery', TQ_BACKEND_URL: backend, TQ_TEST_RUN_LOG: runLog } };
}

/** Sends `n` record(ms) calls from Python (every `etaEvery`-th with a countdown) and returns their ids. */
async function sendFromPython(broker: string, backend: string, n: number, ms: number, etaEvery: number, countdown: number): Promise<string[]> {
  const code = [
    'from celeryapp import app',
    `ids = [app.send_task('record', (${ms},), countdown=(${countdown} if i % ${etaEvery} == 0 else None)).id for i in range(${n})]`,
    "print('\\n'.join(ids))",
  ].join('\n');
  const run = await runPythonSnippet(code, { broker, backend });
  if (run.code !== 0) throw new Error(run.stderr);
  return run.stdout.trim().split('\n');
}

function runs(runLog: string): Map<string, string[]> {
  const counts = new Map<string, string[]>();
  if (!existsSync(runLog)) return counts;
  for (const line of readFileSync(runLog, 'utf8').split('\n').filter(Boolean)) {
    const [id, who] = line.split(' ');
    counts.set(id!, [...(counts.get(id!) ?? []), who!]);
  }
  return counts;
}

async function allRan(runLog: string, ids: string[], timeoutMs: number): Promise<Map<string, string[]>> {
  return waitFor(() => {
    const counts = runs(runLog);
    return ids.every((id) => counts.has(id)) ? counts : null;
  }, `all ${ids.length} tasks to run (${runs(runLog).size} so far)`, timeoutMs, 100);
}

const celeryQueue = (name: string) => listQueues(name).find((q) => q.name === 'celery');

describe('fault: workers killed while holding Celery messages (RabbitMQ)', () => {
  it('a tq worker SIGKILLed three times while holding deliveries and eta messages: the next tq worker runs every one, 0 lost', async () => {
    const { broker, backend, env, runLog } = deploy();
    // Every fifth with a 15 s countdown: the killed workers die holding those too.
    const ids = await sendFromPython(broker, backend, 300, 250, 5, 15);
    for (let kill = 0; kill < 3; kill++) {
      const before = runs(runLog).size;
      const w = await deployment.worker(TASKS, ['-P', 'async', '-c', '4'], env);
      await waitFor(() => runs(runLog).size >= before + 12, 'some runs before the kill', 30_000).catch((err: Error) => {
        throw new Error(`${err.message} (kill ${kill}, ${runs(runLog).size} run)\n${w.output().slice(-3000)}`);
      });
      const held = celeryQueue(vhost!.name)?.messages_unacknowledged ?? 0;
      w.signal('SIGKILL');
      await w.exited;
      expect(held).toBeGreaterThan(0); // the worker died holding deliveries RabbitMQ had not let go of
    }
    await deployment.worker(TASKS, ['-P', 'async', '-c', '8'], env);
    const counts = await allRan(runLog, ids, 90_000);
    expect(ids.filter((id) => !counts.has(id))).toEqual([]);
    await waitFor(() => {
      const q = celeryQueue(vhost!.name);
      return q?.messages === 0 && q.messages_unacknowledged === 0;
    }, 'the celery queue to empty', 20_000, 200);
  }, 240_000);

  it('a tq worker SIGKILLed while it holds eta messages unacked: a Python worker gets them from RabbitMQ and runs them at their eta, 0 lost', async () => {
    const { broker, backend, env, runLog } = deploy();
    const w = await deployment.worker(TASKS, ['-P', 'async', '-c', '4'], env);
    const sentAt = Date.now();
    const ids = await sendFromPython(broker, backend, 20, 0, 1, 6);
    // All 20 held by the tq worker (more than its concurrency of 4: held etas raise the prefetch), none run yet.
    await waitFor(() => celeryQueue(vhost!.name)?.messages_unacknowledged === 20, 'the tq worker to hold all 20 eta messages', 20_000, 100);
    expect(runs(runLog).size).toBe(0);
    w.signal('SIGKILL');
    await w.exited;
    pythons.push(await startCeleryWorker({ broker, backend, args: ['-I', 'tqextra'], env: { TQ_TEST_RUN_LOG: runLog } }));
    const counts = await allRan(runLog, ids, 60_000);
    expect([...counts.values()].flat().every((who) => who === 'py')).toBe(true);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(6_000);
  }, 120_000);

  it('a Python worker SIGKILLed holding prefetched messages: RabbitMQ hands them to a tq worker, 0 lost', async () => {
    const { broker, backend, env, runLog } = deploy();
    const ids = await sendFromPython(broker, backend, 60, 200, 7, 1);
    const p = await startCeleryWorker({ broker, backend, args: ['-I', 'tqextra', '--prefetch-multiplier', '8'], env: { TQ_TEST_RUN_LOG: runLog } });
    await waitFor(() => runs(runLog).size >= 3, 'some Python runs before the kill', 60_000);
    await p.kill9();
    await deployment.worker(TASKS, ['-P', 'async', '-c', '8'], env);
    const counts = await allRan(runLog, ids, 120_000);
    expect(ids.filter((id) => !counts.has(id))).toEqual([]);
    expect([...counts.values()].flat()).toContain('tq');
  }, 240_000);

  it("reconnects when RabbitMQ closes the tq worker's connection: the eta messages it held come back and run once, and new calls run", async () => {
    const { broker, backend, env, runLog } = deploy();
    const w = await deployment.worker(TASKS, ['-P', 'async', '-c', '4'], env);
    const sentAt = Date.now();
    const ids = await sendFromPython(broker, backend, 8, 0, 1, 8);
    await waitFor(() => celeryQueue(vhost!.name)?.messages_unacknowledged === 8, 'the tq worker to hold the 8 eta messages', 20_000, 100);
    rabbitmqctl(['close_all_connections', '-p', vhost!.name, 'tq test: connection dropped']); // this test's vhost only
    expect(Date.now() - sentAt).toBeLessThan(8_000); // dropped while they were still held, not yet due
    const counts = await allRan(runLog, ids, 30_000);
    expect([...counts.values()].map((who) => who.length)).toEqual(Array(8).fill(1));
    const more = await sendFromPython(broker, backend, 3, 0, 1, 0);
    await allRan(runLog, more, 30_000);
    expect(w.output()).not.toMatch(/uncaught|unhandled/i);
  }, 120_000);
});
