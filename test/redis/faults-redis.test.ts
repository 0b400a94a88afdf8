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
      const records = await Promise.all(ids.map((id) => rigs.current.client.broker.getResult(id)));
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
});
