import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { receivedCount, amqpSetup, redisSetup, sqliteSetup, useDeployments } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const TASKS = 'test/fixtures/pool-tasks';

describe.each([sqliteSetup(), redisSetup(), amqpSetup('redis')])('worker pools, retries and limits on $name', (setup) => {
  const deploy = useDeployments(setup);

  it.each(['threads', 'prefork'])('never delivers twice a CPU-bound task that runs 3× its lease (%s)', async (pool) => {
    const d = deploy();
    // A 1-second lease and a task that blocks its executor for 3 seconds; a second worker stands by to steal it.
    const env = { TQ_LEASE_MS: '1000' };
    const a = await d.worker(TASKS, ['-P', pool, '-c', '1'], env);
    const client = await d.client();
    const result = await client.sendTask('spin', { args: [3000] });
    await a.waitForOutput(new RegExp(`spin\\[${result.id}\\] received`));
    const b = await d.worker(TASKS, ['-P', pool, '-c', '1'], env);
    expect(await result.get({ timeout: 30_000 })).toBe(true);
    expect(receivedCount(a.output() + b.output(), result.id)).toBe(1);
  });

  it.each(['threads', 'prefork'])('ends `while (true) {}` at its hard limit and goes on with the next task (%s)', async (pool) => {
    const d = deploy();
    const w = await d.worker(TASKS, ['-P', pool, '-c', '1']);
    const client = await d.client();
    const stuck = await client.sendTask('forever');
    const next = await client.sendTask('add', { args: [2, 3] });
    await expect(stuck.get({ timeout: 30_000 })).rejects.toThrow(/TimeLimitExceeded/);
    expect(await next.get({ timeout: 30_000 })).toBe(5);
    expect(w.child.exitCode).toBeNull();
  });

  it('applies a per-call hard limit to a task that has none', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'threads', '-c', '1']);
    const client = await d.client();
    const capped = await client.sendTask('spin', { args: [60_000], timeLimit: 0.5 });
    await expect(capped.get({ timeout: 30_000 })).rejects.toThrow(/TimeLimitExceeded/);
  });

  it('retries a task whose child was SIGKILLed, dead-letters one that always is, and keeps running', async () => {
    const d = deploy();
    const w = await d.worker(TASKS, ['-P', 'prefork', '-c', '1']);
    const client = await d.client();
    const once = await client.sendTask('crash_once');
    expect(await once.get({ timeout: 30_000 })).toBe('survived');
    const always = await client.sendTask('crash_always');
    await expect(always.get({ timeout: 30_000 })).rejects.toThrow(/WorkerLostError/);
    expect(always.record?.retries).toBe(2);
    const [stats] = await client.broker.stats(['default']);
    expect(stats?.dead).toBe(1);
    expect(w.output()).toMatch(/executor ended unexpectedly/);
    expect(w.child.exitCode).toBeNull();
    expect(await (await client.sendTask('add', { args: [1, 1] })).get({ timeout: 30_000 })).toBe(2);
  });

  it('spaces retries by exponential backoff: 200, 400, 800 ms', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async', '-c', '2']);
    const client = await d.client();
    const file = d.file('attempts.txt');
    const result = await client.sendTask('flaky', { args: [file] });
    await expect(result.get({ timeout: 30_000 })).rejects.toThrow(/still flaky/);
    const times = readFileSync(file, 'utf8').trim().split('\n').map(Number);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    [200, 400, 800].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected);
      expect(gaps[i]).toBeLessThan(expected + 400); // scheduling slack on a loaded 2-core machine
    });
  });

  it('retries on request with a countdown, and raises the soft limit into the task as its signal', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async', '-c', '2']);
    const client = await d.client();
    expect(await (await client.sendTask('again')).get({ timeout: 30_000 })).toBe('done after 2 retries');
    await expect((await client.sendTask('soft')).get({ timeout: 30_000 })).rejects.toThrow(/SoftTimeLimitExceeded/);
  });

  it('holds a 10/s rate limit across 3 workers: at most 110 starts in 10 s, none failed', async () => {
    const d = deploy();
    await Promise.all([1, 2, 3].map(() => d.worker(TASKS, ['-P', 'async', '-c', '5'])));
    const client = await d.client();
    const file = d.file('starts.txt');
    const results = await client.sendMany(Array.from({ length: 150 }, () => ({ name: 'limited', options: { args: [file] } })));
    // appendFileSync creates the file before it writes: a read in between sees it empty, which is no start.
    const starts = () => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
    await waitFor(() => { try { const s = starts(); return s.length > 0 && Date.now() - s[0]! > 10_500; } catch { return false; } }, 'a 10-second window', 30_000, 100);
    const all = starts();
    const inWindow = all.filter((t) => t < all[0]! + 10_000).length;
    expect(inWindow).toBeLessThanOrEqual(110);
    expect(inWindow).toBeGreaterThanOrEqual(90); // the limit throttles, it does not stall
    for (const r of results) expect(await r.state()).not.toBe('FAILURE');
  });

  it('on SIGTERM finishes 4 running tasks and hands 20 reserved back at once; 0 lost, 0 duplicates', async () => {
    const d = deploy();
    const client = await d.client();
    const results = await client.sendMany(Array.from({ length: 24 }, () => ({ name: 'nap', options: { args: [2000] } })));
    const first = await d.worker(TASKS, ['-P', 'threads', '-c', '4', '--prefetch-multiplier', '6']);
    await waitFor(() => (first.output().match(/nap\[.*\] received/g) ?? []).length === 4, '4 running tasks');
    first.signal('SIGTERM');
    await first.waitForOutput(/handing back 20 reserved/);
    await waitFor(async () => (await client.broker.stats(['default']))[0]?.ready === 20, 'the 20 reserved messages back in the queue');
    expect(await first.exited).toBe(0);
    const second = await d.worker(TASKS, ['-P', 'async', '-c', '24']);
    for (const r of results) expect(await r.get({ timeout: 30_000 })).toBe(r.id);
    const output = first.output() + second.output();
    for (const r of results) expect(receivedCount(output, r.id)).toBe(1);
  });

  it('on a second signal hands the running tasks back and exits before they could finish', async () => {
    const d = deploy();
    const client = await d.client();
    const results = await client.sendMany(Array.from({ length: 4 }, () => ({ name: 'nap', options: { args: [5000] } })));
    const w = await d.worker(TASKS, ['-P', 'threads', '-c', '4']);
    await waitFor(() => (w.output().match(/nap\[.*\] received/g) ?? []).length === 4, '4 running tasks');
    w.signal('SIGTERM');
    await w.waitForOutput(/warm shutdown/);
    w.signal('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.output()).toMatch(/handed back 4 task/);
    // The 5-second naps cannot have finished: the worker left them to the queue, ready for another.
    for (const r of results) expect(await r.state()).toBe('PENDING');
    expect((await client.broker.stats(['default']))[0]?.ready).toBe(4);
  });
});

describe('soft time limits in the log', () => {
  const deploy = useDeployments(sqliteSetup());

  it.each(['solo', 'async', 'threads', 'prefork'])('logs a warning with the task, its id and the limit when a soft limit fires (%s)', async (pool) => {
    const d = deploy();
    const w = await d.worker(TASKS, ['-P', pool, '-c', '1']);
    const client = await d.client();
    const soft = await client.sendTask('soft');
    await expect(soft.get({ timeout: 30_000 })).rejects.toThrow(/SoftTimeLimitExceeded/);
    await w.waitForOutput(new RegExp(`WARN/.*Task soft\\[${soft.id}\\] passed its soft time limit \\(0\\.3s\\): its AbortSignal fired`));
  });
});
