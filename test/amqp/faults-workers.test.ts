import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { tally, useAmqpRig } from './fault-kit.js';

/**
 * Workers dying or freezing on a private RabbitMQ node (results in a private
 * redis-server): a delivery is the lease, so a dead worker's messages go back
 * when its connection closes, and a frozen one's when RabbitMQ cuts it for
 * missed heartbeats; its late ack is then refused. Drives the built CLI
 * (`npm run build` first).
 */
describe('amqp faults: workers', () => {
  const rigs = useAmqpRig();

  it('completes a task on another worker when its worker is SIGKILLed mid-task', async () => {
    const rig = await rigs.start();
    const a = await rig.startWorker('a');
    const b = await rig.startWorker('b');
    b.signal('SIGSTOP'); // so the task lands on a; b is already consuming when a dies
    const [id] = await rig.send([0], 5_000);
    await waitFor(async () => (await rig.results([id!]))[0]?.worker === 'a', 'the task to start on worker a');
    b.signal('SIGCONT');
    const killedAt = Date.now();
    a.signal('SIGKILL');
    const record = await waitFor(async () => {
      const [r] = await rig.results([id!]);
      return r?.state === 'SUCCESS' ? r : null;
    }, 'the task to succeed on worker b', 20_000);
    expect(record.worker).toBe('b');
    const startedOnB = rig.runs().find((r) => r.worker === 'b')!.startedAt;
    console.log(`[faults] amqp worker SIGKILLed mid-task: the task started on another worker ${startedOnB - killedAt} ms later`);
    // The kernel closes a dead process's socket, so RabbitMQ hands the delivery on at once, not after a heartbeat.
    expect(startedOnB - killedAt).toBeLessThan(5_000);
    expect(tally(rig.runCounts(), 1).lost).toEqual([]);
  });

  it('loses nothing while a worker is SIGKILLed 20 times as 2,000 tasks drain', async () => {
    const rig = await rigs.start();
    const total = 2_000;
    // 50 ms tasks, 10 at a time: ~10 s of work, so all 20 kills land while the queue drains.
    const ids = await rig.send([...Array(total).keys()], 50);
    let worker = await rig.startWorker('w');
    let killedWhileDraining = 0;
    let doneAtLastKill = 0;
    for (let kill = 0; kill < 20; kill++) {
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 500)); // a random moment of its work
      doneAtLastKill = await rig.doneCount(ids);
      killedWhileDraining += doneAtLastKill < total ? 1 : 0;
      worker.signal('SIGKILL');
      await worker.exited;
      worker = await rig.startWorker('w'); // the supervisor restarts it
    }
    await waitFor(async () => (await rig.doneCount(ids)) === total, 'every task to succeed', 60_000, 250);
    const { lost, duplicates, ranAtLeastOnce } = tally(rig.runCounts(), total);
    const dead = await rig.client.broker.listDead(100, [rig.queue]);
    console.log(`[faults] amqp: 20 SIGKILLs over ${total} tasks (${doneAtLastKill} done at the last): ${ranAtLeastOnce} ran, lost ${lost.length}, duplicates ${duplicates}, dead-lettered ${dead.length}`);
    expect(killedWhileDraining).toBe(20);
    expect(lost).toEqual([]);
    expect(dead).toEqual([]);
    expect(ranAtLeastOnce).toBe(total);
  }, 150_000);

  it('refuses the late ack of a worker frozen past its AMQP heartbeat; the task has exactly one result', async () => {
    const rig = await rigs.start();
    // RabbitMQ cuts a connection after about two missed heartbeats: with 1 s, frozen a loses its deliveries within seconds.
    const a = await rig.startWorker('a', { heartbeatS: 1 });
    const [id] = await rig.send([0], 1_000);
    await waitFor(async () => (await rig.results([id!]))[0]?.worker === 'a', 'the task to start on worker a');
    a.signal('SIGSTOP');
    const stoppedAt = Date.now();
    const b = await rig.startWorker('b');
    await waitFor(async () => (await rig.results([id!]))[0]?.state === 'SUCCESS', 'the task to succeed on worker b', 20_000);
    const takenOverAfter = rig.runs().find((r) => r.worker === 'b')!.startedAt - stoppedAt;
    const [onB] = await rig.results([id!]);
    expect(onB?.worker).toBe('b');
    a.signal('SIGCONT');
    // Worker a wakes, its task ends, and its finish is refused: logged as a lost lease, its outcome discarded.
    await a.waitForOutput(new RegExp(`Task work\\[${id}\\] succeeded in .*\\(lease lost`), 15_000);
    const [record] = await rig.results([id!]);
    expect(record?.state).toBe('SUCCESS');
    expect(record?.worker).toBe('b');
    expect(record?.finishedAt).toBe(onB?.finishedAt); // the first final result stands, not overwritten by a's
    expect(rig.runs().map((r) => r.worker).sort()).toEqual(['a', 'b']);
    // Woken, a reconnects (RabbitMQ cut its connection) and consumes again, with no broker error on the way.
    b.signal('SIGKILL');
    await b.exited;
    const [next] = await rig.send([1], 0);
    await waitFor(async () => (await rig.results([next!]))[0]?.state === 'SUCCESS', 'worker a to run a task after it woke', 20_000);
    expect((await rig.results([next!]))[0]?.worker).toBe('a');
    expect(a.output()).not.toMatch(/Broker error|PRECONDITION_FAILED/);
    console.log(`[faults] amqp worker SIGSTOPped with a 1 s heartbeat: its task started on another worker ${takenOverAfter} ms later; its late ack refused; it consumes again after SIGCONT`);
  }, 90_000);
});
