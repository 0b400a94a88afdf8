import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { tally, useFaultRig } from './fault-kit.js';

/** Delayed tasks live in Redis and run once when due, however much longer than a lease they wait. */
describe('redis faults: eta tasks', () => {
  const rigs = useFaultRig();

  it('runs each of 1,000 tasks spread over 1–20 s exactly once, not before its eta, with a 2 s lease', async () => {
    const rig = await rigs.start();
    const total = 1_000;
    await rig.startWorker('a', { leaseMs: 2_000 });
    await rig.startWorker('b', { leaseMs: 2_000 });
    const sentAt = Date.now();
    const countdowns = Array.from({ length: total }, (_, n) => 1 + (19 * n) / (total - 1)); // seconds
    await rig.send([...Array(total).keys()], 0, (n) => ({ countdown: countdowns[n] }));
    await waitFor(() => rig.runs().length >= total, 'every eta task to run', 40_000, 250);
    await new Promise((r) => setTimeout(r, 2_500)); // past a lease more: nothing may run twice
    const { lost, duplicates } = tally(rig.runCounts(), total);
    const early = rig.runs().filter((r) => r.startedAt < sentAt + countdowns[r.n]! * 1000 - 50);
    const lateness = rig.runs().map((r) => r.startedAt - (sentAt + countdowns[r.n]! * 1000)).sort((a, b) => a - b);
    console.log(`[faults] 1,000 eta tasks: lost ${lost.length}, duplicates ${duplicates}, p50 lateness ${lateness[500]} ms, max ${lateness.at(-1)} ms`);
    expect(lost).toEqual([]);
    expect(duplicates).toBe(0);
    expect(early).toEqual([]);
  }, 90_000);
});
