import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/runtime/client.js';
import { encodeMessage, type TaskMessage } from '../../src/runtime/message.js';
import { HOSTILE, HOSTILE_SHOWN, TERMINAL_CONTROL } from '../support/hostile.js';
import { redisSetup, sqliteSetup, useDeployments, type TestDeployment } from '../support/project.js';

const TASKS = 'test/fixtures/hostile-tasks';

function message(id: string, task: string, args: unknown[], queue: string): TaskMessage {
  return { id, task, args, kwargs: {}, queue, priority: 4, eta: null, expires: null, retries: 0, rootId: id, parentId: null, headers: {} };
}

/** A dead letter as a worker leaves one: enqueued, reserved, then dead-lettered with a reason. */
async function deadLetter(client: Client, msg: TaskMessage, reason: string): Promise<void> {
  await client.broker.enqueue([encodeMessage(msg, 1 << 20)]);
  const [held] = await client.broker.reserve({ queues: [msg.queue], holder: 'test', max: 1, leaseMs: 30_000, waitMs: 0 });
  expect(await client.broker.deadLetter(held!.lease, reason, null)).toBe(true);
}

/** Runs a CLI command and checks that nothing it printed is a character a terminal would act on. */
async function safeCli(d: TestDeployment, args: string[]) {
  const r = await d.cli(args);
  expect(r.stdout, `stdout of tq ${args.join(' ')}`).not.toMatch(TERMINAL_CONTROL);
  expect(r.stderr, `stderr of tq ${args.join(' ')}`).not.toMatch(TERMINAL_CONTROL);
  return r;
}

describe.each([sqliteSetup(), redisSetup()])('what reaches the terminal, on $name', (setup) => {
  const deploy = useDeployments(setup);

  it('shows control characters from tasks and messages as visible escapes in every human-readable output, and keeps them exact in --json', async () => {
    const d = deploy();
    const w = await d.worker(TASKS, ['-P', 'prefork', '-c', '1']);
    const client = await d.client();

    // tq call --wait: the failure message, and a value.
    const failed = await safeCli(d, ['call', 'hostile_fail', '--wait', '--timeout', '30', '--tasks', TASKS]);
    expect(failed.code).toBe(6);
    expect(failed.stderr).toContain(`boom ${HOSTILE_SHOWN}`);
    const ok = await safeCli(d, ['call', 'hostile_ok', HOSTILE, '--wait', '--timeout', '30', '--tasks', TASKS]);
    expect(ok.stdout.trim()).toBe(`res ${HOSTILE_SHOWN} ${HOSTILE_SHOWN}`);
    const failedId = /hostile_fail\[([\w-]+)\] received/.exec(w.output())![1]!;
    const okId = /hostile_ok\[([\w-]+)\] received/.exec(w.output())![1]!;

    // The worker's log: task log lines, console output of the child process, the failure.
    const log = w.output();
    expect(log).not.toMatch(TERMINAL_CONTROL);
    expect(log).toContain(`INFO/worker.hostile_fail] log ${HOSTILE_SHOWN}`);
    expect(log).toContain(`console ${HOSTILE_SHOWN}`);
    expect(log).toMatch(new RegExp(`failed in [\\d.]+s: Error: boom ${HOSTILE_SHOWN.replace(/[\\[\]]/g, '\\$&')}`));

    // tq result: error and traceback; --json gives the exact strings.
    const result = await safeCli(d, ['result', failedId]);
    expect(result.stdout).toContain(`error:     Error: boom ${HOSTILE_SHOWN}`);
    expect(result.stdout).toContain(`traceback:\n  Error: boom ${HOSTILE_SHOWN}\n      at `);
    expect(JSON.parse((await safeCli(d, ['result', failedId, '--json'])).stdout).error.message).toBe(`boom ${HOSTILE}`);
    expect(JSON.parse((await safeCli(d, ['result', okId, '--json'])).stdout).result).toBe(`res ${HOSTILE} ${HOSTILE}`);

    // tq events: the progress note, the error, the arguments.
    const events = await safeCli(d, ['events', '--from', '0', '--no-follow']);
    expect(events.stdout).toMatch(/task-progress +hostile_fail/);
    const json = (await safeCli(d, ['events', '--from', '0', '--no-follow', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json.find((e) => e.type === 'task-progress')?.data.note).toBe(`note ${HOSTILE}`);
    expect(json.find((e) => e.type === 'task-received' && e.taskId === okId)?.data.args).toEqual([HOSTILE]);

    // A worker and a task with hostile names (another producer, a foreign worker): tq top, tq status.
    await client.backend.recordHeartbeat({
      hostname: `evil${HOSTILE}`, pid: 1, pool: 'solo', concurrency: 1, queues: ['default'], active: 0, processed: 0, failed: 0, retried: 0,
      load: 0, rssBytes: 0, startedAt: new Date().toISOString(), sentAt: new Date().toISOString(), version: '0', state: 'online',
    });
    await client.backend.appendEvents([{ type: 'task-sent', at: new Date().toISOString(), taskId: `id${HOSTILE}`, task: `t${HOSTILE}`, queue: 'default' }]);
    expect((await safeCli(d, ['top', '--once'])).stdout).toContain(`evil${HOSTILE_SHOWN.slice(0, 20)}`);
    expect((await safeCli(d, ['status'])).stdout).toContain(`evil${HOSTILE_SHOWN}: `); // online or, on a slow machine, already offline
    const heartbeats = JSON.parse((await safeCli(d, ['status', '--json'])).stdout) as { hostname: string }[];
    expect(heartbeats.map((h) => h.hostname)).toContain(`evil${HOSTILE}`);

    // tq inspect dead / scheduled: the reason and the body preview.
    await deadLetter(client, message('dead-1', 'hostile_ok', [HOSTILE], 'graveyard'), `reason ${HOSTILE}`);
    await client.broker.enqueue([{ ...encodeMessage(message('later-1', 'hostile_ok', [HOSTILE], 'graveyard'), 1 << 20), etaMs: Date.now() + 3600_000 }]);
    expect((await safeCli(d, ['inspect', 'dead'])).stdout).toContain(`reason: reason ${HOSTILE_SHOWN}`);
    expect(JSON.parse((await safeCli(d, ['inspect', 'dead', '--json'])).stdout)[client.broker.displayUrl][0].reason).toBe(`reason ${HOSTILE}`);
    expect((await safeCli(d, ['inspect', 'scheduled'])).stdout).toContain('* later-1 hostile_ok [graveyard] eta ');
  });

  it('prints a bounded preview of an error that echoes a 100 KB task name', async () => {
    const d = deploy();
    const r = await safeCli(d, ['call', `x${'y'.repeat(100_000)}`, '--tasks', TASKS]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^Error: unknown task 'xy+… \(\d+ more chars\)/);
    expect(r.stderr.length).toBeLessThan(5000);
  });

  it('writes worker --json lines with the task id, name, state and runtime as fields, and task text exact', async () => {
    const d = deploy();
    const w = await d.worker(TASKS, ['-P', 'prefork', '-c', '1', '--json']);
    const client = await d.client();
    const r = await client.sendTask('hostile_fail');
    await expect(r.get({ timeout: 30_000 })).rejects.toThrow(/boom/);
    const lines = () => w.output().trim().split('\n');
    await expect.poll(() => lines().some((l) => l.includes('"state":"FAILURE"'))).toBe(true);
    expect(w.output()).not.toMatch(TERMINAL_CONTROL);
    const entries = lines().map((l) => JSON.parse(l) as Record<string, unknown>); // every line is JSON, the executor's too
    expect(entries.find((e) => e.state === 'RECEIVED')).toMatchObject({ level: 'info', taskId: r.id, task: 'hostile_fail' });
    expect(entries.find((e) => e.state === 'FAILURE')).toMatchObject({ level: 'error', taskId: r.id, task: 'hostile_fail', runtimeMs: expect.any(Number), error: 'Error' });
    expect(entries.find((e) => e.name === 'worker.hostile_fail')).toMatchObject({ level: 'info', message: `log ${HOSTILE}` });
    expect(entries.find((e) => typeof e.message === 'string' && e.message.startsWith('console '))).toMatchObject({ message: `console ${HOSTILE}` });
  });
});
