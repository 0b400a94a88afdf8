import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCli } from '../support/cli.js';
import { TestDeployment } from '../support/project.js';
import { runPythonSnippet, startCeleryWorker, type CeleryWorker } from '../support/python-celery.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

/**
 * tq and Python Celery on one private Redis, both ways, with tq on
 * protocol 'celery': Python clients call tq workers, tq clients call Python
 * workers, and each reads the other's results (Celery's Redis result backend).
 */
const TASKS = 'test/fixtures/celery-tasks';
let redis: RedisServer;
let db = 0;
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
});

/** A fresh database per test: broker and results of one test never meet another's. */
function deploy(): { url: string; env: NodeJS.ProcessEnv } {
  const url = `redis://127.0.0.1:${redis.port}/${++db % 16}`;
  deployment = new TestDeployment(url);
  return { url, env: { TQ_PROTOCOL: 'celery', TQ_BACKEND_URL: url } };
}

async function flush(url: string): Promise<void> {
  const r = new Redis(url);
  await r.flushdb();
  r.disconnect();
}

async function py(url: string, code: string) {
  const run = await runPythonSnippet(`from celeryapp import app\n${code}`, { broker: url, backend: url });
  if (run.code !== 0) throw new Error(`python failed (${run.code}):\n${run.stderr}`);
  return run.stdout.trim();
}

describe('Python client → tq worker (Redis, kombu layout)', () => {
  it("runs a Python send_task('add', (2, 3)) and Python's AsyncResult.get() reads 5", async () => {
    const { url, env } = deploy();
    await flush(url);
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    expect(await py(url, "r = app.send_task('add', (2, 3))\nprint(r.get(timeout=30))")).toBe('5');
    expect(tq.output()).toMatch(/Task add\[[0-9a-f-]+\] received/);
  }, 60_000);

  it('gives a Python client the failure as the exception Python knows, with the traceback from tq', async () => {
    const { url, env } = deploy();
    await flush(url);
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const out = await py(
      url,
      "r = app.send_task('fail', ('kaboom',))\ntry:\n    r.get(timeout=30)\nexcept Exception as e:\n    print(type(e).__name__, e, r.state, 'ValueError' in (r.traceback or ''))",
    );
    expect(out).toBe('ValueError kaboom FAILURE True');
  }, 60_000);

  it('retries a Python-sent task on the tq worker under the same id, and Python reads the final result', async () => {
    const { url, env } = deploy();
    await flush(url);
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const out = await py(url, "r = app.send_task('flaky', ('k1',))\nprint(r.get(timeout=30), r.id)");
    const [value, id] = out.split(' ');
    expect(value).toBe('ok');
    const result = await deployment.cli(['result', id!, '--json'], env);
    expect(JSON.parse(result.stdout)).toMatchObject({ id, state: 'SUCCESS', result: 'ok', retries: 1 });
  }, 60_000);

  it("honours a Python countdown (the eta header) and expires (REVOKED 'expired', as Celery records it)", async () => {
    const { url, env } = deploy();
    await flush(url);
    const out = await py(
      url,
      [
        'import time',
        // Before the send: Celery computes the eta from its clock before publishing.
        'before = time.time()',
        "late = app.send_task('add', (1, 1), countdown=1.5)",
        "gone = app.send_task('add', (2, 2), expires=0.5)",
        'print(late.id, gone.id, before)',
      ].join('\n'),
    );
    const [lateId, goneId, sentAt] = out.split(' ');
    await new Promise((resolve) => setTimeout(resolve, 600)); // let `gone` expire before any worker exists: what is tested
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const check = await py(
      url,
      [
        'import time',
        'from celery.result import AsyncResult',
        `late = AsyncResult('${lateId}', app=app)`,
        `print(late.get(timeout=30), time.time() - ${sentAt} >= 1.5)`,
        `gone = AsyncResult('${goneId}', app=app)`,
        'try:\n    gone.get(timeout=30)\nexcept Exception as e:\n    print(gone.state, type(e).__name__)',
      ].join('\n'),
    );
    expect(check.split('\n')).toEqual(['2 True', 'REVOKED TaskRevokedError']);
  }, 60_000);

  it('writes nothing to the result backend for a Python call with ignore_result', async () => {
    const { url, env } = deploy();
    await flush(url);
    tq = await deployment.worker(TASKS, ['-P', 'async'], { ...env, TQ_TEST_RUN_LOG: deployment.file('runs.log') });
    const out = await py(url, "r = app.send_task('record', (0,), ignore_result=True)\nprint(r.id)");
    await waitFor(() => tq!.output().includes(`record[${out}] succeeded`), 'the run', 20_000);
    const r = new Redis(url);
    expect(await r.exists(`celery-task-meta-${out}`)).toBe(0);
    r.disconnect();
  }, 60_000);

  it('dead-letters malformed list elements (not JSON, no properties, a 2-item body) and keeps running the rest', async () => {
    const { url, env } = deploy();
    await flush(url);
    const r = new Redis(url);
    const body = (items: unknown[]) => Buffer.from(JSON.stringify(items)).toString('base64');
    const envelope = (id: string, b: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ body: b, 'content-encoding': 'utf-8', 'content-type': 'application/json', headers: { id, task: 'add' }, properties: { delivery_tag: `tag-${id}`, body_encoding: 'base64', delivery_info: { exchange: '', routing_key: 'celery' }, priority: 0 }, ...extra });
    await r.lpush('celery', 'this is not json');
    await r.lpush('celery', JSON.stringify({ body: body([[1, 2], {}, {}]), headers: { id: 'noprops', task: 'add' } }));
    await r.lpush('celery', envelope('twoitems', body([[1, 2], {}])));
    await r.lpush('celery', envelope('good', body([[20, 22], {}, {}])));
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    await waitFor(async () => (await r.get('celery-task-meta-good'))?.includes('"result": 42') || (await r.get('celery-task-meta-good'))?.includes('"result":42'), 'the good message to run', 20_000);
    const dead = await deployment.cli(['inspect', 'dead', '--json'], env);
    const reasons = Object.values(JSON.parse(dead.stdout) as Record<string, { id: string; reason: string }[]>)[0]!.map((d) => `${d.id}: ${d.reason}`).sort();
    expect(reasons).toHaveLength(3);
    expect(reasons.join('\n')).toMatch(/twoitems: .*body must be \[args, kwargs, embed\], got 2 items/);
    expect(reasons.join('\n')).toMatch(/not a kombu message/);
    expect(await r.hlen('unacked')).toBe(0);
    r.disconnect();
  }, 60_000);
});

describe('tq client → Python worker (Redis, kombu layout)', () => {
  it('runs `tq call add 2 3 --wait` on a Python celery worker, and tq reads 5', async () => {
    const { url, env } = deploy();
    await flush(url);
    python = await startCeleryWorker({ broker: url, backend: url });
    const call = await deployment.cli(['call', 'add', '2', '3', '--wait', '--tasks', TASKS], env);
    expect(call.stderr).toBe('');
    expect(call.stdout.trim()).toBe('5');
    // Celery logs the success after it stored the result: the line may trail the answer a little.
    await waitFor(() => /Task add\[[0-9a-f-]+\] succeeded/.test(python!.log()), 'the Python worker to log the success', 10_000);
  }, 90_000);

  it("reads a Python worker's failure (exit 6, ValueError) and a retry's final result", async () => {
    const { url, env } = deploy();
    await flush(url);
    python = await startCeleryWorker({ broker: url, backend: url });
    const failed = await deployment.cli(['call', 'fail', 'kaboom', '--wait', '--tasks', TASKS], env);
    expect(failed.code).toBe(6);
    expect(failed.stderr).toMatch(/ValueError: kaboom/);
    const retried = await deployment.cli(['call', 'flaky', 'k2', '--wait', '--json', '--tasks', TASKS], env);
    expect(JSON.parse(retried.stdout)).toMatchObject({ state: 'SUCCESS', result: 'ok' });
  }, 90_000);

  it('sends what a Python worker reads back exactly: kwargs, unicode, nested values, a countdown', async () => {
    const { url, env } = deploy();
    await flush(url);
    python = await startCeleryWorker({ broker: url, backend: url });
    const started = Date.now();
    const call = await deployment.cli(['call', 'echo', '--args', '["héllo ✓", {"n": [1, 2.5, null]}]', '--countdown', '1', '--wait', '--json', '--tasks', TASKS], env);
    expect(JSON.parse(call.stdout)).toMatchObject({ state: 'SUCCESS', result: { args: ['héllo ✓', { n: [1, 2.5, null] }], kwargs: {} } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  }, 90_000);
});

describe('mixed fleet on one queue', () => {
  it('a tq worker and a Python worker share the queue: every call runs once, on one or the other', async () => {
    const { url, env } = deploy();
    await flush(url);
    python = await startCeleryWorker({ broker: url, backend: url });
    tq = await deployment.worker(TASKS, ['-P', 'async'], env);
    const out = await py(url, "rs = [app.send_task('add', (i, i)) for i in range(40)]\nprint(sum(r.get(timeout=30) for r in rs))");
    expect(out).toBe(String(2 * ((39 * 40) / 2)));
  }, 90_000);
});
