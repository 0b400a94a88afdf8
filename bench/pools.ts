import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../src/index.js';
import { drained, printTable, rate, startWorker, type Row } from './support.js';

const POOLS: [pool: string, concurrency: number][] = [['solo', 1], ['async', 50], ['threads', 2], ['prefork', 2]];
const WORKLOADS: [task: string, count: number][] = [['noop', 3000], ['cpu10', 400]];

/** One row per pool and workload on the embedded broker: drain rate and worker RSS (main process). */
export async function benchPools(brokerUrl?: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-pools-'));
  const url = brokerUrl ?? `sqlite://${join(dir, 'tq.db')}`;
  const client = await createClient({ brokerUrl: url, cwd: dir });
  const rows: Row[] = [];
  try {
    for (const [pool, c] of POOLS) {
      for (const [name, count] of WORKLOADS) {
        await client.sendMany(Array.from({ length: count }, () => ({ name, options: {} })));
        const worker = await startWorker(['--broker', url, '--pool', pool, '-c', String(c)]);
        const started = performance.now();
        await drained(client.broker);
        const ms = performance.now() - started;
        rows.push({ metric: `${pool} c=${c}, ${count} × ${name}`, value: rate(count, ms), note: `main-process RSS ${Math.round(worker.rssKb() / 1024)} MiB` });
        await worker.stop();
      }
    }
    printTable(`Pools (${url.split(':')[0]} broker; ${POOLS.length} pools × ${WORKLOADS.length} workloads)`, rows);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
