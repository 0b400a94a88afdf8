import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { celery, runPythonSnippet, startCeleryWorker, type CeleryWorker } from '../support/python-celery.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

// The harness the Celery interop tests stand on: a real Python worker, the CLI, and a snippet.
describe('python-celery test support', () => {
  let redis: RedisServer;
  let worker: CeleryWorker;
  let env: { broker: string; backend: string };

  beforeAll(async () => {
    redis = await startRedisServer();
    env = { broker: redis.url, backend: redis.url.replace(/\/0$/, '/1') };
    worker = await startCeleryWorker({ ...env, hostname: 'py1@support' });
  });
  afterAll(async () => {
    await worker?.stop();
    await redis?.stop();
  });

  it('starts a worker that answers celery inspect ping', async () => {
    const run = await celery(['inspect', 'ping', '--json', '-d', 'py1@support'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ 'py1@support': { ok: 'pong' } });
  });

  it('runs a snippet that sends tasks and reads their results, a retry included', async () => {
    const run = await runPythonSnippet(
      [
        'import json, celeryapp',
        "a = celeryapp.app.send_task('add', (2, 3))",
        "f = celeryapp.app.send_task('flaky', ('k1',))",
        "e = celeryapp.app.send_task('fail', ('bad',))",
        'out = {"add": a.get(timeout=20), "flaky": f.get(timeout=20)}',
        'try:\n    e.get(timeout=20)\nexcept ValueError as err:\n    out["fail"] = str(err)',
        'print(json.dumps(out))',
      ].join('\n'),
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ add: 5, flaky: 'ok', fail: 'bad' });
  });

  it('stops the worker by pid with a warm shutdown', async () => {
    const extra = await startCeleryWorker({ ...env, hostname: 'py2@support', pool: 'prefork', concurrency: 1 });
    expect(extra.log()).toContain('py2@support ready.');
    await extra.stop();
    expect(extra.exited()).toBe(true);
  });
});
