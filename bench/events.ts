import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '../src/index.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { drained, median, printTable, rate, startWorker, type Row } from './support.js';

const N = 20_000;
/** Rounds per mode, alternating on and off; the median damps a noisy shared machine. */
const ROUNDS = 5;

/** What events cost: drain rate with the worker's events on and off (async c=50), median of 5 rounds each. */
export async function benchEvents(brokerUrl?: string, extraEnv: Record<string, string> = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tq-bench-events-'));
  const url = brokerUrl ?? `sqlite://${join(dir, 'tq.db')}`;
  const client = await createClient({ brokerUrl: url, cwd: dir, keyPrefix: extraEnv.TQ_KEY_PREFIX, events: false });
  const rates: Record<string, number[]> = { on: [], off: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['on', 'off'] as const) {
        await client.sendMany(Array.from({ length: N }, (_, i) => ({ name: 'noop', options: { args: [i] } })));
        const worker = await startWorker(['--broker', url, '--pool', 'async', '-c', '50', mode === 'on' ? '--events' : '--no-events'], extraEnv);
        const started = performance.now();
        await drained(client.broker);
        rates[mode]!.push((N / (performance.now() - started)) * 1000);
        await worker.stop();
      }
    }
    const on = median(rates.on!);
    const off = median(rates.off!);
    const rows: Row[] = [
      { metric: `drain ${N} no-op, events off`, value: rate(off, 1000) },
      { metric: `drain ${N} no-op, events on`, value: rate(on, 1000) },
      { metric: 'cost of events', value: `${(((off - on) / off) * 100).toFixed(1)}%`, note: `median of ${ROUNDS} rounds each` },
    ];
    printTable(`Events on vs off (${url.split(':')[0]} broker)`, rows);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same on a redis-server started for it (the broker users scale out on). */
export async function benchEventsOnRedis(): Promise<void> {
  const server = await startRedisServer();
  try {
    await benchEvents(server.url);
  } finally {
    await server.stop();
  }
}
