import { describe, expect, it } from 'vitest';
import { receivedCount, amqpSetup, redisSetup, sqliteSetup, useDeployments } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const ALPHA = 'test/fixtures/split-alpha';
const BETA = 'test/fixtures/split-beta';

const count = (text: string, pattern: RegExp) => (text.match(new RegExp(pattern, 'g')) ?? []).length;

/**
 * Workers that each register only some tasks share a queue: a message for a
 * task one worker does not know is left for a worker that does, and only a
 * name no worker registers is dead-lettered.
 */
describe.each([sqliteSetup(), redisSetup(), amqpSetup('redis')])('tasks a worker does not register, on $name', (setup) => {
  const deploy = useDeployments(setup);

  it('runs every task on a worker that registers it, and dead-letters only a name no worker registers, with a FAILURE record', async () => {
    const d = deploy();
    const a = await d.worker(ALPHA, ['-P', 'async', '-n', 'w-alpha']);
    const b = await d.worker(BETA, ['-P', 'async', '-n', 'w-beta']);
    const client = await d.client();
    const calls = Array.from({ length: 40 }, (_, i) => ({ name: i % 2 === 0 ? 'alpha' : 'beta', options: { args: [i] } }));
    const results = await client.sendMany(calls);
    const gamma = await client.sendTask('gamma');
    const values = await Promise.all(results.map((r) => r.get({ timeout: 60_000 })));
    expect(values).toEqual(calls.map((c, i) => `${c.name} ${i} on w-${c.name}`));
    // Each ran once, on its own worker (log lines may trail the results a little).
    await waitFor(() => results.every((r, i) => receivedCount((i % 2 === 0 ? a : b).output(), r.id) === 1), 'a received line for every task');
    for (const [i, r] of results.entries()) expect(receivedCount((i % 2 === 0 ? b : a).output(), r.id)).toBe(0);
    await expect(gamma.get({ timeout: 30_000 })).rejects.toThrow(/Rejected: unknown task 'gamma': neither w-(alpha|beta) nor any online worker consuming 'default' registers it/);
    expect(gamma.record).toMatchObject({ state: 'FAILURE', task: 'gamma' });
    expect((await client.broker.listDead(100)).map((x) => x.id)).toEqual([gamma.id]);
    // A worker that passed messages on says so once per task name, however many it passed on.
    expect(count(a.output(), /task 'beta' is not registered on this worker/)).toBeLessThanOrEqual(1);
    expect(count(b.output(), /task 'alpha' is not registered on this worker/)).toBeLessThanOrEqual(1);
  });

  it('keeps the tasks of a worker that is restarting, and warns at start-up of tasks in its queue it cannot run', async () => {
    const d = deploy();
    const first = await d.worker(BETA, ['-P', 'async', '-n', 'w-beta']);
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    const client = await d.client();
    const betas = await client.sendMany([1, 2, 3].map((n) => ({ name: 'beta', options: { args: [n] } })));
    // Only this alpha worker runs now; w-beta went offline a moment ago.
    const c = await d.worker(ALPHA, ['-P', 'async', '-n', 'w-alpha']);
    // RabbitMQ cannot read a queue without taking from it, so there the warning comes when the first beta arrives.
    if (!setup.amqp) expect(c.output()).toMatch(/queue 'default' holds tasks this worker does not register, among its first 100 ready messages: beta ×3 \(left for w-beta\)/);
    await c.waitForOutput(/task 'beta' is not registered on this worker: its messages go back to the queue for a worker that registers it \(registered by w-beta\)/);
    await d.worker(BETA, ['-P', 'async', '-n', 'w-beta']);
    expect(await Promise.all(betas.map((r) => r.get({ timeout: 60_000 })))).toEqual(['beta 1 on w-beta', 'beta 2 on w-beta', 'beta 3 on w-beta']);
    expect(await client.broker.listDead(100)).toEqual([]);
    expect(count(c.output(), /task 'beta' is not registered on this worker/)).toBe(1);
  });
});
