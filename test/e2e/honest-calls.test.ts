import { describe, expect, it } from 'vitest';
import { amqpSetup, redisSetup, redisSqliteSetup, sqliteSetup, useDeployments } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const TASKS = 'test/fixtures/e2e-tasks';

/**
 * Calls that cannot run, and calls that reuse an id, told so at once: refused
 * at send time when the client can tell (exit 2), else recorded FAILURE or
 * REVOKED by the worker or the broker, so a waiter learns it without waiting
 * out its timeout (a timeout would exit 5, a recorded failure exits 6).
 */
describe.each([sqliteSetup(), redisSetup(), amqpSetup('redis'), amqpSetup('sqlite'), redisSqliteSetup()])('calls told the truth at once, on $name', (setup) => {
  const deploy = useDeployments(setup);
  const call = (d: ReturnType<typeof deploy>, args: string[]) => d.cli(['call', ...args, '--tasks', TASKS]);

  it('ends `call --no-check nosuch --wait` with exit 6 and the reason when no worker registers it', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async']);
    const r = await call(d, ['--no-check', 'nosuch', '--wait', '--timeout', '30']);
    expect(r.stderr).toMatch(/failed: Rejected: unknown task 'nosuch': neither .* nor any online worker consuming 'default' registers it/);
    expect(r.code).toBe(6);
  });

  it('records a FAILURE under the delivery id for a message that does not decode (a __proto__ key deep in kwargs), so `result --wait` ends at once', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async']);
    const client = await d.client();
    const id = 'hostile-1';
    const body = `{"id":"${id}","task":"add","args":[1,2],"kwargs":{"a":{"b":{"__proto__":{"polluted":true}}}},"queue":"default","priority":4,"eta":null,"expires":null,"retries":0,"rootId":"${id}","parentId":null,"headers":{}}`;
    const notJson = 'not json at all';
    expect(await client.broker.enqueue([{ id, queue: 'default', priority: 4, etaMs: null, body }, { id: 'garbage-1', queue: 'default', priority: 4, etaMs: null, body: notJson }])).toEqual([]);
    const hostile = await d.cli(['result', id, '--wait', '--timeout', '30']);
    expect(hostile.code).toBe(6);
    expect(hostile.stdout + hostile.stderr).toMatch(/Rejected: malformed message: kwargs\.a\.b\.__proto__/);
    const garbage = await d.cli(['result', 'garbage-1', '--wait', '--timeout', '30', '--json']);
    expect(garbage.code).toBe(6);
    expect(JSON.parse(garbage.stdout)).toMatchObject({ id: 'garbage-1', state: 'FAILURE', error: { name: 'Rejected', message: expect.stringMatching(/^malformed message: not JSON/) } });
    expect((await client.broker.listDead(10)).map((x) => x.id).sort()).toEqual(['garbage-1', id]);
  });

  it('refuses at send time (exit 2) a bad name with --no-check, a __proto__ key at any depth, and an expiry already passed; warns of a past eta', async () => {
    const d = deploy();
    for (const args of [
      ['--no-check', 'bad name!'],
      ['--no-check', '../../etc/passwd'],
      ['add', '1', '--kwargs', '{"__proto__":{"polluted":true}}'],
      ['add', '1', '{"deep":[{"__proto__":{"polluted":true}}]}'],
      ['add', '1', '2', '--expires', '2020-01-01T00:00:00Z'],
    ]) {
      const r = await call(d, args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/^Error: .*(not a valid task name|prototype|could never run)/);
    }
    const client = await d.client();
    // Nothing was sent (RabbitMQ cannot count delayed messages per queue: null there).
    expect(await client.broker.stats(['default'])).toEqual([expect.objectContaining({ ready: 0, scheduled: setup.amqp ? null : 0 })]);
    await d.worker(TASKS, ['-P', 'async']);
    const late = await call(d, ['add', '1', '2', '--eta', '2020-01-01T00:00:00Z', '--wait', '--timeout', '30']);
    expect(late.stderr).toBe('Warning: eta 2020-01-01T00:00:00.000Z is in the past: the task runs at once\n');
    expect(late.stdout.trim()).toBe('3');
  });

  it('refuses a reused --task-id with exit 2 and keeps the first task and its result', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async']);
    expect((await call(d, ['add', '1', '2', '--task-id', 'same-id', '--wait', '--timeout', '30'])).stdout.trim()).toBe('3');
    const again = await call(d, ['add', '5', '5', '--task-id', 'same-id', '--wait', '--timeout', '30']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/Error: task id "same-id" is already in use .*: this call was not sent\nHint: /);
    expect(again.stdout).toBe('');
    expect(JSON.parse((await d.cli(['result', 'same-id', '--json'])).stdout)).toMatchObject({ state: 'SUCCESS', result: 3 });
  });

  it('records purged tasks REVOKED (reason purged) at once: `result --wait` ends, the event stream says so', async () => {
    const d = deploy();
    const client = await d.client();
    const sent = await client.sendMany([1, 2, 3].map((n) => ({ name: 'add', options: { args: [n, n] } })));
    expect(JSON.parse((await d.cli(['purge', '-f', '--json'])).stdout)).toEqual({ default: 3 });
    // A final state ends the wait at once (still waiting at the timeout would exit 5); REVOKED did not
    // succeed, so `result --wait` exits 6 on it, as `call --wait` does.
    const waited = await d.cli(['result', sent[0]!.id, '--wait', '--timeout', '30']);
    expect(waited.code).toBe(6);
    expect(waited.stdout).toMatch(/state:\s+REVOKED/);
    expect(waited.stdout).toMatch(/Revoked: purged/);
    for (const r of sent) expect(JSON.parse((await d.cli(['result', r.id, '--json'])).stdout)).toMatchObject({ state: 'REVOKED', task: 'add', error: { message: 'purged' } });
    const top = await d.cli(['top', '--once']);
    expect(top.stdout).toMatch(/REVOKED/);
    expect(top.stdout).not.toMatch(/PENDING/);
    await waitFor(async () => {
      const events = (await d.cli(['events', '--json', '--from', '0', '--no-follow'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
      const revoked = events.filter((e) => e.type === 'task-revoked').map((e) => e.taskId);
      return revoked.length === 3 && sent.every((r) => revoked.includes(r.id));
    }, 'a task-revoked event per purged task');
  });
});
