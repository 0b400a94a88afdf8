import { describe, expect, it } from 'vitest';
import { openBroker } from '../../src/runtime/brokers/index.js';
import type { FusedStore } from '../../src/runtime/brokers/fused.js';
import { sqliteSetup, useDeployments, type TestDeployment } from '../support/project.js';
import { waitFor } from '../support/wait.js';

const TASKS = 'test/fixtures/e2e-tasks';

/**
 * Group commit across processes: several workers on one SQLite file, each
 * committing the finishes of many tasks together, one of them SIGKILLed in
 * the middle of the drain. Nothing may be lost or finished wrongly.
 */
describe('SQLite group commit with several worker processes', () => {
  const deploy = useDeployments(sqliteSetup());
  /** An async worker with a short lease, so a killed one's messages come back quickly. */
  const worker = (d: TestDeployment, name: string) => d.worker(TASKS, ['-P', 'async', '-c', '20', '-n', name], { TQ_LEASE_MS: '1500' });

  it('drains 4,000 tasks with 3 workers on one file across a SIGKILL: every task has its own right result, none lost or dead', async () => {
    const d = deploy();
    const client = await d.client();
    // Sleeps (40 ms each, 60 at a time: seconds of work, so the kill lands mid-drain) interleaved with adds whose results tell them apart.
    const calls = Array.from({ length: 4000 }, (_, i) => (i % 4 === 0 ? { name: 'add', options: { args: [i, 1000] } } : { name: 'sleep', options: { args: [40] } }));
    const sent = await client.sendMany(calls);
    const workers = [await worker(d, 'w1'), await worker(d, 'w2'), await worker(d, 'w3')];
    const store = (await openBroker({ url: d.brokerUrl, projectRoot: d.dir, resultExpiresMs: 60_000, keyPrefix: 'tq:' })) as FusedStore;
    try {
      const left = async () => {
        const [s] = await store.stats(['default']);
        return s ? s.ready + (s.leased ?? 0) + (s.scheduled ?? 0) : 0; // never null on SQLite: checked below
      };
      await waitFor(async () => (await left()) <= 3000, 'a quarter of the tasks done', 60_000);
      workers[0]!.signal('SIGKILL');
      await workers[0]!.exited;
      expect(await left()).toBeGreaterThan(0); // the kill came while there was work left
      await worker(d, 'w4');
      await waitFor(async () => (await left()) === 0, 'the queue to drain', 120_000);

      const [stats] = await store.stats(['default']);
      expect(stats).toMatchObject({ ready: 0, leased: 0, scheduled: 0, dead: 0 });
      const wrong: string[] = [];
      for (const [i, r] of sent.entries()) {
        const record = await store.getResult(r.id);
        const expected = i % 4 === 0 ? i + 1000 : 'slept 40';
        if (record?.state !== 'SUCCESS' || record.result !== expected) wrong.push(`${i}: ${JSON.stringify(record)}`);
      }
      expect(wrong).toEqual([]);
    } finally {
      await store.close();
    }
  }, 180_000);
});
