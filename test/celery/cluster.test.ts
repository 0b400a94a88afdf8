import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type RunningCli } from '../support/cli.js';
import { TestDeployment } from '../support/project.js';
import { celery, CELERY_APP_DIR, celeryPython, runPythonSnippet, startCeleryWorker, type CeleryWorker } from '../support/python-celery.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';

/**
 * tq workers in Celery's cluster on Redis (protocol 'celery'): they answer
 * Celery's pidbox (`celery inspect`, `celery control`) and publish worker
 * and task events on celeryev that a Python `app.events.Receiver` reads; and
 * tq's CLI sees Python workers the same way (`tq inspect`, `tq events`).
 */
const TASKS = 'test/fixtures/celery-tasks';
let redis: RedisServer;
let db = 0;
let deployment: TestDeployment;
let python: CeleryWorker | undefined;
let receiver: ChildProcess | undefined;
const followers: RunningCli[] = [];

beforeAll(async () => {
  celeryPython(); // fails at once, saying what to install, on a machine without Python Celery
  redis = await startRedisServer();
}, 30_000);
afterAll(() => redis.stop());
afterEach(async () => {
  if (receiver && receiver.exitCode === null && receiver.signalCode === null) receiver.kill('SIGKILL');
  receiver = undefined;
  for (const f of followers.splice(0)) {
    f.signal('SIGKILL');
    await f.exited;
  }
  await python?.stop();
  python = undefined;
  await deployment.cleanup();
});

/** A fresh, empty database per test: one test's control and events never reach another's. */
async function deploy(): Promise<{ url: string; env: NodeJS.ProcessEnv }> {
  const url = `redis://127.0.0.1:${redis.port}/${++db % 16}`;
  const r = new Redis(url);
  await r.flushdb();
  r.disconnect();
  deployment = new TestDeployment(url);
  return { url, env: { TQ_PROTOCOL: 'celery', TQ_BACKEND_URL: url } };
}

function tqWorker(name: string, env: NodeJS.ProcessEnv, pool: string[] = ['-P', 'async']): Promise<RunningCli> {
  return deployment.worker(TASKS, [...pool, '-n', name], env);
}

/**
 * `celery -A celeryapp <args> --json` against this deployment's broker, parsed
 * as one object by node (`inspect` prints one; `control` a list of one-node objects).
 * A broadcast waits out all of --timeout (Celery cannot know how many will
 * reply); with `-d <node>` it stops at that node's reply, so the tests that
 * are not about the broadcast itself address their worker.
 */
async function celeryJson(url: string, args: string[]): Promise<Record<string, unknown>> {
  const run = await celery([...args, '--json', '--timeout', '5'], { broker: url, backend: url });
  if (run.code !== 0) throw new Error(`celery ${args.join(' ')} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  const parsed = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(parsed) ? Object.assign({}, ...parsed) : parsed;
}

async function py(url: string, code: string): Promise<string> {
  const run = await runPythonSnippet(`from celeryapp import app\n${code}`, { broker: url, backend: url });
  if (run.code !== 0) throw new Error(`python failed (${run.code}):\n${run.stderr}`);
  return run.stdout.trim();
}

/**
 * A Python Receiver on celeryev (routing key '#', as `celery events` listens)
 * that prints READY once it saw a heartbeat of `node` (so it is subscribed and
 * the worker is seen), then every task event of the given ids as one JSON
 * line, and exits once each id has finished (succeeded or failed).
 */
const RECEIVER = `
import json, sys
from celeryapp import app
node, ids = sys.argv[1], set(sys.argv[2:])
ready, done = False, set()
def on_event(event):
    global ready
    if not ready and event['type'] == 'worker-heartbeat' and event['hostname'] == node:
        ready = True
        print('READY', json.dumps(event), flush=True)
    if event.get('uuid') in ids:
        print(json.dumps(event), flush=True)
        if event['type'] in ('task-succeeded', 'task-failed'):
            done.add(event['uuid'])
            if done == ids:
                raise SystemExit(0)
with app.connection() as conn:
    app.events.Receiver(conn, handlers={'*': on_event}).capture(limit=None, timeout=60, wakeup=True)
`;

/** A long-running Python process in the app folder (a receiver, `celery events`), followed as it writes; killed after the test. */
function startPython(args: string[], url: string): { output(): string; exited: Promise<number | null> } {
  let out = '';
  const proc = spawn(celeryPython(), args, {
    cwd: CELERY_APP_DIR,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', CELERY_BROKER_URL: url, CELERY_RESULT_BACKEND: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  receiver = proc;
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { output: () => out, exited };
}

describe('celery inspect / celery control → tq worker', () => {
  it('answers `celery inspect ping` under its name, also when addressed with -d', async () => {
    const { url, env } = await deploy();
    await tqWorker('tqping@test', env);
    expect(await celeryJson(url, ['inspect', 'ping'])).toEqual({ 'tqping@test': { ok: 'pong' } });
    expect(await celeryJson(url, ['inspect', 'ping', '-d', 'tqping@test'])).toEqual({ 'tqping@test': { ok: 'pong' } });
    const elsewhere = await celery(['inspect', 'ping', '-d', 'nobody@test', '--timeout', '1'], { broker: url });
    expect(elsewhere.stdout + elsewhere.stderr).toMatch(/No nodes replied/);
  }, 90_000);

  it("answers under kombu's global_keyprefix, and a Celery app without that prefix does not reach it", async () => {
    const { url, env } = await deploy();
    await tqWorker('tqprefix@test', { ...env, TQ_CELERY_KEY_PREFIX: 'app1:' });
    const run = await celery(['inspect', 'ping', '--json', '--timeout', '5'], { broker: url, keyPrefix: 'app1:' });
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({ 'tqprefix@test': { ok: 'pong' } });
    const unprefixed = await celery(['inspect', 'ping', '--timeout', '1'], { broker: url });
    expect(unprefixed.stdout + unprefixed.stderr).toMatch(/No nodes replied/);
  }, 90_000);

  it('is known to Celery as celery@<name> when its name has no @, as a Celery worker started with -n <name>', async () => {
    const { url, env } = await deploy();
    await tqWorker('bare-box', env);
    expect(await celeryJson(url, ['inspect', 'ping'])).toEqual({ 'celery@bare-box': { ok: 'pong' } });
    // tq's own CLI, on the same channels, still calls it by its tq name.
    const ping = await deployment.cli(['inspect', 'ping', '--json'], env);
    expect(JSON.parse(ping.stdout)).toEqual({ 'bare-box': 'pong' });
  }, 90_000);

  it('lists its registered tasks, the task it runs (inspect active) and its queues, as a Celery worker does', async () => {
    const { url, env } = await deploy();
    // Threads: a terminate ends a running task by force there (the fixture's sleepy ignores its AbortSignal).
    await tqWorker('tqactive@test', env, ['-P', 'threads', '-c', '2']);
    expect(await celeryJson(url, ['inspect', 'registered', '-d', 'tqactive@test'])).toEqual({ 'tqactive@test': ['add', 'echo', 'fail', 'flaky', 'record', 'sleepy'] });
    const id = await py(url, "print(app.send_task('sleepy', (300,)).id)");
    const active = await waitFor(async () => {
      const reply = (await celeryJson(url, ['inspect', 'active', '-d', 'tqactive@test']))['tqactive@test'] as Record<string, unknown>[];
      return reply.length > 0 ? reply : null;
    }, 'the sleepy task to show in inspect active', 30_000, 200);
    expect(active).toEqual([
      expect.objectContaining({ id, name: 'sleepy', args: [300], kwargs: {}, hostname: 'tqactive@test', delivery_info: expect.objectContaining({ routing_key: 'celery' }) }),
    ]);
    expect(typeof active[0]!.time_start).toBe('number');
    expect(await celeryJson(url, ['inspect', 'query_task', id, '-d', 'tqactive@test'])).toEqual({ 'tqactive@test': { [id]: ['active', expect.objectContaining({ id, name: 'sleepy' })] } });
    expect(await celeryJson(url, ['inspect', 'reserved', '-d', 'tqactive@test'])).toEqual({ 'tqactive@test': [] });
    const queues = (await celeryJson(url, ['inspect', 'active_queues', '-d', 'tqactive@test']))['tqactive@test'] as { name: string }[];
    expect(queues.map((q) => q.name)).toEqual(['celery']);
    const stats = (await celeryJson(url, ['inspect', 'stats', '-d', 'tqactive@test']))['tqactive@test'] as Record<string, unknown>;
    expect(stats).toMatchObject({ pool: { 'max-concurrency': 2, implementation: 'tq:threads' }, sw_ident: 'tq' });
    // Revoked with terminate: the running task ends, and Python's AsyncResult reads REVOKED.
    expect(await celeryJson(url, ['control', 'terminate', 'SIGTERM', id, '-d', 'tqactive@test'])).toEqual({ 'tqactive@test': { ok: `terminate: ${id}` } });
    expect(await py(url, `from celery.result import AsyncResult\nimport time\nr = AsyncResult('${id}', app=app)\nt = time.time()\nwhile r.state != 'REVOKED' and time.time() - t < 20:\n    time.sleep(0.1)\nprint(r.state)`)).toBe('REVOKED');
  }, 120_000);

  it('takes `celery control revoke` (a later message with that id is not run), rate_limit and shutdown', async () => {
    const { url, env } = await deploy();
    const tq = await tqWorker('tqctl@test', env);
    const id = randomUUID();
    expect(await celeryJson(url, ['control', 'revoke', id, '-d', 'tqctl@test'])).toEqual({ 'tqctl@test': { ok: `tasks ${id} flagged as revoked` } });
    expect(await celeryJson(url, ['inspect', 'revoked', '-d', 'tqctl@test'])).toEqual({ 'tqctl@test': [id] });
    const state = await py(url, `import time\nr = app.send_task('add', (1, 2), task_id='${id}')\nt = time.time()\nwhile r.state == 'PENDING' and time.time() - t < 20:\n    time.sleep(0.1)\nprint(r.state)`);
    expect(state).toBe('REVOKED');
    expect(tq.output()).not.toMatch(new RegExp(`add\\[${id}\\] succeeded`));

    expect(await celeryJson(url, ['control', 'rate_limit', 'add', '10/m', '-d', 'tqctl@test'])).toEqual({ 'tqctl@test': { ok: 'new rate limit set successfully' } });
    expect(await celeryJson(url, ['control', 'rate_limit', 'no_such_task', '10/m', '-d', 'tqctl@test'])).toEqual({ 'tqctl@test': { error: "no task 'no_such_task' on this worker" } });
    expect(await celeryJson(url, ['inspect', 'conf', '-d', 'tqctl@test'])).toEqual({ 'tqctl@test': { error: "'conf' is not a command tq workers answer" } });

    expect(await celeryJson(url, ['control', 'shutdown', '-d', 'tqctl@test'])).toEqual({ 'tqctl@test': { ok: 'shutting down' } });
    expect(await tq.exited).toBe(0);
  }, 120_000);
});

describe("mingle: a Python worker starting beside a tq worker", () => {
  it('learns what tq revoked (its hello is answered with the revoked ids), so it does not run them either', async () => {
    const { url, env } = await deploy();
    await tqWorker('tqmingle@test', env);
    const id = randomUUID();
    const revoke = await deployment.cli(['control', 'revoke', id, '--json'], env);
    expect(JSON.parse(revoke.stdout)).toMatchObject({ 'tqmingle@test': { revoked: [] } });
    python = await startCeleryWorker({ broker: url, backend: url, hostname: 'pymingle@test', mingle: true, queues: ['pyonly'] });
    expect(python.log()).toMatch(/mingle: sync with 1 nodes/);
    expect(await celeryJson(url, ['inspect', 'revoked', '-d', 'pymingle@test'])).toEqual({ 'pymingle@test': [id] });
    const state = await py(url, `import time\nr = app.send_task('add', (1, 2), task_id='${id}', queue='pyonly')\nt = time.time()\nwhile r.state == 'PENDING' and time.time() - t < 20:\n    time.sleep(0.1)\nprint(r.state)`);
    expect(state).toBe('REVOKED');
    expect(python.log()).toMatch(new RegExp(`Discarding revoked task: add\\[${id}\\]`));
  }, 120_000);
});

describe('celeryev: a Python event receiver ← tq worker', () => {
  it('sees worker-heartbeat and the task-received/started/succeeded and task-failed events of tasks a tq worker runs', async () => {
    const { url, env } = await deploy();
    await tqWorker('tqev@test', env);
    const [ok, bad] = [randomUUID(), randomUUID()];
    const rx = startPython(['-c', RECEIVER, 'tqev@test', ok, bad], url);
    const ready = await waitFor(() => /^READY (.*)$/m.exec(rx.output()), `the receiver to see tqev@test's heartbeat:\n${rx.output()}`, 60_000, 50);
    expect(JSON.parse(ready[1]!)).toMatchObject({ type: 'worker-heartbeat', hostname: 'tqev@test', freq: 2, sw_ident: 'tq', active: 0 });
    await py(url, `app.send_task('add', (2, 3), task_id='${ok}')\napp.send_task('fail', ('kaboom',), task_id='${bad}')`);
    expect(await Promise.race([rx.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 60_000))])).toBe(0);
    const events = rx.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const of = (id: string) => events.filter((e) => e.uuid === id);
    expect(of(ok).map((e) => e.type)).toEqual(['task-received', 'task-started', 'task-succeeded']);
    expect(of(ok)[0]).toMatchObject({ hostname: 'tqev@test', name: 'add', args: '(2, 3)', kwargs: '{}' });
    expect(of(ok)[2]).toMatchObject({ hostname: 'tqev@test', result: '5', runtime: expect.any(Number) });
    expect(of(bad).map((e) => e.type)).toEqual(['task-received', 'task-started', 'task-failed']);
    expect(String(of(bad)[2]!.exception)).toBe("ValueError('kaboom')");
    for (const e of events) expect(e).toMatchObject({ clock: expect.any(Number), timestamp: expect.any(Number), utcoffset: expect.any(Number), pid: expect.any(Number) });
  }, 120_000);

  it('shows in `celery events --dump`: its heartbeats, a task it runs, and its worker-offline at a warm shutdown', async () => {
    const { url, env } = await deploy();
    const tq = await tqWorker('tqdump@test', env);
    const dump = startPython(['-m', 'celery', '-A', 'celeryapp', 'events', '--dump'], url);
    await waitFor(() => /tqdump@test \[[^\]]+\] heartbeat: .*sw_ident=tq/.test(dump.output()), `a heartbeat in celery events --dump:\n${dump.output()}`, 60_000, 50);
    const id = await py(url, "r = app.send_task('add', (20, 22))\nr.get(timeout=30)\nprint(r.id)");
    await waitFor(
      () => new RegExp(`tqdump@test \\[[^\\]]+\\] task succeeded: add\\(${id}\\) args=\\(20, 22\\) .*result=42`).test(dump.output()),
      `the task in celery events --dump:\n${dump.output()}`,
      30_000,
      50,
    );
    tq.signal('SIGTERM');
    expect(await tq.exited).toBe(0);
    await waitFor(() => /tqdump@test \[[^\]]+\] shutdown: /.test(dump.output()), `worker-offline (shown as shutdown) in celery events --dump:\n${dump.output()}`, 30_000, 50);
  }, 120_000);
});

describe("tq's CLI ← Python workers (Celery's channels)", () => {
  it('tq inspect ping and registered answer for a Python and a tq worker alike', async () => {
    const { url, env } = await deploy();
    python = await startCeleryWorker({ broker: url, backend: url, hostname: 'pyping@test' });
    await tqWorker('tqping@test', env);
    const ping = await deployment.cli(['inspect', 'ping', '--json'], env);
    expect(JSON.parse(ping.stdout)).toEqual({ 'pyping@test': 'pong', 'tqping@test': 'pong' });
    const registered = JSON.parse((await deployment.cli(['inspect', 'registered', '--json'], env)).stdout) as Record<string, string[]>;
    expect(registered['pyping@test']).toEqual(['add', 'echo', 'fail', 'flaky', 'sleepy']);
    expect(registered['tqping@test']).toEqual(['add', 'echo', 'fail', 'flaky', 'record', 'sleepy']);
  }, 120_000);

  it("tq inspect active shows a Python worker's running task as a tq worker's, and tq control reaches it", async () => {
    const { url, env } = await deploy();
    // Prefork: a solo worker's pidbox waits while its one task runs, as Celery's own does.
    python = await startCeleryWorker({ broker: url, backend: url, hostname: 'pyact@test', pool: 'prefork', concurrency: 2 });
    const id = await py(url, "print(app.send_task('sleepy', (20,)).id)");
    const active = await waitFor(async () => {
      const run = await deployment.cli(['inspect', 'active', '--json'], env);
      const tasks = (JSON.parse(run.stdout) as Record<string, unknown[]>)['pyact@test'];
      return tasks && tasks.length > 0 ? tasks : null;
    }, "the Python worker's task in tq inspect active", 30_000, 200);
    expect(active).toEqual([expect.objectContaining({ id, name: 'sleepy', args: [20], queue: 'celery', worker: 'pyact@test', state: 'active', startedAt: expect.any(String) })]);
    const limit = await deployment.cli(['control', 'rate_limit', 'add', '5/m', '--json'], env);
    expect(JSON.parse(limit.stdout)).toEqual({ 'pyact@test': 'new rate limit set successfully' });
    const unknown = await deployment.cli(['control', 'rate_limit', 'nope', '5/m', '--json'], env);
    expect(JSON.parse(unknown.stdout)).toEqual({ 'pyact@test': { error: 'unknown task' } });
  }, 120_000);

  it("tq events shows a Python worker's task events beside a tq worker's", async () => {
    const { url, env } = await deploy();
    python = await startCeleryWorker({ broker: url, backend: url, hostname: 'pyev@test', queues: ['pyq'] });
    await tqWorker('tqev@test', env);
    const follow = startCli(['events', '--json', '--follow', '--broker', url], { env });
    followers.push(follow);
    const lines = () => follow.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    // Following has begun once a heartbeat of each kind of worker came through.
    await waitFor(() => ['pyev@test', 'tqev@test'].every((h) => lines().some((e) => e.type === 'worker-heartbeat' && e.hostname === h)), `heartbeats in tq events:\n${follow.output()}`, 30_000, 50);
    const [onPython, onTq] = (await py(url, "a = app.send_task('add', (1, 1), queue='pyq')\nb = app.send_task('add', (2, 2))\nprint(a.id, b.id, a.get(timeout=30), b.get(timeout=30))")).split(' ');
    const succeeded = (id: string) => lines().find((e) => e.type === 'task-succeeded' && e.taskId === id);
    await waitFor(() => succeeded(onPython!) && succeeded(onTq!), `both task-succeeded events in tq events:\n${follow.output()}`, 30_000, 50);
    expect(succeeded(onPython!)).toMatchObject({ hostname: 'pyev@test', data: { result: '2', runtimeMs: expect.any(Number) } });
    expect(succeeded(onTq!)).toMatchObject({ hostname: 'tqev@test', task: 'add', data: { result: '4' } });
    // One stream: every event id is after the one before it, so a follower resumes after either kind.
    const ids = lines().map((e) => String(e.eventId));
    expect(new Set(ids).size).toBe(ids.length);
  }, 120_000);
});
