import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chain, chord, signature, type AsyncResult } from '../../src/index.js';
import type { RunningCli } from '../support/cli.js';
import { redisSetup, sqliteSetup, useDeployments, type TestDeployment } from '../support/project.js';

const TASKS = 'test/fixtures/canvas-tasks';
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{') && l.endsWith('}')).map((l) => JSON.parse(l) as { id: string; args: unknown[] }) : []);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Workflows across worker crashes (SIGKILL at random moments, a supervisor
 * restarting the worker), on a real SQLite file and a real redis-server:
 * every step lands once in the workflow, whatever was delivered twice.
 */
describe.each([sqliteSetup(), redisSetup()])('canvas faults on $name', (setup) => {
  const deploy = useDeployments(setup);
  /** A worker with a short lease, so a killed one's messages come back quickly. */
  const worker = (d: TestDeployment, concurrency: number) => d.worker(TASKS, ['-P', 'async', '-c', String(concurrency), '-n', 'w'], { TQ_LEASE_MS: '1500' });
  /** Kills the worker `kills` times at random moments, restarting it; returns how many kills came while `done` was still false. */
  const killRepeatedly = async (d: TestDeployment, first: RunningCli, kills: number, concurrency: number, between: () => number, done: () => Promise<boolean>) => {
    let w = first;
    let early = 0;
    for (let k = 0; k < kills; k++) {
      await pause(between());
      if (!(await done())) early++;
      w.signal('SIGKILL');
      await w.exited;
      w = await worker(d, concurrency);
    }
    return early;
  };

  it('runs the body of a 1,000-member chord exactly once, with 1,000 results in order, across 10 worker SIGKILLs during the header', async () => {
    const d = deploy();
    const client = await d.client();
    const file = d.file('body.jsonl');
    // 1,000 × 100 ms, 20 at a time: about 5 s of header work, so the kills land while it runs.
    const header = Array.from({ length: 1000 }, (_, i) => signature('nap', [100, i]));
    const body = (await chord(header, signature('trace', [file])).applyAsync({}, client)) as AsyncResult;
    const first = await worker(d, 20);
    const duringHeader = await killRepeatedly(d, first, 10, 20, () => 100 + Math.random() * 300, async () => lines(file).length > 0);
    expect(duringHeader).toBe(10);
    expect(await body.get({ timeout: 120_000 })).toBe(2);
    const runs = lines(file);
    console.log(`[faults] 1,000-member chord, 10 SIGKILLs during the header: body ran ${runs.length} time(s)`);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.args[0]).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  }, 180_000);

  it('ends a 20-step chain once, with the right value, across 5 worker SIGKILLs', async () => {
    const d = deploy();
    const client = await d.client();
    const file = d.file('steps.jsonl');
    const steps = Array.from({ length: 20 }, (_, i) => (i === 0 ? signature('slow_add', [0, 1, 250, file]) : signature('slow_add', [1, 250, file])));
    const last = (await chain(...steps).applyAsync({}, client)) as AsyncResult;
    const first = await worker(d, 4);
    const duringChain = await killRepeatedly(d, first, 5, 4, () => 400 + Math.random() * 500, async () => (await last.state()) === 'SUCCESS');
    expect(duringChain).toBe(5);
    expect(await last.get({ timeout: 120_000 })).toBe(20);
    // One final result per step: every step id has one SUCCESS, the right one.
    let step: AsyncResult | null = last;
    let n = 20;
    while (step) {
      await step.state();
      expect(step.record).toMatchObject({ state: 'SUCCESS', result: n });
      step = step.parent;
      n--;
    }
    expect(n).toBe(0);
    const runs = lines(file);
    const perStep = new Map<string, number>();
    for (const r of runs) perStep.set(r.id, (perStep.get(r.id) ?? 0) + 1);
    console.log(`[faults] 20-step chain, 5 SIGKILLs: ${runs.length} runs for 20 steps (${runs.length - 20} repeated by redelivery)`);
    expect(perStep.size).toBe(20);
  }, 180_000);
});
