import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { tally, useFaultRig } from './fault-kit.js';

/**
 * redis-server itself crashing (SIGKILL) mid-run, with AOF and `appendfsync
 * always`: every acknowledged enqueue survives, and the worker — which never
 * exits — consumes again within 5 s of Redis coming back.
 */
describe('redis faults: the server', () => {
  const rigs = useFaultRig();

  it('completes all 2,000 tasks across a redis-server SIGKILL and restart', async () => {
    const rig = await rigs.start({ appendonly: true });
    const total = 2_000;
    const ids = await rig.send([...Array(total).keys()], 5);
    const worker = await rig.startWorker('w', { leaseMs: 10_000 });
    await waitFor(() => rig.runs().length >= 300, '300 tasks to run before the crash', 30_000);
    await rig.server.kill9();
    await new Promise((r) => setTimeout(r, 500)); // down for a moment, as in a crash and a supervisor restart
    await rig.server.restart();
    const backAt = Date.now();
    const runsAtRestart = rig.runs().length;
    await waitFor(() => rig.runs().some((r) => r.startedAt > backAt), 'the worker to run a task after the restart', 10_000, 10);
    const resumedAfter = rig.runs().find((r) => r.startedAt > backAt)!.startedAt - backAt;
    await waitFor(async () => {
      const records = await Promise.all(ids.map((id) => rigs.current.client.backend.getResult(id)));
      return records.every((r) => r?.state === 'SUCCESS');
    }, 'every task to succeed', 60_000, 250);
    const { lost, duplicates } = tally(rig.runCounts(), total);
    console.log(
      `[faults] redis-server SIGKILL at ${runsAtRestart}/${total} runs: consuming again ${resumedAfter} ms after restart; lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(lost).toEqual([]);
    expect(resumedAfter).toBeLessThan(5_000);
    expect(worker.output()).not.toMatch(/exited|fatal/i);
  }, 120_000);

  it('lets a worker stop while redis-server is down for good; the tasks it held run elsewhere once Redis is back', async () => {
    const rig = await rigs.start({ appendonly: true });
    const ids = await rig.send([0, 1, 2, 3], 30_000);
    const worker = await rig.startWorker('w1', { leaseMs: 2_000, concurrency: 4 });
    const leased = async () => (await rig.client.broker.stats([rig.queue]))[0]?.leased ?? 0;
    await waitFor(async () => (await leased()) === 4, 'w1 to hold all 4 tasks');
    await rig.server.kill9();
    // Warm, then cold: its broker calls wait for a reconnect that never comes, so each stop step is bounded.
    worker.signal('SIGTERM');
    await worker.waitForOutput(/warm shutdown/);
    worker.signal('SIGTERM');
    const stoppedAt = Date.now();
    let exited = false;
    void worker.exited.then(() => (exited = true));
    await waitFor(() => exited, 'w1 to exit with its Redis gone', 30_000);
    console.log(`[faults] worker with redis-server gone: exited ${Date.now() - stoppedAt} ms after its second SIGTERM`);
    await rig.server.restart();
    await rig.startWorker('w2', { leaseMs: 2_000, concurrency: 4 });
    await waitFor(async () => {
      const records = await Promise.all(ids.map((id) => rig.client.backend.getResult(id)));
      return records.every((r) => r?.state === 'STARTED' && r.worker === 'w2');
    }, 'w2 to take over every task w1 held', 30_000);
  }, 90_000);
});
