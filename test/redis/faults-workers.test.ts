import { describe, expect, it } from 'vitest';
import type { RunningCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { tally, useFaultRig, type FaultRig } from './fault-kit.js';

/**
 * Workers dying or freezing on a real redis-server: nothing is lost, a dead
 * worker's tasks run elsewhere within the lease, and a late ack is refused.
 * Drives the built CLI (`npm run build` first).
 */
describe('redis faults: workers', () => {
  const rigs = useFaultRig();

  const stateOf = async (id: string) => rigs.current.client.backend.getResult(id);

  it('completes a task on another worker when its worker is SIGKILLed mid-task', async () => {
    const rig = await rigs.start();
    const a = await rig.startWorker('a');
    const b = await rig.startWorker('b');
    b.signal('SIGSTOP'); // so the task lands on a; b is already up when a dies
    const [id] = await rig.send([0], 5_000);
    await waitFor(async () => (await stateOf(id!))?.worker === 'a', 'the task to start on worker a');
    b.signal('SIGCONT');
    const killedAt = Date.now();
    a.signal('SIGKILL');
    const record = await waitFor(async () => {
      const r = await stateOf(id!);
      return r?.state === 'SUCCESS' ? r : null;
    }, 'the task to succeed on worker b', 15_000);
    expect(record.worker).toBe('b');
    const startedOnB = rig.runs().find((r) => r.worker === 'b')!.startedAt;
    // Ready again within the lease (2 s) + 1 s.
    expect(startedOnB - killedAt).toBeLessThan(3_000);
    expect(tally(rig.runCounts(), 1).lost).toEqual([]);
  });

  it('loses nothing while a worker is SIGKILLed 20 times as 2,000 tasks drain', async () => {
    const rig = await rigs.start();
    const total = 2_000;
    // 50 ms tasks, 10 at a time: ~10 s of work, so all 20 kills land while the queue drains.
    const ids = await rig.send([...Array(total).keys()], 50);
    let worker = await rig.startWorker('w');
    let killedWhileDraining = 0;
    for (let kill = 0; kill < 20; kill++) {
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 500)); // a random moment of its work
      killedWhileDraining += (await doneCount(rig, ids)) < total ? 1 : 0;
      worker.signal('SIGKILL');
      await worker.exited;
      worker = await rig.startWorker('w'); // the supervisor restarts it
    }
    await waitFor(async () => (await doneCount(rig, ids)) === total, 'every task to succeed', 60_000, 250);
    const { lost, duplicates, ranAtLeastOnce } = tally(rig.runCounts(), total);
    console.log(`[faults] 20 SIGKILLs over ${total} tasks: ${ranAtLeastOnce} ran, lost ${lost.length}, duplicates ${duplicates}`);
    expect(killedWhileDraining).toBe(20);
    expect(lost).toEqual([]);
    expect(ranAtLeastOnce).toBe(total);
  }, 150_000);

  it('refuses the late ack of a worker frozen past its lease; the task has exactly one result', async () => {
    const rig = await rigs.start();
    const a = await rig.startWorker('a');
    const [id] = await rig.send([0], 1_000);
    await waitFor(async () => (await stateOf(id!))?.worker === 'a', 'the task to start on worker a');
    a.signal('SIGSTOP');
    const b = await rig.startWorker('b');
    await waitFor(async () => (await stateOf(id!))?.state === 'SUCCESS', 'the task to succeed on worker b', 15_000);
    expect((await stateOf(id!))?.worker).toBe('b');
    a.signal('SIGCONT');
    // Worker a wakes, its task ends; its finish must be refused.
    await waitFor(() => rig.runs().some((r) => r.worker === 'a'), "worker a's late run to end", 10_000);
    await settle(a);
    const record = await stateOf(id!);
    expect(record?.state).toBe('SUCCESS');
    expect(record?.worker).toBe('b');
    expect(rig.runs().map((r) => r.worker).sort()).toEqual(['a', 'b']);
    void b;
  });
});

async function doneCount(rig: FaultRig, ids: string[]): Promise<number> {
  const records = await Promise.all(ids.map((id) => rig.client.backend.getResult(id)));
  return records.filter((r) => r?.state === 'SUCCESS').length;
}

/** Gives a worker that just ran a task the moment it needs to send its (refused) finish. */
async function settle(worker: RunningCli): Promise<void> {
  const seen = worker.output().length;
  await waitFor(() => worker.output().length > seen || true, 'worker output', 1_000);
  await new Promise((r) => setTimeout(r, 300));
}
