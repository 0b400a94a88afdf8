import { describe, expect, it } from 'vitest';
import { encodeMessage, type TaskMessage } from '../../src/runtime/message.js';
import { amqpSetup, redisSetup, redisSqliteSetup, sqliteSetup, useDeployments } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const TASKS = 'test/fixtures/cluster-tasks';

function message(id: string, task: string, args: unknown[], queue: string): TaskMessage {
  return { id, task, args, kwargs: {}, queue, priority: 4, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} };
}

/** What the broker answers alone (`tq inspect dead | scheduled | queues`), the same on every broker. */
describe.each([sqliteSetup(), redisSetup(), amqpSetup('redis'), amqpSetup('sqlite'), redisSqliteSetup()])('tq inspect of the broker, on $name', (setup) => {
  const deploy = useDeployments(setup);

  it('lists dead letters and scheduled messages with id, task name, queue, time, reason and a body preview', async () => {
    const d = deploy();
    const client = await d.client();
    await client.broker.enqueue([encodeMessage(message('dead-0001', 'send_mail', ['a@b.c'], 'mail'), 1 << 20)]);
    // Straight to the broker, past the client that registers queues for a broker that cannot list them (RabbitMQ).
    await client.backend.registerQueues(['mail']);
    const [held] = await client.broker.reserve({ queues: ['mail'], holder: 'test', max: 1, leaseMs: 30_000, waitMs: 0 });
    await client.broker.deadLetter(held!.lease, 'SmtpError: mailbox full (failed for good after 3 retries)', null);
    const later = await client.sendTask('nap', { args: [5], countdown: 3600 });

    const dead = await d.cli(['inspect', 'dead']);
    expect(dead.code).toBe(0);
    expect(dead.stdout).toMatch(/^ {4}\* dead-0001 send_mail \[mail\] dead at \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    expect(dead.stdout).toContain('      reason: SmtpError: mailbox full (failed for good after 3 retries)');
    expect(dead.stdout).toMatch(/^ {6}body: {3}\{"id":"dead-0001","task":"send_mail","args":\["a@b\.c"\]/m);
    const deadJson = Object.values(JSON.parse((await d.cli(['inspect', 'dead', '--json'])).stdout))[0] as Record<string, unknown>[];
    expect(deadJson[0]).toMatchObject({ id: 'dead-0001', task: 'send_mail', queue: 'mail', reason: expect.stringContaining('mailbox full'), body: expect.stringContaining('"a@b.c"') });

    const scheduled = await d.cli(['inspect', 'scheduled']);
    expect(scheduled.stdout).toMatch(new RegExp(`^ {4}\\* ${later.id} nap \\[default\\] eta \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`, 'm'));
    expect(scheduled.stdout).toMatch(new RegExp(`^ {6}body: {3}\\{"id":"${later.id}","task":"nap","args":\\[5\\]`, 'm'));
  });

  it('lists the same queues on every broker: those holding a message or consumed by an online worker', async () => {
    const d = deploy();
    const client = await d.client();
    const empty = { ready: 0, scheduled: 0, leased: 0, dead: 0, oldestReadyAgeMs: null };
    const queues = async () => {
      const plain = await d.cli(['inspect', 'queues']);
      const json = Object.values(JSON.parse((await d.cli(['inspect', 'queues', '--json'])).stdout))[0];
      return { plain: plain.stdout, json };
    };
    expect(await queues()).toEqual({ plain: expect.stringContaining('(no queues: nothing waiting, and no online worker consumes one)'), json: [] });

    if (setup.amqp) {
      // RabbitMQ counts neither the delayed messages of a queue (they wait in the shared ladder) nor
      // its leased ones (the workers' heartbeats say those): every queue in use is listed, '-' for what is unknown.
      await client.sendTask('noop', { queue: 'mail', countdown: 3600 });
      await d.worker(TASKS, ['-P', 'async', '-Q', 'default']);
      await waitFor(async () => (await queues()).json.length === 2, 'both queues to be listed');
      const listed = await queues();
      expect(listed.json).toEqual([{ queue: 'default', ...empty, scheduled: null }, { queue: 'mail', ...empty, scheduled: null }]);
      expect(listed.plain).toMatch(/^ {4}mail +0 +- +0 +0 +-$/m);
      return;
    }
    // Used and emptied again: Redis still knows the queue's name, SQLite does not; neither lists it.
    await client.sendTask('noop', { queue: 'once' });
    expect((await d.cli(['purge', '-f', '-Q', 'once'])).code).toBe(0);
    expect((await queues()).json).toEqual([]);

    await client.sendTask('noop', { queue: 'mail', countdown: 3600 });
    await d.worker(TASKS, ['-P', 'async', '-Q', 'default']);
    await waitFor(async () => (await queues()).json.length === 2, 'the consumed queue to be listed');
    const listed = await queues();
    expect(listed.json).toEqual([{ queue: 'default', ...empty }, { queue: 'mail', ...empty, scheduled: 1 }]);
    expect(listed.plain).toMatch(/^ {4}default +0 +0 +0 +0 +-$/m);
    expect(listed.plain).toMatch(/^ {4}mail +0 +1 +0 +0 +-$/m);
    expect(listed.plain).not.toContain('once');
  });
});
