import { describe, expect, it } from 'vitest';
import type { RunningCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { tally, useAmqpRig, type AmqpRig } from './fault-kit.js';

/**
 * Delayed tasks live in RabbitMQ's delay ladder (TTL queues of 2^L ms, see
 * src/runtime/brokers/amqp/topology.ts), never in a worker's memory: each runs
 * once when due, and a short delay never waits behind a long one.
 */
describe('amqp faults: eta tasks', () => {
  const rigs = useAmqpRig();

  it('runs each of 1,000 tasks spread over 1–20 s exactly once, not before its eta', async () => {
    const rig = await rigs.start();
    const total = 1_000;
    const workers = [await rig.startWorker('a'), await rig.startWorker('b')];
    const sentAt = Date.now();
    const countdowns = Array.from({ length: total }, (_, n) => 1 + (19 * n) / (total - 1)); // seconds
    const ids = await rig.send([...Array(total).keys()], 0, (n) => ({ countdown: countdowns[n] }));
    await waitFor(async () => (await rig.doneCount(ids)) === total, 'every eta task to succeed', 60_000, 250);
    // No copy is left to run again: none in the ladder or the queue, and each task was received once.
    await expectDrained(rig);
    expect(receivedLines(workers)).toBe(total);
    const { lost, duplicates } = tally(rig.runCounts(), total);
    // 5 ms: the broker admits a delivery that far ahead of its eta (EARLY_MS in amqp-broker.ts, for clock rounding).
    const early = rig.runs().filter((r) => r.startedAt < sentAt + countdowns[r.n]! * 1000 - 5);
    const lateness = rig.runs().map((r) => Math.round(r.startedAt - (sentAt + countdowns[r.n]! * 1000))).sort((a, b) => a - b);
    console.log(`[faults] amqp: 1,000 eta tasks over 1–20 s: lost ${lost.length}, duplicates ${duplicates}, p50 lateness ${lateness[total / 2]} ms, max ${lateness.at(-1)} ms`);
    expect(lost).toEqual([]);
    expect(duplicates).toBe(0);
    expect(early).toEqual([]);
  }, 90_000);

  it('runs a 2 s countdown sent after a 1 h one at about 2 s, the 1 h one still held in the ladder', async () => {
    const rig = await rigs.start();
    await rig.startWorker('a');
    const [longId] = await rig.send([0], 0, () => ({ countdown: 3_600 }));
    const sentAt = Date.now();
    const [shortId] = await rig.send([1], 0, () => ({ countdown: 2 }));
    await waitFor(async () => (await rig.results([shortId!]))[0]?.state === 'SUCCESS', 'the 2 s task to succeed', 20_000, 50);
    const run = rig.runs().find((r) => r.n === 1)!;
    console.log(`[faults] amqp: a 2 s countdown behind a 1 h one ran ${run.startedAt - sentAt} ms after it was sent`);
    expect(run.startedAt).toBeGreaterThanOrEqual(sentAt + 2_000);
    // Functional, not a benchmark: a delay queued behind the 1 h one would wait an hour; ~2 s plus the ladder's hops is on time.
    expect(run.startedAt - sentAt).toBeLessThan(2_000 + 5_000);
    expect(rig.runs().some((r) => r.n === 0)).toBe(false);
    const scheduled = await rig.client.broker.listScheduled(10);
    expect(scheduled.map((s) => s.id)).toEqual([longId]);
  }, 60_000);
});

/** Polls until this rig's queue and its share of the ladder are empty. */
async function expectDrained(rig: AmqpRig): Promise<void> {
  await waitFor(async () => {
    const [stats] = await rig.client.broker.stats([rig.queue]);
    return stats?.ready === 0 && stats.dead === 0 && (await rig.client.broker.listScheduled(10)).length === 0;
  }, 'the queue and the delay ladder to be empty', 10_000, 100);
}

function receivedLines(workers: RunningCli[]): number {
  return workers.reduce((sum, w) => sum + w.output().split('\n').filter((line) => /\] received$/.test(line)).length, 0);
}
