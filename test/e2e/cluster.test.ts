import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/runtime/message.js';
import { amqpSetup, receivedCount, redisSetup, redisSqliteSetup, sqliteSetup, useDeployments } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const TASKS = 'test/fixtures/cluster-tasks';

/** Operating a running cluster through the real CLI, on every broker. */
describe.each([sqliteSetup(), redisSetup(), amqpSetup('redis'), amqpSetup('sqlite'), redisSqliteSetup()])('operate a cluster on $name', (setup) => {
  const deploy = useDeployments(setup);

  it('shows who runs what: inspect active, ping, stats, registered, reserved, scheduled, status; -d limits who answers', async () => {
    const d = deploy();
    const workers = await Promise.all([
      d.worker(TASKS, ['-P', 'async', '-c', '2', '-n', 'w-async']),
      d.worker(TASKS, ['-P', 'threads', '-c', '1', '-n', 'w-threads']),
      d.worker(TASKS, ['-P', 'prefork', '-c', '1', '-n', 'w-prefork']),
    ]);
    const client = await d.client();
    // Long enough to still run through every inspect below on a loaded machine; cleanup kills the workers.
    const naps = await client.sendMany(Array.from({ length: 4 }, () => ({ name: 'nap', options: { args: [120_000] } })));
    await waitFor(() => naps.every((n) => workers.some((w) => receivedCount(w.output(), n.id) === 1)), 'all 4 naps running');
    const active = JSON.parse((await d.cli(['inspect', 'active', '--json'])).stdout) as Record<string, { id: string }[]>;
    expect(Object.keys(active).sort()).toEqual(['w-async', 'w-prefork', 'w-threads']);
    for (const [host, tasks] of Object.entries(active)) {
      const w = workers.find((x) => x.output().includes(`${host} ready.`))!;
      for (const t of tasks) expect(receivedCount(w.output(), t.id)).toBe(1);
    }
    expect(Object.values(active).flat().map((t) => t.id).sort()).toEqual(naps.map((n) => n.id).sort());

    expect(JSON.parse((await d.cli(['inspect', 'ping', '--json'])).stdout)).toEqual({ 'w-async': 'pong', 'w-prefork': 'pong', 'w-threads': 'pong' });
    expect(JSON.parse((await d.cli(['inspect', 'ping', '-d', 'w-threads', '--json'])).stdout)).toEqual({ 'w-threads': 'pong' });
    const registered = JSON.parse((await d.cli(['inspect', 'registered', '-d', 'w-async', '--json'])).stdout);
    expect(registered['w-async']).toEqual(['mark', 'nap', 'noop']);
    const stats = JSON.parse((await d.cli(['inspect', 'stats', '-d', 'w-prefork', '--json'])).stdout);
    expect(stats['w-prefork']).toMatchObject({ pool: 'prefork', concurrency: 1, active: 1 });
    const reserved = JSON.parse((await d.cli(['inspect', 'reserved', '--json'])).stdout);
    expect(Object.values(reserved).flat()).toEqual([]);
    const later = await client.sendTask('noop', { countdown: 600 });
    const scheduled = JSON.parse((await d.cli(['inspect', 'scheduled', '--json'])).stdout);
    expect(Object.values(scheduled).flat().map((s) => (s as { id: string }).id)).toEqual([later.id]);
    const status = await d.cli(['status']);
    expect(status.stdout).toMatch(/w-threads: online/);
    expect(status.stdout).toMatch(/3 node\(s\) online/);
  });

  it('never runs revoked queued tasks, even on a worker that was offline when they were revoked', async () => {
    const d = deploy();
    const client = await d.client();
    const file = d.file('ran.txt');
    const doomed = await client.sendMany(Array.from({ length: 100 }, (_, i) => ({ name: 'mark', options: { args: [file, `doomed-${i}`] } })));
    const revoke = await d.cli(['control', 'revoke', ...doomed.map((r) => r.id)]);
    expect(revoke.code).toBe(0);
    // RabbitMQ cannot take a message out of a queue by id: the revocations are stored, and the worker skips them.
    expect(revoke.stdout).toContain(setup.amqp ? 'removed 0 waiting message(s)' : 'removed 100 waiting message(s)');
    const marker = await client.sendTask('mark', { args: [file, 'marker'] });
    await d.worker(TASKS, ['-P', 'async', '-c', '10']);
    await marker.get({ timeout: 30_000 });
    await waitFor(async () => (await Promise.all(doomed.map((r) => r.state()))).every((st) => st === 'REVOKED'), 'every doomed task REVOKED');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toEqual(['marker']);
  });

  it.each(['threads', 'prefork'])('ends a running task with revoke --terminate (%s) and goes on', async (pool) => {
    const d = deploy();
    const w = await d.worker(TASKS, ['-P', pool, '-c', '1']);
    const client = await d.client();
    const long = await client.sendTask('nap', { args: [60_000] });
    await w.waitForOutput(new RegExp(`nap\\[${long.id}\\] received`));
    const r = await d.cli(['control', 'revoke', long.id, '--terminate', '--json']);
    expect(r.code).toBe(0);
    await waitFor(async () => (await long.state()) === 'REVOKED', 'the task to be REVOKED', 15_000);
    expect(await (await client.sendTask('noop', { args: [7] })).get({ timeout: 30_000 })).toBe(7);
  });

  it('dead-letters 1,000 garbage messages among 10,000 good ones; every good one completes, the worker never crashes', async () => {
    const d = deploy();
    const client = await d.client();
    const good = await client.sendMany(Array.from({ length: 10_000 }, (_, i) => ({ name: 'noop', options: { args: [i] } })));
    const garbage = Array.from({ length: 1000 }, (_, i) => garbageEnvelope(i));
    // Mixed in: garbage between the good ones, in batches.
    for (let i = 0; i < garbage.length; i += 100) await client.broker.enqueue(garbage.slice(i, i + 100));
    const w = await d.worker(TASKS, ['-P', 'async', '-c', '50']);
    await waitFor(async () => {
      const [s] = await client.broker.stats(['default']);
      return s && s.ready === 0 && (s.leased ?? 0) === 0 && s.dead === 1000;
    }, 'the queue to drain with 1,000 dead letters', 180_000, 250);
    await waitFor(async () => (await Promise.all(good.map((r) => r.state()))).every((st) => st === 'SUCCESS'), 'every good one SUCCESS', 60_000, 250);
    const [stats] = await client.broker.stats(['default']);
    expect(stats).toMatchObject({ ready: 0, dead: 1000 });
    const dead = await client.broker.listDead(1000);
    expect(dead.every((x) => x.reason.length > 0)).toBe(true);
    expect(new Set(dead.map((x) => x.reason.split(':')[0]))).toEqual(new Set(['malformed message', 'unknown task \'no_such_task\'']));
    expect(w.child.exitCode).toBeNull();
    const longest = Math.max(...w.output().split('\n').map((l) => Buffer.byteLength(l)));
    expect(longest).toBeLessThanOrEqual(2048);
  });

  it('shows a task\'s whole life in order with `tq events --json`', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async']);
    const client = await d.client();
    const r = await client.sendTask('noop', { args: [1] });
    await r.get({ timeout: 30_000 });
    await waitFor(async () => {
      const out = await d.cli(['events', '--json', '--from', '0', '--no-follow']);
      const mine = out.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.taskId === r.id).map((e) => e.type);
      return JSON.stringify(mine) === JSON.stringify(['task-sent', 'task-received', 'task-started', 'task-succeeded']) ? mine : null;
    }, 'the full lifecycle in the event stream');
  });

  it('purges only with consent: refuses off a terminal without -f, counts what -f removed', async () => {
    const d = deploy();
    const client = await d.client();
    await client.sendMany(Array.from({ length: 5 }, () => ({ name: 'noop' })));
    const refused = await d.cli(['purge']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('not a terminal');
    expect((await client.broker.stats(['default']))[0]?.ready).toBe(5);
    const forced = await d.cli(['purge', '-f', '--json']);
    expect(JSON.parse(forced.stdout)).toEqual({ default: 5 });
  });
});

/** Every kind of bad message a queue can hold: not JSON, missing fields, wrong types, prototype keys, 5 MB bodies, unknown tasks. */
function garbageEnvelope(i: number) {
  const id = `garbage-${i}`;
  const valid = { id, task: 'noop', args: [], kwargs: {}, queue: 'default', priority: 4, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} };
  const bodies = [
    () => `{not json ${i}`,
    () => JSON.stringify({ id, task: 'noop' }),
    () => JSON.stringify({ ...valid, args: 'not-an-array', priority: 'high' }),
    () => `{"id":"${id}","task":"noop","args":[],"kwargs":{"__proto__":{"polluted":true}},"queue":"default","priority":4,"eta":null,"expires":null,"retries":0,"rootId":"${id}","parentId":null,"headers":{}}`,
    () => (i % 100 === 4 ? JSON.stringify({ ...valid, args: ['x'.repeat(5 * 1024 * 1024)] }) : JSON.stringify({ ...valid, kwargs: [] })),
    () => encodeMessage({ ...valid, task: 'no_such_task' }, 10 * 1024 * 1024).body,
  ];
  return { id, queue: 'default', priority: 4, etaMs: null, body: bodies[i % bodies.length]!() };
}

