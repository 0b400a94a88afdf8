import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { amqpSetup, redisSetup, sqliteSetup, useDeployments } from '../support/project.js';

const SLOW = 'test/fixtures/slow-import-tasks';
const TASKS = 'test/fixtures/cluster-tasks';

/**
 * `tq control` tells the truth: it waits as long as the work it asks for
 * takes, and it exits non-zero when a worker refused (8), when one that
 * should have answered did not (5), and for bad arguments (2, before
 * anything is sent). `tq inspect` counts silence the same way.
 */
describe.each([sqliteSetup(), redisSetup(), amqpSetup('redis')])('tq control on $name', (setup) => {
  const deploy = useDeployments(setup);

  it('waits for a prefork pool to grow even when its children take over a second to start, and reports the new size', async () => {
    const d = deploy();
    await d.worker(SLOW, ['-P', 'prefork', '-c', '1', '-n', 'grow@e2e']);
    const grow = await d.cli(['control', 'pool_grow', '2', '--json']);
    expect(grow.code, grow.stderr).toBe(0);
    expect(JSON.parse(grow.stdout)).toEqual({ 'grow@e2e': { size: 3 } });
    const stats = JSON.parse((await d.cli(['inspect', 'stats', '--json'])).stdout);
    expect(stats['grow@e2e']).toMatchObject({ concurrency: 3 });
    const shrink = await d.cli(['control', 'pool_shrink', '1']);
    expect(shrink.code, shrink.stderr).toBe(0);
    expect(shrink.stdout).toMatch(/grow@e2e: OK[\s\S]*"size": 2/);
  }, 120_000);

  it('exits 5 with one line when no worker is online to ask', async () => {
    const d = deploy();
    const none = await d.cli(['control', 'pool_grow', '1']);
    expect(none.code).toBe(5);
    expect(none.stderr).toMatch(/^Error: no worker is online on .* to answer pool_grow$/m);
    const inspect = await d.cli(['inspect', 'ping']);
    expect(inspect.code).toBe(5);
  });

  it('exits 5 naming the workers that did not answer: one that is online but silent, one that is not online (-d nobody)', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async', '-n', 'w1@e2e']);
    const client = await d.client();
    // A worker whose heartbeat says online but that never answers (hung, or partitioned from the control stream).
    const ghost = { hostname: 'ghost@e2e', pid: 1, pool: 'async', concurrency: 1, queues: ['default'], active: 0, processed: 0, failed: 0, retried: 0, load: 0, rssBytes: 0, startedAt: new Date().toISOString(), version: '0', state: 'online' as const };
    const beat = () => client.backend.recordHeartbeat({ ...ghost, sentAt: new Date().toISOString() });
    await beat();
    const beating = setInterval(() => void beat(), 1000);
    try {
      const silent = await d.cli(['control', 'add_consumer', 'more', '-t', '1', '--json']);
      expect(silent.code).toBe(5);
      expect(JSON.parse(silent.stdout)).toEqual({ 'w1@e2e': { queues: ['default', 'more'] }, 'ghost@e2e': { error: 'no reply within 1 s' } });
      expect(silent.stderr).toMatch(/^Error: no reply from ghost@e2e \(no reply within 1 s\)$/m);
      const nobody = await d.cli(['control', 'pool_grow', '1', '-d', 'nobody']);
      expect(nobody.code).toBe(5);
      expect(nobody.stderr).toMatch(/^Error: no reply from nobody \(not online: no heartbeat in the last 6 s\)$/m);
      expect(nobody.stderr).toMatch(/^Hint: -d takes the names/m);
      const inspect = await d.cli(['inspect', 'ping', '-d', 'w1@e2e,nobody', '--json']);
      expect(inspect.code).toBe(5);
      expect(JSON.parse(inspect.stdout)['w1@e2e']).toBe('pong');
      // A revocation is stored, so a silent worker still never starts the task: no failure, a note.
      const revoke = await d.cli(['control', 'revoke', 'some-task-id', '-t', '1']);
      expect(revoke.code, revoke.stderr).toBe(0);
      expect(revoke.stderr).toMatch(/^Note: no reply from ghost@e2e .*the revocation is stored/m);
    } finally {
      clearInterval(beating);
    }
  }, 120_000);

  it('exits 8 when a worker answers with an error, 0 when it carries the command out', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async', '-n', 'w1@e2e']);
    const unknown = await d.cli(['control', 'rate_limit', 'no_such_task', '10/s']);
    expect(unknown.code).toBe(8);
    expect(unknown.stdout).toMatch(/w1@e2e: ERROR\s+no task 'no_such_task' on this worker/);
    expect(unknown.stderr).toMatch(/^Error: w1@e2e could not carry out rate_limit/m);
    const last = await d.cli(['control', 'cancel_consumer', 'default']);
    expect(last.code).toBe(8);
    const ok = await d.cli(['control', 'rate_limit', 'noop', '10/s', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ 'w1@e2e': { task: 'noop', rate: '10/s' } });
  }, 120_000);
});

describe('tq control arguments', () => {
  // Nothing listens on this port: a command that got as far as the broker would exit 4, not 2.
  const nowhere = ['--broker', 'redis://127.0.0.1:1/0'];

  it.each([
    [['rate_limit', 'noop', '10/x'], /invalid rate limit '10\/x'/],
    [['rate_limit', 'noop'], /usage: tq control rate_limit TASK RATE/],
    [['time_limit', 'noop', '5', '2'], /soft limit \(5 s\) is past the hard limit \(2 s\)/],
    [['time_limit', 'noop', 'soon', '2'], /SOFT must be a number of seconds/],
    [['pool_grow', '0'], /N must be a whole number from 1 to 1000, got '0'/],
    [['pool_grow', '-1'], /N must be a whole number from 1 to 1000, got '-1'/],
    [['pool_shrink', 'abc'], /got 'abc'/],
    [['pool_grow', '1.5'], /got '1.5'/],
    [['add_consumer', 'no spaces'], /'no spaces' is not a queue name/],
    [['rate_limit', '../etc', '1/s'], /'..\/etc' is not a task name/],
    [['shutdown', 'now'], /usage: tq control shutdown$/m],
    [['revoke'], /usage: tq control revoke ID…/],
  ])('refuses %j before anything is sent (exit 2)', async (args, message) => {
    const r = await runCli(['control', ...args, ...nowhere]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
