import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { useAmqpRig } from './fault-kit.js';

/**
 * The private rabbitmq-server itself crashing (SIGKILL) mid-run: a quorum
 * queue confirms a message only once it is on disk, so every confirmed send
 * survives; the worker — which never exits — re-dials and consumes again
 * within 5 s of RabbitMQ being back.
 */
describe('amqp faults: the server', () => {
  const rigs = useAmqpRig();

  it('completes every confirmed send of a 2,000-task run across a rabbitmq-server SIGKILL and restart', async () => {
    const rig = await rigs.start();
    const upFront = 1_500;
    const total = 2_000;
    const confirmed = new Map<number, string>();
    const sendBatch = async (ns: number[]) => {
      const ids = await rig.send(ns, 5);
      ns.forEach((n, i) => confirmed.set(n, ids[i]!));
    };
    await sendBatch([...Array(upFront).keys()]);
    const worker = await rig.startWorker('w');

    // The rest is sent while the worker drains, 10 every 100 ms (~5 s), so sends are in flight or waiting while the server is down.
    let refused = 0;
    let heldOverOutage = 0;
    let killedAt = Infinity;
    let deadAt = Infinity;
    let backAt = Infinity;
    const producing = (async () => {
      for (let n = upFront; n < total; n += 10) {
        const startedAt = Date.now();
        await sendBatch([...Array(10).keys()].map((i) => n + i)).then(
          () => (heldOverOutage += startedAt > deadAt && startedAt < backAt ? 1 : 0), // sent to a dead server: it waited for the reconnect
          () => refused++, // not confirmed: may or may not run
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await waitFor(() => rig.runs().length >= 300, '300 tasks to run before the crash', 30_000);
    killedAt = Date.now();
    await rig.rabbit.kill9();
    deadAt = Date.now();
    // Made while the server is down, whatever the producer is doing then: it waits for the
    // reconnect and is confirmed, or (if the client has not yet seen the socket close) it is
    // refused; either way it is never confirmed and then lost (checked with the rest below).
    let downSend = 'confirmed';
    const sentWhileDown = sendBatch([...Array(10).keys()].map((i) => total + i)).catch(() => {
      downSend = 'refused';
    });
    await new Promise((r) => setTimeout(r, 500)); // down for a moment, as in a crash and a supervisor restart
    await rig.rabbit.restart();
    backAt = Date.now();
    await sentWhileDown;
    const runsAtRestart = rig.runs().length;
    await waitFor(() => rig.runs().some((r) => r.startedAt > backAt), 'the worker to run a task after the restart', 20_000, 10);
    const resumedAfter = rig.runs().find((r) => r.startedAt > backAt)!.startedAt - backAt;
    await producing;

    const ids = [...confirmed.values()];
    await waitFor(async () => (await rig.doneCount(ids)) === ids.length, 'every confirmed task to succeed', 60_000, 250);
    const counts = rig.runCounts();
    const lost = [...confirmed.keys()].filter((n) => !counts.has(n));
    const duplicates = [...counts.values()].reduce((sum, c) => sum + c - 1, 0);
    console.log(
      `[faults] amqp: rabbitmq-server SIGKILL at ${runsAtRestart}/${total} runs: consuming again ${resumedAfter} ms after restart; ` +
        `${confirmed.size} sends confirmed (a batch sent while it was down: ${downSend}; ${heldOverOutage * 10} more from the producer held over; down ${backAt - killedAt} ms), ${refused * 10} refused; lost ${lost.length}, duplicates ${duplicates}`,
    );
    expect(lost).toEqual([]);
    // A functional bound, as on Redis: the worker re-dials every ≤ 1 s, so it consumes again within a few seconds, not never.
    expect(resumedAfter).toBeLessThan(5_000);
    expect(worker.output()).not.toMatch(/exited|fatal/i);
  }, 150_000);
});
