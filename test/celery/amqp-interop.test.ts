import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCli } from '../support/cli.js';
import { createCeleryVhost, listExchanges, listQueues, publishRaw, readyCount, takeOne, type CeleryVhost } from '../support/celery-amqp.js';
import { TestDeployment } from '../support/project.js';
import { runPythonSnippet, startCeleryWorker, type CeleryWorker } from '../support/python-celery.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

/**
 * tq and Python Celery on the machine's RabbitMQ in Celery's layout (a
 * virtual host per test), both ways, tq on protocol 'celery': Python clients
 * call tq workers, tq clients call Python workers, and each reads the other's
 * results in Celery's Redis result backend (a private redis-server).
 */
const TASKS = 'test/fixtures/celery-tasks';
let redis: RedisServer;
let db = 0;
let vhost: CeleryVhost | undefined;
let deployment: TestDeployment;
let python: CeleryWorker | undefined;
let tq: RunningCli | undefined;

beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);
afterAll(() => redis.stop());
afterEach(async () => {
  await python?.stop();
  python = undefined;
  tq = undefined;
  await deployment.cleanup();
  vhost?.drop();
  vhost = undefined;
});

/** A fresh vhost (broker) and Redis database (results) per test. */
async function deploy(): Promise<{ broker: string; backend: string; env: NodeJS.ProcessEnv }> {
  vhost = createCeleryVhost();
  const backend = `redis://127.0.0.1:${redis.port}/${++db % 16}`;
  const r = new Redis(backend);
  await r.flushdb();
  r.disconnect();
  deployment = new TestDeployment(vhost.url);
  return { broker: vhost.url, backend, env: { TQ_PROTOCOL: 'celery', TQ_BACKEND_URL: backend } };
}

async function py(broker: string, backend: string, code: string): Promise<string> {
  const run = await runPythonSnippet(`from celeryapp import app\n${code}`, { broker, backend });
  if (run.code !== 0) throw new Error(`python failed (${run.code}):\n${run.stderr}`);
  return run.stdout.trim();
}

describe('Celery layout on RabbitMQ', () => {
  it("declares Celery's entities as a Celery 5.2 client does: a durable direct exchange and durable classic queue 'celery'", async () => {
    const { broker, env } = await deploy();
    const sent = await deployment.cli(['call', 'add', '2', '3', '--tasks', TASKS], env);
    expect(sent.code).toBe(0);
    const celery = listQueues(vhost!.name).find((q) => q.name === 'celery');
    expect(celery).toMatchObject({ durable: true, type: 'classic', messages: 1 });
    expect(celery!.arguments).toEqual([]); // no x-max-priority, no x-queue-type: Celery sets none by default
    expect(listExchanges(vhost!.name)).toContainEqual({ name: 'celery', type: 'direct', durable: true });
    // A Python client publishing to the same queue redeclares it: RabbitMQ would refuse other arguments.
    await py(broker, '', "app.send_task('add', (1, 1))");
    expect(listQueues(vhost!.name).find((q) => q.name === 'celery')!.messages).toBe(2);
  }, 60_000);

  it('sends the properties and headers Celery sends (content type, encoding, correlation id, delivery mode, task headers, [args, kwargs, embed])', async () => {
    const { broker, env } = await deploy();
    await py(broker, '', "app.send_task('add', (2, 3))");
    const fromPython = await takeOne(broker, 'celery');
    await deployment.cli(['call', 'add', '2', '3', '--tasks', TASKS], env);
    const fromTq = await takeOne(broker, 'celery');
    for (const m of [fromPython!, fromTq!]) {
      expect(m.fields).toMatchObject({ exchange: '', routingKey: 'celery' });
      expect(m.properties).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2, correlationId: m.properties.headers!.id });
      expect(m.properties.headers).toMatchObject({ task: 'add', retries: 0, eta: null, root_id: m.properties.headers!.id });
      expect(JSON.parse(m.content.toString('utf8'))).toEqual([[2, 3], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    }
    expect(fromTq!.properties.headers).toMatchObject({ lang: 'js', argsrepr: '(2, 3)', timelimit: [null, null] });
  }, 60_000);
});

describe('Celery layout on RabbitMQ: existing queues and shutdown', () => {
  it('uses a Celery queue that exists with other arguments (task_queue_max_priority) as it is', async () => {
    const { broker, backend, env } = await deploy();
    const conn = await amqp.connect(broker);
    await (await conn.createChannel()).assertQueue('celery', { durable: true, arguments: { 'x-max-priority': 10 } });
    await conn.close();
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    expect(await py(broker, backend, "app.conf.task_queue_max_priority = 10\nr = app.send_task('add', (4, 5), priority=7)\nprint(r.get(timeout=30))")).toBe('9');
    expect(JSON.stringify(listQueues(vhost!.name).find((q) => q.name === 'celery')!.arguments)).toContain('x-max-priority'); // RabbitMQ kept Celery's queue as it was
  }, 60_000);

  it('hands the eta messages it holds back to the queue at once on a warm shutdown (SIGTERM)', async () => {
    const { broker, backend, env } = await deploy();
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    await py(broker, backend, "for i in range(3):\n    app.send_task('add', (i, i), countdown=60)");
    await waitFor(() => listQueues(vhost!.name).find((q) => q.name === 'celery')?.messages_unacknowledged === 3, 'the worker to hold the 3 eta messages', 20_000, 100);
    tq.signal('SIGTERM');
    expect(await tq.exited).toBe(0);
    expect(listQueues(vhost!.name).find((q) => q.name === 'celery')).toMatchObject({ messages: 3, messages_unacknowledged: 0 });
  }, 60_000);
});

describe('Python client → tq worker (RabbitMQ, Celery layout)', () => {
  it("lets RabbitMQ drop a call that expires while queued, as Celery 5.2 does (expires is also the message TTL), from Python and from tq", async () => {
    const { broker, backend, env } = await deploy();
    const id = await py(broker, backend, "r = app.send_task('add', (2, 2), expires=0.5)\nprint(r.id)");
    await new Promise((resolve) => setTimeout(resolve, 600)); // let its TTL pass while it is queued: what is tested
    const sent = await deployment.cli(['call', 'add', '1', '1', '--expires', '30', '--tasks', TASKS], env);
    const fromTq = await takeOne(broker, 'celery'); // Python's expired first: RabbitMQ drops it at the head
    expect(fromTq!.properties.headers!.id).toBe(sent.stdout.trim());
    expect(Number(fromTq!.properties.expiration)).toBeGreaterThan(25_000);
    expect(Number(fromTq!.properties.expiration)).toBeLessThanOrEqual(30_000);
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    expect(await py(broker, backend, `from celery.result import AsyncResult\nprint(AsyncResult('${id}', app=app).state)`)).toBe('PENDING');
    expect(tq.output()).not.toContain(id);
  }, 60_000);

  it("runs a Python send_task('add', (2, 3)) and Python's AsyncResult.get() reads 5", async () => {
    const { broker, backend, env } = await deploy();
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    expect(await py(broker, backend, "r = app.send_task('add', (2, 3))\nprint(r.get(timeout=30))")).toBe('5');
    expect(tq.output()).toMatch(/Task add\[[0-9a-f-]+\] received/);
  }, 60_000);

  it('gives a Python client the failure as the exception Python knows, with the traceback from tq', async () => {
    const { broker, backend, env } = await deploy();
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const out = await py(
      broker,
      backend,
      "r = app.send_task('fail', ('kaboom',))\ntry:\n    r.get(timeout=30)\nexcept Exception as e:\n    print(type(e).__name__, e, r.state, 'ValueError' in (r.traceback or ''))",
    );
    expect(out).toBe('ValueError kaboom FAILURE True');
  }, 60_000);

  it('retries a Python-sent task on the tq worker (republished under the same id), and Python and `tq result` read the final result', async () => {
    const { broker, backend, env } = await deploy();
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const out = await py(broker, backend, "r = app.send_task('flaky', ('k1',))\nprint(r.get(timeout=30), r.id)");
    const [value, id] = out.split(' ');
    expect(value).toBe('ok');
    const result = await deployment.cli(['result', id!, '--json'], env);
    expect(JSON.parse(result.stdout)).toMatchObject({ id, state: 'SUCCESS', result: 'ok', retries: 1 });
    expect(tq.output()).toMatch(new RegExp(`flaky\\[${id}\\] retry`, 'i'));
  }, 60_000);

  it('honours a Python countdown (the eta header): the tq worker holds the message unacked until then', async () => {
    const { broker, backend, env } = await deploy();
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const out = await py(broker, backend, "import time\nbefore = time.time()  # Celery computes the eta from the clock before it publishes\nr = app.send_task('add', (1, 1), countdown=8)\nprint(r.id, before)");
    const [id, sentAt] = out.split(' ');
    // While it waits, RabbitMQ still has it, unacked: a worker that dies now loses nothing (see amqp-faults).
    // 8 s, not 2: Python's start-up and each rabbitmqctl listing take seconds on a loaded machine.
    await waitFor(() => listQueues(vhost!.name).find((q) => q.name === 'celery')?.messages_unacknowledged === 1, 'the held eta message to show unacked', 8_000, 100);
    const check = await py(broker, backend, `import time\nfrom celery.result import AsyncResult\nr = AsyncResult('${id}', app=app)\nprint(r.get(timeout=30), time.time() - ${sentAt} >= 8)`);
    expect(check).toBe('2 True');
  }, 60_000);

  it('dead-letters malformed messages (not JSON, wrong content type, no headers, a 2-item body) into a tq queue and keeps running the rest', async () => {
    const { broker, backend, env } = await deploy();
    const json = { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 };
    await publishRaw(broker, 'celery', [
      { body: 'this is not json', options: { ...json, headers: { id: 'notjson', task: 'add' } } },
      { body: '[[1, 2], {}, {}]', options: { contentType: 'application/x-python-serialize', headers: { id: 'pickled', task: 'add' } } },
      { body: '[[1, 2], {}, {}]', options: { ...json } },
      { body: '[[1, 2], {}]', options: { ...json, headers: { id: 'twoitems', task: 'add' } } },
      { body: '[[20, 22], {}, {}]', options: { ...json, correlationId: 'good', headers: { id: 'good', task: 'add' } } },
    ]);
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const r = new Redis(backend);
    await waitFor(async () => /"result": ?42/.test((await r.get('celery-task-meta-good')) ?? ''), 'the good message to run', 20_000);
    r.disconnect();
    const reasons = await waitFor(async () => {
      const dead = await deployment.cli(['inspect', 'dead', '--json'], env);
      const all = Object.values(JSON.parse(dead.stdout) as Record<string, { id: string; reason: string }[]>).flat();
      return all.length === 4 ? all.map((d) => `${d.id}: ${d.reason}`).sort().join('\n') : null;
    }, 'four dead letters', 20_000, 200);
    expect(reasons).toMatch(/notjson: .*body is not JSON/);
    expect(reasons).toMatch(/pickled: .*content_type "application\/x-python-serialize"/);
    expect(reasons).toMatch(/twoitems: .*body must be \[args, kwargs, embed\], got 2 items/);
    expect(reasons).toMatch(/amqp:\S+: .*no Celery headers/); // no task id to name it by: the delivery's own
    expect(await readyCount(broker, 'celery')).toBe(0);
    expect(await readyCount(broker, 'tq.celery.dead')).toBe(4); // listing them handed them back
    expect(listQueues(vhost!.name).find((q) => q.name === 'celery')!.messages_unacknowledged).toBe(0);
    expect(tq.output()).not.toMatch(/uncaught|unhandled/i);
  }, 60_000);
});

describe('dead letters on RabbitMQ', () => {
  it('dead-letters a Python call whose retries are exhausted, lists it, and `tq control requeue-dead` puts it back as it came', async () => {
    const { broker, backend, env } = await deploy();
    tq = await deployment.worker(TASKS, ['-P', 'async', '-l', 'debug'], env);
    // retries=3 of flaky's 3: its first (failing) run in this worker exhausts them.
    const id = await py(broker, backend, "r = app.send_task('flaky', ('kd',), retries=3)\nprint(r.id)");
    const letters = await waitFor(async () => {
      const dead = await deployment.cli(['inspect', 'dead', '--json'], env);
      const all = Object.values(JSON.parse(dead.stdout) as Record<string, { id: string; reason: string }[]>).flat();
      return all.length > 0 ? all : null;
    }, 'the dead letter', 20_000, 200);
    expect(letters).toEqual([expect.objectContaining({ id, reason: expect.stringMatching(/retries exhausted after 3/) })]);
    const requeued = await deployment.cli(['control', 'requeue-dead'], env);
    expect(requeued.code).toBe(0);
    expect(requeued.stdout).toMatch(/re-queued 1 dead letter/);
    // Back in 'celery' and read as the same Celery task: the worker knows it finished (FAILURE, first final result wins) and acks it unrun.
    await tq.waitForOutput(new RegExp(`flaky\\[${id}\\] already finished`), 20_000);
    expect(await readyCount(broker, 'tq.celery.dead')).toBe(0);
  }, 60_000);
});

describe('tq client → Python worker (RabbitMQ, Celery layout)', () => {
  it('runs `tq call add 2 3 --wait` on a Python celery worker, and tq reads 5', async () => {
    const { broker, backend, env } = await deploy();
    python = await startCeleryWorker({ broker, backend });
    const call = await deployment.cli(['call', 'add', '2', '3', '--wait', '--tasks', TASKS], env);
    expect(call.stderr).toBe('');
    expect(call.stdout.trim()).toBe('5');
    expect(python.log()).toMatch(/Task add\[[0-9a-f-]+\] succeeded/);
  }, 90_000);

  it("reads a Python worker's failure (exit 6, ValueError) and a retry's final result with `tq result`", async () => {
    const { broker, backend, env } = await deploy();
    python = await startCeleryWorker({ broker, backend });
    const failed = await deployment.cli(['call', 'fail', 'kaboom', '--wait', '--tasks', TASKS], env);
    expect(failed.code).toBe(6);
    expect(failed.stderr).toMatch(/ValueError: kaboom/);
    const sent = await deployment.cli(['call', 'flaky', 'k2', '--json', '--tasks', TASKS], env);
    const id = (JSON.parse(sent.stdout) as { id: string }).id;
    const result = await deployment.cli(['result', id, '--wait', '--json'], env);
    expect(JSON.parse(result.stdout)).toMatchObject({ id, state: 'SUCCESS', result: 'ok' });
    expect(python.log()).toMatch(new RegExp(`flaky\\[${id}\\] retry`, 'i'));
  }, 90_000);

  it('sends what a Python worker reads back exactly: unicode, nested values, a countdown', async () => {
    const { broker, backend, env } = await deploy();
    python = await startCeleryWorker({ broker, backend });
    const started = Date.now();
    const call = await deployment.cli(['call', 'echo', '--args', '["héllo ✓", {"n": [1, 2.5, null]}]', '--countdown', '1', '--wait', '--json', '--tasks', TASKS], env);
    expect(JSON.parse(call.stdout)).toMatchObject({ state: 'SUCCESS', result: { args: ['héllo ✓', { n: [1, 2.5, null] }], kwargs: {} } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  }, 90_000);
});

describe('mixed fleet on one RabbitMQ queue', () => {
  it('a tq worker and a Python worker share the queue: every call runs once, on one or the other', async () => {
    const { broker, backend, env } = await deploy();
    python = await startCeleryWorker({ broker, backend });
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const out = await py(broker, backend, "rs = [app.send_task('add', (i, i)) for i in range(40)]\nprint(sum(r.get(timeout=30) for r in rs))");
    expect(out).toBe(String(2 * ((39 * 40) / 2)));
  }, 90_000);
});
