import { describe, expect, it } from 'vitest';
import { amqpSetup, redisSetup, redisSqliteSetup, sqliteSetup, useDeployments } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const TASKS = 'test/fixtures/pool-tasks';

describe.each([sqliteSetup(), redisSetup(), amqpSetup('redis'), amqpSetup('sqlite'), redisSqliteSetup()])('task options on a real worker on $name', (setup) => {
  const deploy = useDeployments(setup);

  it('revokes a message that reaches a worker after it expired, without running it', async () => {
    const d = deploy();
    const client = await d.client();
    const stale = await client.sendTask('add', { args: [1, 2], expires: new Date(Date.now() + 50) });
    await new Promise((resolve) => setTimeout(resolve, 100)); // let it expire before any worker exists
    const w = await d.worker(TASKS, ['-P', 'async']);
    await expect(stale.get({ timeout: 30_000 })).rejects.toThrow(/REVOKED|expired/);
    expect(stale.record?.state).toBe('REVOKED');
    expect(w.output()).not.toMatch(new RegExp(`add\\[${stale.id}\\] received`));
  });

  it('acks an acksLate: false task before running it, so a worker killed mid-run does not repeat it', async () => {
    const d = deploy();
    const client = await d.client();
    const ok = await client.sendTask('once_only', { args: [10] });
    const first = await d.worker(TASKS, ['-P', 'async']);
    expect(await ok.get({ timeout: 30_000 })).toBe('ran');
    const doomed = await client.sendTask('once_only', { args: [60_000] });
    await first.waitForOutput(new RegExp(`once_only\\[${doomed.id}\\] received`));
    first.signal('SIGKILL');
    await first.exited;
    const [stats] = await client.broker.stats(['default']);
    // On RabbitMQ the killed worker's connection closed: nothing went back, since it was acked (leased and delayed counts are unknown there).
    expect(stats).toMatchObject(setup.amqp ? { ready: 0 } : { ready: 0, leased: 0, scheduled: 0 });
    expect(await doomed.state()).toBe('STARTED');
  });

  it('stores SUCCESS without the value for ignoreResult tasks', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async']);
    const client = await d.client();
    const r = await client.sendTask('quiet');
    await r.get({ timeout: 30_000 });
    expect(r.record?.state).toBe('SUCCESS');
    expect(r.record).not.toHaveProperty('result');
  });

  it('replaces a child after --max-tasks-per-child tasks', async () => {
    const d = deploy();
    const w = await d.worker(TASKS, ['-P', 'prefork', '-c', '1', '--max-tasks-per-child', '2']);
    const client = await d.client();
    const pids: number[] = [];
    for (let i = 0; i < 4; i++) pids.push(await (await client.sendTask('pid')).get({ timeout: 30_000 }) as number);
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[2]).not.toBe(pids[0]);
    await waitFor(() => /recycling prefork executor after 2 tasks/.test(w.output()), 'the recycle log line');
  });

  it('replaces a child whose RSS passes --max-memory-per-child, and keeps one that stays under', async () => {
    const d = deploy();
    const client = await d.client();
    const pidsOf = async (n: number) => {
      const pids: number[] = [];
      for (let i = 0; i < n; i++) pids.push((await (await client.sendTask('pid')).get({ timeout: 30_000 })) as number);
      return pids;
    };
    // 1 KiB: every child is over it after each task.
    const small = await d.worker(TASKS, ['-P', 'prefork', '-c', '1', '--max-memory-per-child', '1']);
    const recycled = await pidsOf(3);
    expect(new Set(recycled).size).toBe(3);
    await waitFor(() => /recycling prefork executor at \d+ MiB/.test(small.output()), 'the recycle log line');
    small.signal('SIGTERM');
    await small.exited;
    // 16 GiB: no child gets there.
    const large = await d.worker(TASKS, ['-P', 'prefork', '-c', '1', '--max-memory-per-child', String(16 * 1024 * 1024)]);
    expect(new Set(await pidsOf(3)).size).toBe(1);
    expect(large.output()).not.toMatch(/recycling/);
  });
});
