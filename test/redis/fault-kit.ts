import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '../../src/runtime/client.js';
import { startCli, type RunningCli } from '../support/cli.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';

export const TASKS_DIR = 'test/fixtures/redis-tasks';

export interface Run {
  n: number;
  worker: string;
  startedAt: number;
  finishedAt: number;
}

/** One rig per test of the describe block that calls this, closed after its test whatever happened. */
export function useFaultRig(): { start(options?: { appendonly?: boolean }): Promise<FaultRig>; readonly current: FaultRig } {
  let rig: FaultRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  return {
    start: async (options) => (rig = await startFaultRig(options)),
    get current() {
      if (!rig) throw new Error('no fault rig started in this test');
      return rig;
    },
  };
}

/**
 * A real redis-server, a client to send tasks with, and built `tq worker`
 * processes on it. Runs are counted from the log the fixture tasks append to.
 * Everything it starts it stops by pid in `close()`.
 */
export interface FaultRig {
  server: RedisServer;
  client: Client;
  queue: string;
  startWorker(name: string, options?: { leaseMs?: number; concurrency?: number }): Promise<RunningCli>;
  /** Sends `work(n, ms)` for each n, in one bulk call; returns the task ids by n. */
  send(ns: number[], ms: number, extra?: (n: number) => { countdown?: number }): Promise<string[]>;
  runs(): Run[];
  /** How many times each n ran. */
  runCounts(): Map<number, number>;
  close(): Promise<void>;
}

export async function startFaultRig(options: { appendonly?: boolean } = {}): Promise<FaultRig> {
  const server = await startRedisServer({ appendonly: options.appendonly });
  const dir = mkdtempSync(join(tmpdir(), 'tq-faults-'));
  const log = join(dir, 'runs.log');
  const queue = 'faults';
  const client = await createClient({ cwd: dir, brokerUrl: server.url, defaultQueue: queue });
  const workers: RunningCli[] = [];

  const runs = (): Run[] => readRuns(log);

  return {
    server,
    client,
    queue,
    async startWorker(name, { leaseMs = 2_000, concurrency = 10 } = {}) {
      const args = ['worker', '--broker', server.url, '--pool', 'async', '-c', String(concurrency), '-Q', queue, '-n', name, '--tasks', TASKS_DIR];
      const worker = startCli(args, { env: { TQ_LEASE_MS: String(leaseMs), TQ_FAULT_LOG: log } });
      workers.push(worker);
      await worker.waitForOutput(/ready\./);
      return worker;
    },
    async send(ns, ms, extra) {
      const results = await client.sendMany(ns.map((n) => ({ name: 'work', options: { args: [n, ms], ...extra?.(n) } })));
      return results.map((r) => r.id);
    },
    runs,
    runCounts() {
      const counts = new Map<number, number>();
      for (const run of runs()) counts.set(run.n, (counts.get(run.n) ?? 0) + 1);
      return counts;
    },
    async close() {
      for (const worker of workers) {
        worker.signal('SIGCONT');
        worker.signal('SIGKILL');
        await worker.exited;
      }
      await client.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The runs the fixture tasks logged to `log` (see test/fixtures/redis-tasks). */
export function readRuns(log: string): Run[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => /^\d+ \S+ \d+ \d+$/.test(line)) // a line cut by a SIGKILL mid-write is not a run
    .map((line) => {
      const [n, worker, startedAt, finishedAt] = line.split(' ');
      return { n: Number(n), worker: worker!, startedAt: Number(startedAt), finishedAt: Number(finishedAt) };
    });
}

/** Counts lost (never ran and no SUCCESS) and duplicated runs over tasks 0..total-1. */
export function tally(counts: Map<number, number>, total: number): { lost: number[]; duplicates: number; ranAtLeastOnce: number } {
  const lost: number[] = [];
  let duplicates = 0;
  let ranAtLeastOnce = 0;
  for (let n = 0; n < total; n++) {
    const c = counts.get(n) ?? 0;
    if (c === 0) lost.push(n);
    else ranAtLeastOnce++;
    duplicates += Math.max(0, c - 1);
  }
  return { lost, duplicates, ranAtLeastOnce };
}
