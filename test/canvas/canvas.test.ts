import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chain, chord, chunks, group, map, signature, starmap, GroupResult, type AsyncResult } from '../../src/index.js';
import { TaskFailedError } from '../../src/runtime/errors.js';
import { amqpSetup, redisSetup, sqliteSetup, useDeployments, type TestDeployment } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const TASKS = 'test/fixtures/canvas-tasks';
const s = (name: string, ...args: unknown[]) => signature(name, args);
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; args: unknown[] }) : []);

/** The canvas through the public API, on every broker (a worker as a real CLI process). */
describe.each([sqliteSetup(), redisSetup(), amqpSetup('redis')])('canvas on $name', (setup) => {
  const deploy = useDeployments(setup);
  const start = async (concurrency = 8) => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async', '-c', String(concurrency)]);
    return { d, client: await d.client() };
  };
  const send = async (d: TestDeployment, canvas: { applyAsync(o: object, c: unknown): Promise<unknown> }) => canvas.applyAsync({}, await d.client());

  it('passes each result of a chain as the first argument of the next, and links every step to its parent', async () => {
    const { d } = await start();
    const last = (await send(d, chain(s('add', 2, 3), s('mul', 10), s('add', 1)))) as AsyncResult;
    expect(await last.get({ timeout: 30_000 })).toBe(51);
    const middle = last.parent!;
    expect(await middle.state()).toBe('SUCCESS');
    expect(middle.result).toBe(50);
    expect(middle.children.map((c) => c.id)).toEqual([last.id]);
    const first = middle.parent!;
    await first.state();
    expect(first.result).toBe(5);
    expect(first.parent).toBeNull();
    expect(last.record?.rootId).toBe(first.id);
  });

  it('gives an immutable step (si) its own arguments only', async () => {
    const { d } = await start();
    const last = (await send(d, chain(s('add', 1, 1), signature('add', [5, 5], { immutable: true })))) as AsyncResult;
    expect(await last.get({ timeout: 30_000 })).toBe(10);
  });

  it('runs a group in parallel and gives its values in order; a GroupResult is rebuilt from its id', async () => {
    const { d, client } = await start();
    const g = (await send(d, group(Array.from({ length: 10 }, (_, i) => s('add', i, i))))) as GroupResult;
    expect(await g.get({ timeout: 30_000 })).toEqual(Array.from({ length: 10 }, (_, i) => 2 * i));
    expect(await g.completedCount()).toBe(10);
    expect(await g.ready()).toBe(true);
    expect(await g.successful()).toBe(true);
    const again = await GroupResult.restore(client.stores, g.id);
    expect(again?.results.map((r) => r.id)).toEqual(g.results.map((r) => r.id));
    const member = g.results[3]!;
    await member.state();
    expect(member.record?.groupId).toBe(g.id);
  });

  it('runs a chord body once with the header results in header order; a group followed by a task is a chord', async () => {
    const { d } = await start();
    const body = (await send(d, chord(Array.from({ length: 20 }, (_, i) => s('nap', (20 - i) * 5, i)), s('collect')))) as AsyncResult;
    expect(await body.get({ timeout: 30_000 })).toEqual([Array.from({ length: 20 }, (_, i) => i)]);
    const viaChain = (await send(d, chain(group([s('add', 1, 1), s('add', 2, 2)]), s('tsum'), s('mul', 10)))) as AsyncResult;
    expect(await viaChain.get({ timeout: 30_000 })).toBe(60);
  });

  it('defines empty workflows: an empty group is done at once, an empty chord runs its body with []', async () => {
    const { d } = await start();
    const g = (await send(d, group([]))) as GroupResult;
    expect(await g.get({ timeout: 5_000 })).toEqual([]);
    expect(await g.ready()).toBe(true);
    const body = (await send(d, chord([], s('collect')))) as AsyncResult;
    expect(await body.get({ timeout: 30_000 })).toEqual([[]]);
  });

  it('stops a chain at a failing step: the rest never runs and ends FAILURE ChainError; its errback fires once with the failure', async () => {
    const { d } = await start();
    const file = d.file('trace.jsonl');
    const failing = signature('boom', ['bad day'], { immutable: true }).linkError(s('trace', file));
    const last = (await send(d, chain(s('add', 1, 1), failing, s('trace', file)))) as AsyncResult;
    const err = await last.get({ timeout: 30_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect((err as TaskFailedError).remote).toMatchObject({ name: 'ChainError', message: expect.stringContaining('boom') });
    await waitFor(() => lines(file).length >= 1, 'the errback to run');
    const traced = lines(file);
    expect(traced).toHaveLength(1); // the errback, once; the step after the failure never ran
    expect(traced[0]!.args[0], JSON.stringify(traced[0])).toMatchObject({ task: 'boom', error: { name: 'Error', message: 'bad day' } });
  });

  it('never runs the body of a chord whose header failed: it ends FAILURE ChordError naming the member, its errback fires once', async () => {
    const { d } = await start();
    const file = d.file('trace.jsonl');
    const header = [s('add', 1, 1), s('boom', 'member down'), s('add', 2, 2)];
    const body = (await send(d, chord(header, signature('trace', [file]).linkError(s('trace', file))))) as AsyncResult;
    const err = await body.get({ timeout: 30_000 }).catch((e: unknown) => e);
    expect((err as TaskFailedError).remote).toMatchObject({ name: 'ChordError', message: expect.stringMatching(/boom\[.*\].*member down/) });
    await waitFor(() => lines(file).length >= 1, 'the errback to run');
    expect(lines(file)).toHaveLength(1);
    expect(lines(file)[0]!.args[0]).toMatchObject({ id: body.id, error: { name: 'ChordError' } });
  });

  it('sends link callbacks with the result, and map, starmap and chunks run in one worker per task', async () => {
    const { d } = await start();
    const file = d.file('trace.jsonl');
    const parent = (await send(d, signature('add', [2, 2]).link(s('trace', file)))) as AsyncResult;
    expect(await parent.get({ timeout: 30_000 })).toBe(4);
    await waitFor(() => lines(file).length === 1, 'the callback');
    expect(lines(file)[0]!.args).toEqual([4, file]);
    expect(await ((await send(d, map('collect', [1, 2, 3]))) as AsyncResult).get({ timeout: 30_000 })).toEqual([[1], [2], [3]]);
    expect(await ((await send(d, starmap('add', [[1, 2], [3, 4]]))) as AsyncResult).get({ timeout: 30_000 })).toEqual([3, 7]);
    const parts = (await send(d, chunks('add', Array.from({ length: 10 }, (_, i) => [i, 1]), 4))) as GroupResult;
    expect(await parts.get({ timeout: 30_000 })).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
  });

  it('revokes a group or a chain: what has not started never runs', async () => {
    const d = deploy();
    const client = await d.client();
    const file = d.file('trace.jsonl');
    const g = (await send(d, group([s('trace', file), s('trace', file)]))) as GroupResult;
    await g.revoke();
    const c = (await send(d, chain(s('trace', file), s('trace', file)))) as AsyncResult;
    await c.revoke();
    await d.worker(TASKS, ['-P', 'async']);
    const marker = await client.sendTask('add', { args: [1, 1] });
    await marker.get({ timeout: 30_000 });
    await waitFor(async () => (await Promise.all(g.results.map((r) => r.state()))).every((st) => st === 'REVOKED'), 'the group REVOKED');
    expect(lines(file)).toEqual([]);
  });

  it('sends a group of 10,000 and completes a chord of 10,000', async () => {
    const { d } = await start(50);
    const body = (await send(d, chord(Array.from({ length: 10_000 }, (_, i) => s('add', i, 0)), s('tsum')))) as AsyncResult;
    expect(await body.get({ timeout: 120_000 })).toBe((10_000 * 9_999) / 2);
  }, 180_000);
});

describe('tq result of a workflow step (the built CLI)', () => {
  const deploy = useDeployments(sqliteSetup());

  it('shows the tree: root, parents, children and group members with their states, in text and --json', async () => {
    const d = deploy();
    await d.worker(TASKS, ['-P', 'async', '-c', '8']);
    const client = await d.client();
    const wf = chain(s('add', 1, 1), group([s('add', 1), s('add', 2), s('add', 3)]), s('tsum'));
    const body = (await wf.applyAsync({}, client)) as AsyncResult;
    expect(await body.get({ timeout: 30_000 })).toBe(12);
    const text = await d.cli(['result', body.id]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^workflow:$/m);
    expect(text.stdout).toMatch(/^ {2}add\[[\w-]+\] SUCCESS$/m);
    expect(text.stdout).toMatch(/^ {4}group [\w-]+ \(3 member\(s\): 3 SUCCESS\)$/m);
    expect(text.stdout).toMatch(new RegExp(`^ {6}tsum\\[${body.id}\\] SUCCESS {2}← this task$`, 'm'));
    const json = JSON.parse((await d.cli(['result', body.id, '--json'])).stdout);
    expect(json).toMatchObject({ id: body.id, state: 'SUCCESS', result: 12, workflow: { focus: body.id, root: { kind: 'task', task: 'add', state: 'SUCCESS' } } });
    const header = json.workflow.root.next[0];
    expect(header).toMatchObject({ kind: 'group', size: 3, states: { SUCCESS: 3 } });
    expect(header.members.map((m: { task: string }) => m.task)).toEqual(['add', 'add', 'add']);
    expect(header.next[0]).toMatchObject({ kind: 'task', id: body.id, task: 'tsum' });
    // A lone task has no workflow.
    const lone = await client.sendTask('add', { args: [1, 2] });
    await lone.get({ timeout: 30_000 });
    expect((await d.cli(['result', lone.id])).stdout).not.toContain('workflow:');
  });
});
